/**
 * Ec2Fleet against moto (the real request/response path: tags, user data, terminate, cancel,
 * paging at 1,000 jobs) and against a loopback fake of EC2 for what moto cannot do: throttling
 * and AWS-shaped error codes.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeSpotInstanceRequestsCommand,
  type EC2Client,
  type Instance,
  RequestSpotInstancesCommand,
  type RunInstancesCommandInput,
  type Tag,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createEc2Client } from '../../bot/adapters/aws-clients.js';
import { isThrottling } from '../../bot/adapters/aws-errors.js';
import { Ec2Fleet, type Ec2FleetOptions } from '../../bot/adapters/ec2-fleet.js';
import { SpotPriceBook } from '../../bot/adapters/ec2-pools.js';
import { SCHED_TAG_KEYS } from '../../bot/core/facts.js';
import { LaunchError, type LaunchPlan } from '../../bot/ports.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { TEST_CREDENTIALS, TEST_REGION, startMoto, type Moto } from '../harness/moto.js';

// At 1,000 jobs moto is the bottleneck: measured here 15-35 s to launch the instances and 5-15 s
// per Describe of 1,000 items, depending on the machine's load.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 240_000 });
const SCALE_TIMEOUT_MS = 240_000;

const AMI = 'ami-12c6146b';

interface RecordedCall {
  command: string;
  input: Record<string, unknown>;
}

/** Records every SDK call by command name (once per logical call, before retries). */
function recordCalls(client: EC2Client): RecordedCall[] {
  const calls: RecordedCall[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push({ command: context.commandName ?? 'unknown', input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: 'initialize', name: 'recordCallsForTest' },
  );
  return calls;
}

function countByCommand(calls: RecordedCall[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const call of calls) counts[call.command] = (counts[call.command] ?? 0) + 1;
  return counts;
}

function tagMap(tags: Tag[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
}

function launch(jobId: string, attempt: number, extra: Partial<LaunchPlan> = {}): LaunchPlan {
  return {
    jobId,
    attempt,
    market: 'spot',
    pools: [{ instanceType: 't3.micro' }],
    userData: `#!/bin/bash\necho ${jobId}\n`,
    clientToken: `${jobId}-${attempt}`,
    ...extra,
  };
}

describe('Ec2Fleet on moto', () => {
  let moto: Moto;
  let client: EC2Client;
  let calls: RecordedCall[];
  let subnetIds: string[];
  let securityGroupId: string;

  function fleet(deployment: string, opts: Partial<Ec2FleetOptions> = {}): Ec2Fleet {
    return new Ec2Fleet({
      client,
      deployment,
      amiId: AMI,
      subnetIds,
      securityGroupIds: [securityGroupId],
      ...opts,
    });
  }

  async function describeInstance(instanceId: string): Promise<Instance> {
    const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    const instance = out.Reservations?.[0]?.Instances?.[0];
    if (!instance) throw new Error(`moto does not list ${instanceId}`);
    return instance;
  }

  beforeAll(async () => {
    moto = await startMoto();
    // maxAttempts 1 from the harness: moto never throttles, and a retried RequestSpotInstances on
    // moto (which ignores ClientToken) would create a second request.
    client = createEc2Client(moto.clientConfig);
    calls = recordCalls(client);
    const vpc = await client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const vpcId = vpc.Vpc!.VpcId!;
    subnetIds = [];
    for (const [cidr, az] of [['10.0.0.0/20', 'us-west-2a'], ['10.0.16.0/20', 'us-west-2b']] as const) {
      const subnet = await client.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr, AvailabilityZone: az }));
      subnetIds.push(subnet.Subnet!.SubnetId!);
    }
    const sg = await client.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'sched-worker', Description: 'workers' }));
    securityGroupId = sg.GroupId!;
  });
  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });

  /** A legacy one-time spot request, as Sched made them before RunInstances: tags on the request only. */
  async function legacyRequest(deployment: string, jobId: string, attempt: number): Promise<{ requestId: string; instanceId: string }> {
    const tags = [
      { Key: SCHED_TAG_KEYS.jobId, Value: jobId },
      { Key: SCHED_TAG_KEYS.attempt, Value: String(attempt) },
      { Key: SCHED_TAG_KEYS.deployment, Value: deployment },
      { Key: 'Name', Value: `sched ${jobId} #${attempt}` },
    ];
    const out = await client.send(
      new RequestSpotInstancesCommand({
        InstanceCount: 1,
        Type: 'one-time',
        LaunchSpecification: { ImageId: AMI, InstanceType: 't3.micro', SubnetId: subnetIds[0] },
        TagSpecifications: [{ ResourceType: 'spot-instances-request', Tags: tags }],
      }),
    );
    const request = out.SpotInstanceRequests![0]!;
    return { requestId: request.SpotInstanceRequestId!, instanceId: request.InstanceId! };
  }

  function lastRunInstances(): RunInstancesCommandInput {
    return calls.filter((c) => c.command === 'RunInstancesCommand').at(-1)!.input as unknown as RunInstancesCommandInput;
  }

  test('launch: one RunInstances makes a one-time spot instance with IMDSv2, tagged at launch', async () => {
    const f = fleet('func-launch');
    calls.length = 0;
    const result = await f.launch(launch('job-run', 1, { maxPrice: '0.05' }));
    // Subnet zones and prices are read once for the process; the launch itself is one call.
    expect(countByCommand(calls)).toEqual({ DescribeSubnetsCommand: 1, DescribeSpotPriceHistoryCommand: 1, RunInstancesCommand: 1 });
    expect(result.instanceId).toMatch(/^i-/);
    // moto makes no spot request for RunInstances (AWS does, and answers its id).
    expect(result.requestId).toBeUndefined();
    expect(result.pool).toEqual({ instanceType: 't3.micro', subnetId: subnetIds[0], zone: 'us-west-2a' });
    expect(result.refused).toEqual([]);
    expect(result.pricePerHour).toBeGreaterThan(0);

    const instance = await describeInstance(result.instanceId!);
    expect(instance.InstanceLifecycle).toBe('spot');
    expect(instance.MetadataOptions).toMatchObject({ HttpTokens: 'required', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' });
    expect(instance.InstanceType).toBe('t3.micro');
    expect(instance.ImageId).toBe(AMI);
    expect(instance.Placement?.AvailabilityZone).toBe('us-west-2a');
    expect(tagMap(instance.Tags)).toEqual({
      [SCHED_TAG_KEYS.jobId]: 'job-run',
      [SCHED_TAG_KEYS.attempt]: '1',
      [SCHED_TAG_KEYS.deployment]: 'func-launch',
      Name: 'sched job-run #1',
    });
    const sent = lastRunInstances();
    expect(sent).toMatchObject({
      MinCount: 1,
      MaxCount: 1,
      InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate', MaxPrice: '0.05' } },
      InstanceInitiatedShutdownBehavior: 'terminate',
      SecurityGroupIds: [securityGroupId],
    });
    expect(sent.TagSpecifications?.map((t) => t.ResourceType)).toEqual(['instance', 'volume', 'spot-instances-request']);
    expect(sent.ClientToken!.length).toBeLessThanOrEqual(64);
    expect(sent.ClientToken).toMatch(/^job-run-1-[0-9a-f]{32}$/);

    // The same attempt in the same pool sends the same token (EC2 then launches nothing new);
    // moto ignores it, so only the token is checked.
    calls.length = 0;
    await f.launch(launch('job-run', 1, { maxPrice: '0.05' }));
    expect(countByCommand(calls)).toEqual({ RunInstancesCommand: 1 });
    expect(lastRunInstances().ClientToken).toBe(sent.ClientToken);

    const observed = await f.observe();
    expect(observed.instances.find((i) => i.instanceId === result.instanceId)).toMatchObject({ jobId: 'job-run', attempt: 1, state: 'running', zone: 'us-west-2a', instanceType: 't3.micro' });
    expect(calls.some((c) => c.command === 'CreateTagsCommand')).toBe(false);
  });

  test('no maxPrice: no MaxPrice is sent (EC2 caps at the on-demand price); on-demand: no market options', async () => {
    await fleet('func-price').launch(launch('job-price', 1));
    expect(lastRunInstances().InstanceMarketOptions?.SpotOptions).not.toHaveProperty('MaxPrice');
    const onDemand = await fleet('func-price').launch(launch('job-od', 1, { market: 'on-demand' }));
    expect(lastRunInstances()).not.toHaveProperty('InstanceMarketOptions');
    expect(lastRunInstances().TagSpecifications?.map((t) => t.ResourceType)).toEqual(['instance', 'volume']);
    expect((await describeInstance(onDemand.instanceId!)).InstanceLifecycle).toBeUndefined();
    expect(onDemand.pricePerHour).toBeUndefined();
  });

  test('pools: the types × the subnets, cheapest first; unknown prices last in the job order; avoided pools last', async () => {
    const prices = new SpotPriceBook(client, { now: () => new Date() }, { warn: () => {} });
    const f = fleet('func-pools', { prices });
    prices.set('t3.micro', 'us-west-2a', 0.012);
    prices.set('t3.micro', 'us-west-2b', 0.004);
    prices.set('t3.small', 'us-west-2a', 0.008);
    prices.set('t3.small', 'us-west-2b', 0.02);
    const pools = [{ instanceType: 't3.micro' }, { instanceType: 't3.small' }];

    const cheapest = await f.launch(launch('job-p', 1, { pools }));
    expect(cheapest.pool).toEqual({ instanceType: 't3.micro', subnetId: subnetIds[1], zone: 'us-west-2b' });
    expect(cheapest.pricePerHour).toBe(0.004);
    expect((await describeInstance(cheapest.instanceId!)).Placement?.AvailabilityZone).toBe('us-west-2b');

    // The attempt after an interruption in t3.micro/us-west-2b goes to the next cheapest pool.
    const replaced = await f.launch(launch('job-p', 2, { pools, avoid: [{ instanceType: 't3.micro', zone: 'us-west-2b' }] }));
    expect(replaced.pool).toEqual({ instanceType: 't3.small', subnetId: subnetIds[0], zone: 'us-west-2a' });
    expect((await describeInstance(replaced.instanceId!)).InstanceType).toBe('t3.small');

    // moto's own price history is flat (0.00001 everywhere): then the job's order decides.
    const flat = await fleet('func-pools').launch(launch('job-q', 1, { pools: [{ instanceType: 't3.small' }, { instanceType: 't3.micro' }] }));
    expect(flat.pool).toEqual({ instanceType: 't3.small', subnetId: subnetIds[0], zone: 'us-west-2a' });

  });

  test('the instance profile is sent by name or by ARN (moto checks it exists in IAM: here it does not)', async () => {
    const byName = await fleet('func-profile', { instanceProfile: 'sched-worker' }).launch(launch('job-name', 1)).catch((e: unknown) => e);
    expect(lastRunInstances().IamInstanceProfile).toEqual({ Name: 'sched-worker' });
    expect(byName).toMatchObject({ code: 'NoSuchEntity' });
    const arn = 'arn:aws:iam::123456789012:instance-profile/sched-worker';
    await fleet('func-profile', { instanceProfile: arn }).launch(launch('job-arn', 1)).catch(() => undefined);
    expect(lastRunInstances().IamInstanceProfile).toEqual({ Arn: arn });
  });

  test('the first observe tags a legacy request\'s instance and leaves it out; the next one lists it, priced', async () => {
    const f = fleet('func-observe');
    const a = await legacyRequest('func-observe', 'job-a', 1);
    const b = await legacyRequest('func-observe', 'job-b', 3);
    expect(tagMap((await describeInstance(a.instanceId)).Tags)).not.toHaveProperty(SCHED_TAG_KEYS.jobId);

    const first = await f.observe();
    expect(first.instances).toEqual([]);
    expect(first.requests).toHaveLength(2);
    expect(tagMap((await describeInstance(a.instanceId)).Tags)).toEqual({
      [SCHED_TAG_KEYS.jobId]: 'job-a',
      [SCHED_TAG_KEYS.attempt]: '1',
      [SCHED_TAG_KEYS.deployment]: 'func-observe',
      Name: 'sched job-a #1',
    });

    const second = await f.observe();
    const byJob = Object.fromEntries(second.requests.map((r) => [r.jobId, r]));
    expect(byJob['job-a']).toEqual({
      requestId: a.requestId,
      jobId: 'job-a',
      attempt: 1,
      state: 'active',
      statusCode: 'fulfilled',
      instanceId: a.instanceId,
      instanceType: 't3.micro',
    });
    expect(byJob['job-b']).toMatchObject({ requestId: b.requestId, jobId: 'job-b', attempt: 3 });
    const instances = Object.fromEntries(second.instances.map((i) => [i.jobId, i]));
    expect(instances['job-a']).toMatchObject({ instanceId: a.instanceId, attempt: 1, state: 'running', instanceType: 't3.micro', zone: 'us-west-2a' });
    expect(instances['job-a']?.pricePerHour).toBeGreaterThan(0);
    expect(instances['job-b']).toMatchObject({ instanceId: b.instanceId, attempt: 3, state: 'running' });
    expect(instances['job-a']?.launchTime).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(second.instances).toHaveLength(2);
  });

  test('observe sees only its own deployment', async () => {
    await fleet('func-mine').launch(launch('mine', 1));
    await fleet('func-theirs').launch(launch('theirs', 1));
    await legacyRequest('func-theirs', 'theirs-legacy', 1);
    const snapshot = await fleet('func-mine').observe();
    expect(snapshot.instances.map((i) => i.jobId)).toEqual(['mine']);
    expect(snapshot.requests).toEqual([]);
  });

  test('user data round-trips exactly, non-ASCII and shell metacharacters included', async () => {
    const script = '#!/bin/bash\nset -euo pipefail\necho "héllo — 日本語 🚀" \'$(id)\' `uname` ; \\\n\ttrailing  \n';
    const { instanceId } = await fleet('func-userdata').launch(launch('job-ud', 1, { userData: script }));
    const attr = await client.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId!, Attribute: 'userData' }));
    const encoded = attr.UserData?.Value;
    expect(encoded).toBe(Buffer.from(script, 'utf8').toString('base64'));
    expect(Buffer.from(encoded!, 'base64').toString('utf8')).toBe(script);
  });

  test('terminate: the instance shows shutting-down/terminated; terminating again succeeds', async () => {
    const f = fleet('func-terminate');
    const { instanceId } = await f.launch(launch('job-t', 1));
    await f.terminateInstance(instanceId!);
    const snapshot = await f.observe();
    expect(['shutting-down', 'terminated']).toContain(snapshot.instances.find((i) => i.instanceId === instanceId)?.state);
    await f.terminateInstance(instanceId!);
  });

  test('cancel (a legacy request): the request is gone from observe; cancelling again succeeds', async () => {
    const f = fleet('func-cancel');
    const { requestId } = await legacyRequest('func-cancel', 'job-c', 1);
    await f.cancelRequest(requestId);
    const snapshot = await f.observe();
    expect(snapshot.requests.map((r) => r.requestId)).not.toContain(requestId);
    await f.cancelRequest(requestId);
  });

  test('cancelling and terminating unknown ids succeed', async () => {
    const f = fleet('func-unknown');
    await expect(f.cancelRequest('sir-00000000')).resolves.toBeUndefined();
    await expect(f.terminateInstance('i-0123456789abcdef0')).resolves.toBeUndefined();
  });

  test('a launch moto rejects becomes a permanent LaunchError', async () => {
    const f = fleet('func-bad', { subnetIds: ['subnet-0000000000000000'] });
    const err = await f.launch(launch('job-bad', 1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LaunchError);
    expect(err).toMatchObject({ code: 'InvalidSubnetID.NotFound', permanent: true });
  });

  describe('at 1,000 active jobs', () => {
    const JOBS = 1000;
    let f: Ec2Fleet;

    beforeAll(async () => {
      f = fleet('scale');
      const started = performance.now();
      // One at a time: moto's subnet IP allocator is not thread-safe, and concurrent launches into
      // a subnet make it answer 500 ("generator already executing").
      for (let n = 0; n < JOBS; n++) await f.launch(launch(`scale-${n}`, (n % 3) + 1));
      console.log(JSON.stringify({ metric: 'moto_run_instances_setup', jobs: JOBS, ms: Math.round(performance.now() - started) }));
    }, SCALE_TIMEOUT_MS);

    test('instances are tagged at launch: every observe costs two calls and lists them all, priced', async () => {
      calls.length = 0;
      let started = performance.now();
      const first = await f.observe();
      const firstMs = Math.round(performance.now() - started);
      const firstCounts = countByCommand(calls);
      console.log(JSON.stringify({ metric: 'ec2_calls_first_observe', active_jobs: JOBS, calls: calls.length, by_command: firstCounts, ms: firstMs }));
      // The launches read the prices already (one call per five minutes for all types).
      expect(firstCounts).toEqual({ DescribeSpotInstanceRequestsCommand: 1, DescribeInstancesCommand: 1 });
      expect(first.instances).toHaveLength(JOBS);
      const describeInputs = calls.map((c) => c.input);
      for (const input of describeInputs) {
        expect(input).toMatchObject({ MaxResults: 1000, Filters: [{ Name: 'tag:sched-deployment', Values: ['scale'] }] });
      }

      calls.length = 0;
      started = performance.now();
      const steady = await f.observe();
      const steadyMs = Math.round(performance.now() - started);
      console.log(JSON.stringify({ metric: 'ec2_calls_per_tick', active_jobs: JOBS, calls: calls.length, ms: steadyMs }));
      expect(countByCommand(calls)).toEqual({ DescribeSpotInstanceRequestsCommand: 1, DescribeInstancesCommand: 1 });

      // moto makes no spot request for RunInstances; AWS does, and they are listed too.
      expect(steady.requests).toHaveLength(0);
      expect(steady.instances).toHaveLength(JOBS);
      for (const instance of steady.instances) {
        expect(instance.state).toBe('running');
        expect(instance.pricePerHour).toBeGreaterThan(0);
      }
      expect(new Set(steady.instances.map((i) => i.jobId)).size).toBe(JOBS);
    }, SCALE_TIMEOUT_MS);
  });
});

