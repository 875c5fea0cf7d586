/**
 * End to end: the bot runs as its own process (`npm start`) against moto for EC2 and DynamoDB;
 * the test plays AWS's part (it takes the user data from moto and runs the real agent script
 * with bash, terminates instances as AWS would) and a callback receiver on loopback.
 */
import { DescribeInstancesCommand, EC2Client, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { PublicJob } from '../../bot/http/public-job.js';
import { notificationToken, verifyCallbackSignature } from '../../bot/security/hmac.js';
import { startFakeImds, startNotificationReceiver, type FakeImds, type NotificationReceiver, type StubBinOptions } from '../harness/agent.js';
import { instancesOf as instancesOfJob, instanceState as instanceStateOf, runInstance as runJobInstance, spotRequestsOf as spotRequestsOfJob } from '../harness/moto-instances.js';
import { eventually, startBot, type BotProcess } from '../harness/bot-process.js';
import { makeContainerGate, type ContainerGate } from '../harness/container-gate.js';
import { startMoto, type Moto } from '../harness/moto.js';

const SECRET = 'e2e-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const API_TOKEN = 'e2e-api-token-0123456789abcdefghijklmnopqrstuvwxyz';
const DEPLOYMENT = 'e2e';

let moto: Moto;
let ec2: EC2Client;
let bot: BotProcess;
let imds: FakeImds;
let receiver: NotificationReceiver;
const suiteStarted = Date.now();

beforeAll(async () => {
  [moto, imds, receiver] = await Promise.all([startMoto(), startFakeImds(), startNotificationReceiver()]);
  ec2 = new EC2Client(moto.clientConfig);
  bot = await startBot({
    SCHED_COMPUTE: 'ec2',
    SCHED_STORE: 'dynamodb',
    AWS_ENDPOINT_URL: moto.endpoint,
    SCHED_AMI: 'ami-12c6146b',
    SCHED_SECRET: SECRET,
    SCHED_API_TOKEN: API_TOKEN,
    SCHED_DEPLOYMENT: DEPLOYMENT,
    SCHED_POLL_SECONDS: '1',
    SCHED_CALLBACK_ALLOW_PRIVATE: 'true',
    SCHED_INSTANCE_TYPES: 't3.micro,t3.small',
    SCHED_ALLOWED_INSTANCE_TYPES: 't3.micro,t3.small,g6.xlarge',
  });
}, 60_000);

afterAll(async () => {
  const code = await bot?.stop();
  await Promise.all([moto?.stop(), imds?.close(), receiver?.close()]);
  ec2?.destroy();
  console.log(JSON.stringify({ metric: 'e2e_suite_seconds', value: (Date.now() - suiteStarted) / 1000, botExit: code }));
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
type ApiResponse = { status: number; json: any };

async function api(method: string, path: string, body?: unknown, token = API_TOKEN): Promise<ApiResponse> {
  const res = await fetch(`${bot.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const getJob = async (id: string): Promise<PublicJob> => (await api('GET', `/v1/jobs/${id}`)).json as PublicJob;

function waitForJob(id: string, predicate: (job: PublicJob) => boolean, what: string, timeoutMs = 20_000): Promise<PublicJob> {
  return eventually(async () => {
    const job = await getJob(id);
    return predicate(job) ? job : undefined;
  }, `job ${id} ${what}`, timeoutMs);
}

const spotRequestsOf = (jobId: string) => spotRequestsOfJob(ec2, jobId);
const instancesOf = (jobId: string) => instancesOfJob(ec2, jobId);
const instanceState = (instanceId: string) => instanceStateOf(ec2, instanceId);
const runInstance = (jobId: string, attempt: number, container: StubBinOptions, gate?: ContainerGate) => runJobInstance(ec2, imds.url, jobId, attempt, container, gate);

function callbacksFor(jobId: string) {
  return receiver.requests.filter((r) => r.method === 'POST' && r.body.includes(jobId));
}

describe('a job through its whole life on EC2 spot (moto)', () => {
  test('REST create → spot instance → real script → succeeded, callback signed, instance terminated', async () => {
    const hostile = '$(touch /tmp/sched-pwned) `id` \'"; rm -rf / && echo\nline2 | cat *';
    const created = await api('POST', '/v1/jobs', {
      docker_image: 'ghcr.io/acme/etl:1.4',
      command: ['python', 'run.py', hostile],
      env_vars: { MODE: 'full', HOSTILE: hostile },
      callback: `${receiver.url}/hook`,
      name: 'nightly etl',
    });
    expect(created.status).toBe(201);
    const id = (created.json as PublicJob).id;
    expect(['requested', 'launching']).toContain(created.json.status);

    // A one-time spot instance, tagged with the deployment's tags at launch, IMDSv2 only.
    const [instance] = await instancesOf(id);
    expect(Object.fromEntries((instance?.Tags ?? []).map((t) => [t.Key, t.Value]))).toMatchObject({ 'sched-job-id': id, 'sched-attempt': '1', 'sched-deployment': DEPLOYMENT });
    expect(instance).toMatchObject({ InstanceLifecycle: 'spot', MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 } });

    const { instanceId, stubs, run } = await runInstance(id, 1, { dockerOutput: 'hello from the container\n' });
    const result = await run;
    expect(result.code).toBe(0);

    const job = await waitForJob(id, (j) => j.status === 'succeeded' && j.callback_state === 'delivered', 'succeeded with callback delivered');
    expect(job).toMatchObject({ exit_code: 0, attempts: 1, interruptions: 0, log_tail: 'hello from the container\n' });

    // The container got the job's argv and env byte for byte; nothing was executed.
    const [docker] = await stubs.dockerRuns();
    expect(docker!.argv.slice(-4)).toEqual(['ghcr.io/acme/etl:1.4', 'python', 'run.py', hostile]);
    expect(docker!.argv).toContain(`HOSTILE=${hostile}`);

    // Delivered once: the receiver answered 200 the first time.
    const callbacks = callbacksFor(id);
    expect(callbacks).toHaveLength(1);
    const [callback] = callbacks;
    const ts = Number(callback!.headers['x-sched-timestamp']);
    expect(verifyCallbackSignature(SECRET, ts, callback!.body, String(callback!.headers['x-sched-signature']))).toBe(true);
    expect(callback!.headers['idempotency-key']).toBeTruthy();
    expect(JSON.parse(callback!.body)).toMatchObject({ job_id: id, status: 'succeeded', exit_code: 0, attempts: 1, interruptions: 0, name: 'nightly etl' });

    await eventually(async () => (['shutting-down', 'terminated'].includes((await instanceState(instanceId)) ?? '') ? true : undefined), 'instance terminated');
    await stubs.cleanup();
  });

  test('an instance terminated under a running job → attempt 2 → succeeded with attempts 2', async () => {
    const created = await api('POST', '/v1/jobs', { docker_image: 'alpine:3.20', command: ['sleep', '5'], callback: `${receiver.url}/hook` });
    const id = (created.json as PublicJob).id;
    // The first container runs until the test lets it end: the termination comes while it runs,
    // however long the steps before it take.
    const gate = await makeContainerGate();
    try {
      await gate.holdRuns();
      const first = await runInstance(id, 1, {}, gate);
      await waitForJob(id, (j) => j.status === 'running', 'running');
      await eventually(async () => ((await gate.arrived()).includes(`sched-${id}-1`) ? true : undefined), 'the first container');

      // AWS reclaims the instance.
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [first.instanceId] }));
      await waitForJob(id, (j) => j.attempts === 2, 'at attempt 2');

      const second = await runInstance(id, 2, { dockerOutput: 'second time lucky\n' });
      expect(second.instanceId).not.toBe(first.instanceId);
      expect((await second.run).code).toBe(0);
      const job = await waitForJob(id, (j) => j.status === 'succeeded' && j.callback_state === 'delivered', 'succeeded');
      expect(job).toMatchObject({ attempts: 2, interruptions: 1, exit_code: 0 });
      expect(JSON.parse(callbacksFor(id)[0]!.body)).toMatchObject({ status: 'succeeded', attempts: 2, interruptions: 1 });

      // The first attempt's agent finishes late: its report is stale and changes nothing.
      await gate.release(`sched-${id}-1`);
      await first.run;
      expect(await getJob(id)).toMatchObject({ status: 'succeeded', attempts: 2, interruptions: 1 });
      expect(callbacksFor(id)).toHaveLength(1);
      await Promise.all([first.stubs.cleanup(), second.stubs.cleanup()]);
    } finally {
      await gate.release(`sched-${id}-1`);
      await gate.cleanup();
    }
  }, 60_000);

  test('a container that exits 3 → failed, exit code 3, callback says so', async () => {
    const created = await api('POST', '/v1/jobs', { docker_image: 'alpine:3.20', command: ['false'], callback: `${receiver.url}/hook` });
    const id = (created.json as PublicJob).id;
    const { run, instanceId, stubs } = await runInstance(id, 1, { dockerExitCode: 3, dockerOutput: 'boom\n' });
    expect((await run).code).toBe(3);
    const job = await waitForJob(id, (j) => j.status === 'failed' && j.callback_state === 'delivered', 'failed');
    expect(job).toMatchObject({ exit_code: 3, reason: 'the container exited with code 3', log_tail: 'boom\n' });
    expect(JSON.parse(callbacksFor(id)[0]!.body)).toMatchObject({ job_id: id, status: 'failed', exit_code: 3 });
    await eventually(async () => (['shutting-down', 'terminated'].includes((await instanceState(instanceId)) ?? '') ? true : undefined), 'instance terminated');
    await stubs.cleanup();
  });

  test('cancel while requested → instance terminated', async () => {
    const created = await api('POST', '/v1/jobs', { docker_image: 'alpine:3.20', callback: `${receiver.url}/hook` });
    const id = (created.json as PublicJob).id;
    expect(created.json.status).toBe('requested');
    // One launch, one instance (moto makes no spot request for RunInstances; AWS does, tagged too).
    const instances = await instancesOf(id);
    expect(instances).toHaveLength(1);
    expect(await spotRequestsOf(id)).toEqual([]);
    const instanceId = instances[0]!.InstanceId!;

    const cancelled = await api('DELETE', `/v1/jobs/${id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.json.status).toBe('cancelled');

    await eventually(async () => (['shutting-down', 'terminated'].includes((await instanceState(instanceId)) ?? '') ? true : undefined), 'instance terminated');
    await waitForJob(id, (j) => j.callback_state === 'delivered', 'callback delivered');
    expect(JSON.parse(callbacksFor(id)[0]!.body)).toMatchObject({ status: 'cancelled' });
    // Cancelling twice is refused and changes nothing.
    expect((await api('DELETE', `/v1/jobs/${id}`)).status).toBe(400);
  });

  test('bad input to the running bot changes nothing', async () => {
    const before = await ec2.send(new DescribeInstancesCommand({}));
    const listBefore = (await api('GET', '/v1/jobs')).json.jobs.length;

    const bad: [string, string, unknown, string | undefined, number][] = [
      ['POST', '/v1/jobs', { docker_image: 'alpine' }, 'wrong-token', 401],
      ['POST', '/v1/jobs', { docker_image: 'alpine' }, '', 401],
      ['POST', '/v1/jobs', { docker_image: 'UPPER/Case' }, undefined, 400],
      ['POST', '/v1/jobs', { docker_image: 'alpine', datetime: '2001-01-01 00:00:00' }, undefined, 400],
      ['POST', '/v1/jobs', { docker_image: 'alpine', env_vars: { 'BAD KEY': 'x' } }, undefined, 400],
      ['POST', '/v1/jobs', { image: 'alpine' }, undefined, 400],
      ['POST', '/v1/jobs', { docker_image: 42 }, undefined, 400],
    ];
    for (const [method, path, body, token, status] of bad) {
      const res = await api(method, path, body, token ?? API_TOKEN);
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
      expect(res.json.error.message).toBeTruthy();
    }
    const malformed = await fetch(`${bot.url}/v1/jobs`, { method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' }, body: '{"docker_image": ' });
    expect(malformed.status).toBe(400);

    // Notifications: a real job, then forged, stale and malformed reports.
    const created = await api('POST', '/v1/jobs', { docker_image: 'alpine:3.20', datetime: '2099-01-01 00:00:00' });
    const id = created.json.id as string;
    const notify = (query: string, token: string) =>
      fetch(`${bot.url}/v1/notifications/${id}?${query}`, { method: 'PUT', headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
    expect(await notify('status=started&attempt=1', notificationToken('not-the-secret-not-the-secret-xx', id, 1))).toBe(401);
    expect(await notify('status=started&attempt=1', '')).toBe(401);
    expect(await notify('status=exploded&attempt=1', notificationToken(SECRET, id, 1))).toBe(400);
    expect(await notify('status=started&attempt=7', notificationToken(SECRET, id, 7))).toBe(409);
    expect(await fetch(`${bot.url}/v1/notifications/j-nosuchjob000?status=started&attempt=1`, { method: 'PUT', headers: { authorization: `Bearer ${notificationToken(SECRET, 'j-nosuchjob000', 1)}` } }).then((r) => r.status)).toBe(404);

    expect((await getJob(id)).status).toBe('scheduled');
    const after = await ec2.send(new DescribeInstancesCommand({}));
    expect(after.Reservations?.length).toBe(before.Reservations?.length);
    expect((await api('GET', '/v1/jobs')).json.jobs.length).toBe(listBefore + 1);
    expect((await api('DELETE', `/v1/jobs/${id}`)).status).toBe(200);
  });

  test('an instance type outside SCHED_ALLOWED_INSTANCE_TYPES is refused at creation and launches nothing', async () => {
    const before = await ec2.send(new DescribeInstancesCommand({}));
    const res = await api('POST', '/v1/jobs', { docker_image: 'alpine:3.20', instance_types: ['t3.micro', 'p5.48xlarge'] });
    expect(res.status).toBe(400);
    expect(res.json.error.problems).toEqual([
      'instance_types: "p5.48xlarge" is not allowed here; allowed: t3.micro, t3.small, g6.xlarge (the operator\'s SCHED_ALLOWED_INSTANCE_TYPES)',
    ]);
    const after = await ec2.send(new DescribeInstancesCommand({}));
    expect(after.Reservations?.length).toBe(before.Reservations?.length);
  });

  test('a GPU job, on a bot without SCHED_GPU_AMI, is refused at creation and launches nothing', async () => {
    const before = await ec2.send(new DescribeInstancesCommand({}));
    const res = await api('POST', '/v1/jobs', { docker_image: 'alpine:3.20', gpus: 'all', instance_types: ['g6.xlarge'] });
    expect(res.status).toBe(400);
    expect(res.json.error.problems).toEqual([expect.stringMatching(/^gpus: this deployment has no GPU image \(SCHED_GPU_AMI is not set\)/)]);
    const after = await ec2.send(new DescribeInstancesCommand({}));
    expect(after.Reservations?.length).toBe(before.Reservations?.length);
  });
});