/** A loopback stand-in for EC2 that answers each call with whatever the test scripts. */
interface FakeEc2 {
  endpoint: string;
  hits: { action: string; at: number; headers: IncomingHttpHeaders }[];
  respond: (action: string, hit: number) => { status: number; body: string };
  close(): Promise<void>;
}

function ec2Error(code: string, message = `${code}.`): string {
  return `<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>x</RequestID></Response>`;
}

const EMPTY_SPOT_REQUESTS =
  '<?xml version="1.0" encoding="UTF-8"?>\n<DescribeSpotInstanceRequestsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">' +
  '<requestId>x</requestId><spotInstanceRequestSet/></DescribeSpotInstanceRequestsResponse>';

const EMPTY_PRICES =
  '<?xml version="1.0" encoding="UTF-8"?>\n<DescribeSpotPriceHistoryResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">' +
  '<requestId>x</requestId><spotPriceHistorySet/></DescribeSpotPriceHistoryResponse>';

const ACTIVE_SPOT_REQUEST_SET =
  '<spotInstanceRequestSet><item><spotInstanceRequestId>sir-1</spotInstanceRequestId><state>active</state></item></spotInstanceRequestSet>';

async function startFakeEc2(): Promise<FakeEc2> {
  const fake: Omit<FakeEc2, 'endpoint' | 'close'> = {
    hits: [],
    respond: () => ({ status: 500, body: ec2Error('InternalError') }),
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const action = new URLSearchParams(body).get('Action') ?? '';
      fake.hits.push({ action, at: performance.now(), headers: req.headers });
      const answer = fake.respond(action, fake.hits.length);
      res.writeHead(answer.status, { 'content-type': 'text/xml;charset=UTF-8' });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

describe('EC2 errors, through a loopback fake', () => {
  let fake: FakeEc2;
  beforeAll(async () => {
    fake = await startFakeEc2();
  });
  afterAll(async () => {
    await fake?.close();
  });

  function fakeClient(maxAttempts?: number): EC2Client {
    return createEc2Client({
      endpoint: fake.endpoint,
      region: TEST_REGION,
      credentials: TEST_CREDENTIALS,
      ...(maxAttempts !== undefined && { maxAttempts }),
    });
  }

  function fakeFleet(client: EC2Client, logger?: Ec2FleetOptions['logger']): Ec2Fleet {
    return new Ec2Fleet({ client, deployment: 'fake', amiId: AMI, subnetIds: [], securityGroupIds: [], ...(logger && { logger }) });
  }

  test('RequestLimitExceeded twice, then success: the SDK retries with back-off', async () => {
    fake.hits.length = 0;
    fake.respond = (_action, hit) =>
      hit <= 2 ? { status: 503, body: ec2Error('RequestLimitExceeded', 'Request limit exceeded.') } : { status: 200, body: EMPTY_SPOT_REQUESTS };
    const client = fakeClient();
    const out = await client.send(new DescribeSpotInstanceRequestsCommand({}));
    client.destroy();

    expect(out.SpotInstanceRequests).toEqual([]);
    expect(fake.hits).toHaveLength(3);
    expect(fake.hits.map((h) => h.action)).toEqual(Array(3).fill('DescribeSpotInstanceRequests'));
    expect(fake.hits.map((h) => h.headers['amz-sdk-request'])).toEqual(['attempt=1; max=6', 'attempt=2; max=6', 'attempt=3; max=6']);
    expect(out.$metadata.attempts).toBe(3);
    const waited = out.$metadata.totalRetryDelay ?? 0;
    expect(waited).toBeGreaterThan(0);
    // The waits happened between the calls the server saw, not just in the SDK's bookkeeping.
    expect(fake.hits[2]!.at - fake.hits[0]!.at).toBeGreaterThanOrEqual(waited - 5);
    console.log(JSON.stringify({ metric: 'ec2_throttle_retry', attempts: 3, total_retry_delay_ms: waited }));
  });

  test('throttled past maxAttempts: a retryable LaunchError', async () => {
    fake.hits.length = 0;
    fake.respond = () => ({ status: 503, body: ec2Error('RequestLimitExceeded', 'Request limit exceeded.') });
    const client = fakeClient(2);
    const err = await fakeFleet(client).launch(launch('job-x', 1)).catch((e: unknown) => e);
    client.destroy();
    // The price lookup is throttled too (logged; the pools keep the job order), then the launch.
    expect(fake.hits.map((h) => h.action)).toEqual(['DescribeSpotPriceHistory', 'DescribeSpotPriceHistory', 'RunInstances', 'RunInstances']);
    expect(err).toBeInstanceOf(LaunchError);
    expect(err).toMatchObject({ code: 'RequestLimitExceeded', permanent: false });
    expect(isThrottling((err as LaunchError).cause)).toBe(true);
  });

  test.each([
    { code: 'InvalidAMIID.NotFound', status: 400, permanent: true, capacity: false },
    { code: 'InvalidParameterValue', status: 400, permanent: true, capacity: false },
    { code: 'UnauthorizedOperation', status: 403, permanent: true, capacity: false },
    { code: 'MaxSpotInstanceCountExceeded', status: 400, permanent: false, capacity: true },
    { code: 'InsufficientInstanceCapacity', status: 500, permanent: false, capacity: true },
    { code: 'SpotMaxPriceTooLow', status: 400, permanent: false, capacity: true },
  ])('RunInstances answering $code → LaunchError(permanent: $permanent, capacity: $capacity), not retried', async ({ code, status, permanent, capacity }) => {
    fake.hits.length = 0;
    fake.respond = (action) => (action === 'RunInstances' ? { status, body: ec2Error(code) } : { status: 200, body: EMPTY_PRICES });
    // Three attempts allowed: a 500 would be retried, but a capacity refusal goes to the next pool.
    const client = fakeClient(3);
    const err = await fakeFleet(client).launch(launch('job-e', 1)).catch((e: unknown) => e);
    client.destroy();
    expect(err).toBeInstanceOf(LaunchError);
    expect(err).toMatchObject({ code, permanent, capacity });
    expect(fake.hits.filter((h) => h.action === 'RunInstances')).toHaveLength(capacity || status < 500 ? 1 : 3);
    if (capacity) {
      expect((err as LaunchError).refused).toEqual([{ instanceType: 't3.micro' }]);
      expect((err as LaunchError).message).toBe('no spot capacity in t3.micro');
    }
  });

  test('AWS-shaped not-found and malformed ids are success for cancel and terminate', async () => {
    fake.respond = (action) =>
      action === 'CancelSpotInstanceRequests'
        ? { status: 400, body: ec2Error('InvalidSpotInstanceRequestID.NotFound') }
        : { status: 400, body: ec2Error('InvalidInstanceID.Malformed') };
    const client = fakeClient(1);
    const warn = vi.fn();
    const f = fakeFleet(client, { warn });
    await expect(f.cancelRequest('sir-gone')).resolves.toBeUndefined();
    await expect(f.terminateInstance('not-an-id')).resolves.toBeUndefined();
    client.destroy();
    expect(warn).toHaveBeenCalledTimes(1);
  });

  test.each([
    { listed: EMPTY_SPOT_REQUESTS, outcome: 'resolves' },
    { listed: EMPTY_SPOT_REQUESTS.replace('<spotInstanceRequestSet/>', ACTIVE_SPOT_REQUEST_SET), outcome: 'rejects' },
  ])('cancel answered by a server fault $outcome as the request is gone or still listed', async ({ listed, outcome }) => {
    fake.hits.length = 0;
    fake.respond = (action) =>
      action === 'CancelSpotInstanceRequests' ? { status: 500, body: ec2Error('InternalError') } : { status: 200, body: listed };
    const client = fakeClient(1);
    const cancelling = fakeFleet(client).cancelRequest('sir-1');
    if (outcome === 'resolves') await expect(cancelling).resolves.toBeUndefined();
    else await expect(cancelling).rejects.toMatchObject({ name: 'InternalError' });
    client.destroy();
    expect(fake.hits.map((h) => h.action)).toEqual(['CancelSpotInstanceRequests', 'DescribeSpotInstanceRequests']);
  });

  test('other failures of cancel and terminate propagate', async () => {
    fake.respond = () => ({ status: 403, body: ec2Error('UnauthorizedOperation') });
    const client = fakeClient(1);
    const f = fakeFleet(client);
    await expect(f.cancelRequest('sir-1')).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    await expect(f.terminateInstance('i-1')).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    client.destroy();
  });
});

describe('no capacity: the fault proxy in front of moto refuses pools', () => {
  let moto: Moto;
  let proxy: FaultProxy;
  let client: EC2Client;
  let subnetIds: string[];
  const pools = [{ instanceType: 'm7g.medium' }, { instanceType: 'm6g.medium' }];

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy(moto.endpoint);
    // Three attempts: the SDK would retry an HTTP 500 refusal; the fleet must not.
    client = createEc2Client({ ...proxy.clientConfig, maxAttempts: 3 });
    const vpc = await client.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
    subnetIds = [];
    for (const [cidr, az] of [['10.1.0.0/20', 'us-west-2a'], ['10.1.16.0/20', 'us-west-2b']] as const) {
      const subnet = await client.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: cidr, AvailabilityZone: az }));
      subnetIds.push(subnet.Subnet!.SubnetId!);
    }
  });
  afterAll(async () => {
    client?.destroy();
    await proxy?.close();
    await moto?.stop();
  });

  function fleet(): Ec2Fleet {
    return new Ec2Fleet({ client, deployment: 'capacity', amiId: AMI, subnetIds, securityGroupIds: [] });
  }

  test('the first pool has none: the same launch lands in the next pool at once, says which refused, and remembers it', async () => {
    proxy.reset();
    proxy.refuseCapacity({ instanceType: 'm7g.medium', availabilityZone: 'us-west-2a' });
    const f = fleet();
    const started = performance.now();
    const placed = await f.launch(launch('job-cap', 1, { pools }));
    const ms = Math.round(performance.now() - started);
    console.log(JSON.stringify({ metric: 'capacity_refusal_to_next_pool_launched', ms, run_instances: proxy.count({ action: 'RunInstances' }) }));

    expect(placed.pool).toEqual({ instanceType: 'm7g.medium', subnetId: subnetIds[1], zone: 'us-west-2b' });
    expect(placed.refused).toEqual([{ instanceType: 'm7g.medium', subnetId: subnetIds[0], zone: 'us-west-2a' }]);
    // One refused call (not retried by the SDK) and one launch.
    expect(proxy.count({ action: 'RunInstances', outcome: 'refused' })).toBe(1);
    expect(proxy.count({ action: 'RunInstances', outcome: 'forwarded' })).toBe(1);
    const instance = (await client.send(new DescribeInstancesCommand({ InstanceIds: [placed.instanceId!] }))).Reservations![0]!.Instances![0]!;
    expect(instance.Placement?.AvailabilityZone).toBe('us-west-2b');

    // The refusal is remembered: the next launch does not try that pool first.
    proxy.resetCounts();
    const next = await f.launch(launch('job-cap2', 1, { pools }));
    expect(next.refused).toEqual([]);
    expect(next.pool.zone).toBe('us-west-2b');
    expect(proxy.count({ action: 'RunInstances' })).toBe(1);
  });

  test('no pool has any: a capacity LaunchError that names every pool', async () => {
    proxy.reset();
    proxy.refuseCapacity({ instanceType: 'm7g.medium' });
    proxy.refuseCapacity({ instanceType: 'm6g.medium' });
    const err = await fleet().launch(launch('job-none', 1, { pools })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LaunchError);
    expect(err).toMatchObject({ code: 'InsufficientInstanceCapacity', permanent: false, capacity: true });
    expect((err as LaunchError).message).toBe('no spot capacity in m7g.medium/us-west-2a, m7g.medium/us-west-2b, m6g.medium/us-west-2a, m6g.medium/us-west-2b');
    expect((err as LaunchError).refused.map((p) => `${p.instanceType}/${p.zone}`)).toEqual([
      'm7g.medium/us-west-2a',
      'm7g.medium/us-west-2b',
      'm6g.medium/us-west-2a',
      'm6g.medium/us-west-2b',
    ]);
    expect(proxy.count({ action: 'RunInstances', outcome: 'refused' })).toBe(4);
    expect(proxy.count({ action: 'RunInstances', outcome: 'forwarded' })).toBe(0);
  });
});
