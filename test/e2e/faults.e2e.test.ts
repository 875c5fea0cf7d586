/**
 * Faults, end to end (issue 13, item 2): the bot runs as its own process (`npm start`, Slack in
 * HTTP mode) with EC2 and DynamoDB behind the fault proxy in front of moto, a fake Slack and a
 * callback receiver on loopback; the test plays the instances (the real agent script from moto's
 * user data). While jobs run it throttles, fails and drops EC2 calls, makes DynamoDB unavailable
 * for 30 s, answers Slack with 429 (Retry-After) and 5xx, and takes the callback receiver down and
 * up again. Afterwards every job has ended, each delivered its one callback once per
 * Idempotency-Key, each Slack message shows the final state, Slack's Retry-After was honoured, and
 * /healthz said 503 (`store` degraded) during the outage and 200 after. The figures are printed as
 * one JSON line (`faults_e2e`).
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startFakeImds, startNotificationReceiver, type FakeImds, type NotificationReceiver } from '../harness/agent.js';
import { eventually, startBot, type BotProcess } from '../harness/bot-process.js';
import { startFakeSlack, type FakeSlack } from '../harness/fake-slack.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { instanceGone, instancesOf, runInstance } from '../harness/moto-instances.js';
import { startMoto, type Moto } from '../harness/moto.js';
import { parsePrometheusText } from '../harness/prom-text.js';
import { signedPost, slashCommandBody } from '../harness/slack-requests.js';

const SIGNING_SECRET = 'faults-signing-secret-0123456789abcdefghij';
const JOBS = 6;
const OUTAGE_MS = 30_000;
const channelOf = (i: number) => `CFAULT${i}`;

/** A callback receiver that can go down (nothing listens) and come back on the same port. */
interface Receiver {
  url: string;
  deliveries: { key: string; jobId: string; status: string; at: number }[];
  down(): Promise<void>;
  up(): Promise<void>;
}

async function startReceiver(): Promise<Receiver & { close(): Promise<void> }> {
  const deliveries: Receiver['deliveries'] = [];
  let server: Server | undefined;
  let port = 0;
  const listen = async () => {
    server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { job_id: string; status: string };
        deliveries.push({ key: String(req.headers['idempotency-key']), jobId: body.job_id, status: body.status, at: Date.now() });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  };
  const close = async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  };
  await listen();
  return { url: `http://127.0.0.1:${port}/hook`, deliveries, down: close, up: listen, close };
}

let moto: Moto;
let proxy: FaultProxy;
let ec2: EC2Client;
let slack: FakeSlack;
let imds: FakeImds;
let responses: NotificationReceiver;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let bot: BotProcess;
let responseCounter = 0;

beforeAll(async () => {
  [moto, slack, imds, responses, receiver] = await Promise.all([startMoto(), startFakeSlack(), startFakeImds(), startNotificationReceiver(), startReceiver()]);
  proxy = await startFaultProxy(moto.endpoint);
  ec2 = new EC2Client(moto.clientConfig);
  bot = await startBot({
    SCHED_COMPUTE: 'ec2',
    SCHED_STORE: 'dynamodb',
    AWS_ENDPOINT_URL: proxy.endpoint,
    SCHED_AMI: 'ami-12c6146b',
    SCHED_SECRET: 'faults-e2e-secret-0123456789abcdefghijklmnop',
    SCHED_DEPLOYMENT: 'faults-e2e',
    SCHED_POLL_SECONDS: '1',
    SCHED_CALLBACK_ALLOW_PRIVATE: 'true',
    SCHED_CHAT: 'slack',
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    SCHED_INSTANCE_TYPES: 't3.micro',
  });
}, 60_000);

afterAll(async () => {
  if (process.env.SCHED_FAULTS_LOG) writeFileSync(process.env.SCHED_FAULTS_LOG, bot?.logs.map((l) => JSON.stringify(l)).join('\n') ?? '');
  await bot?.stop();
  await Promise.all([proxy?.close(), slack?.close(), imds?.close(), responses?.close(), receiver?.close()]);
  await moto?.stop();
  ec2?.destroy();
});

async function runJob(i: number): Promise<string> {
  const responseUrl = `${responses.url}/response/${++responseCounter}`;
  const text = `run --name fault-${i} --callback ${receiver.url} alpine:3.20 echo ${i}`;
  const ack = await signedPost(`${bot.url}/slack/events`, SIGNING_SECRET, slashCommandBody({ text, userId: 'UFAULT', channelId: channelOf(i), responseUrl }));
  expect(ack.status).toBe(200);
  const path = new URL(responseUrl).pathname;
  const reply = await eventually(async () => responses.requests.find((r) => r.path === path), `the reply to job ${i}`, 60_000);
  const jobId = /\b(j-[a-z2-7]{12})\b/.exec(reply.body)?.[1];
  if (jobId) return jobId;
  // The reply waits for the first launch, which EC2's throttling can hold past the command's 10 s
  // deadline: then the answer is "may or may not have been created", and the job's own message says.
  if (!/may or may not have been created/.test(reply.body)) throw new Error(`no job id in ${reply.body}`);
  return eventually(async () => slack.messages(channelOf(i)).map((m) => /\b(j-[a-z2-7]{12})\b/.exec(JSON.stringify(m.blocks ?? m.text))?.[1]).find(Boolean), `job ${i}'s message`, 60_000);
}

async function healthz(): Promise<{ status: number; body: { ok: boolean; degraded?: { part: string; since: string; detail: string }[] } }> {
  const res = await fetch(`${bot.url}/healthz`);
  return { status: res.status, body: (await res.json()) as never };
}

async function metrics() {
  return parsePrometheusText(await (await fetch(`${bot.url}/metrics`)).text());
}

describe('faults', () => {
  test('EC2 throttled, failing and dropping, DynamoDB down 30 s, Slack 429 and 5xx, the callback receiver down: every job ends, nothing lost', async () => {
    const started = Date.now();
    // EC2: throttling, server errors and dropped connections, by operation.
    const ec2Faults = [
      proxy.inject({ service: 'ec2', action: 'RunInstances', fault: { kind: 'throttle' }, times: 4 }),
      proxy.inject({ service: 'ec2', action: 'RunInstances', fault: { kind: 'drop' }, times: 2 }),
      proxy.inject({ service: 'ec2', action: ['DescribeInstances', 'DescribeSpotInstanceRequests'], fault: { kind: 'unavailable' }, times: 4 }),
      proxy.inject({ service: 'ec2', action: 'DescribeInstances', fault: { kind: 'drop' }, times: 2 }),
      proxy.inject({ service: 'ec2', action: 'TerminateInstances', fault: { kind: 'internal' }, times: 3 }),
    ];
    // Slack: every channel rate-limited for a while, and some 5xx.
    slack.rateLimit({ retryAfterSeconds: 2, forMs: 3_000 });
    slack.failNext('chat.update', 500, 3);
    slack.failNext('chat.postMessage', 503, 2);

    const ids: string[] = [];
    for (let i = 1; i <= JOBS; i++) ids.push(await runJob(i));
    // Every job launched despite the faults (each has its instance with its user data).
    await eventually(async () => ((await Promise.all(ids.map((id) => instancesOf(ec2, id)))).every((list) => list.length > 0) ? true : undefined), 'an instance for every job', 60_000);

    // The first half run to their end while DynamoDB still answers; their callbacks go through.
    const firstHalf = ids.slice(0, JOBS / 2);
    const runs = await Promise.all(firstHalf.map((id) => runInstance(ec2, imds.url, id, 1, { dockerOutput: `${id}\n` })));
    for (const { run } of runs) expect((await run).code).toBe(0);
    await eventually(async () => (firstHalf.every((id) => receiver.deliveries.some((d) => d.jobId === id)) ? true : undefined), 'the first callbacks', 60_000);

    // The callback receiver goes down; then DynamoDB becomes unavailable (503, then dropped connections).
    await receiver.down();
    const outageStarted = Date.now();
    const unavailable = proxy.inject({ service: 'dynamodb', fault: { kind: 'unavailable' } });
    const dropped = proxy.inject({ service: 'dynamodb', fault: { kind: 'drop' } });
    // The second half's agents report while the store is down: they retry until it answers.
    const secondHalf = ids.slice(JOBS / 2);
    const laterRuns = await Promise.all(secondHalf.map((id) => runInstance(ec2, imds.url, id, 1, { dockerOutput: `${id}\n` })));
    const during = await eventually(async () => {
      const h = await healthz();
      return h.status === 503 ? h : undefined;
    }, '/healthz to say 503', OUTAGE_MS);
    expect(during.body).toMatchObject({ ok: false, degraded: [{ part: 'store', since: expect.any(String), detail: expect.any(String) }] });
    const since = Date.parse(during.body.degraded![0]!.since);
    expect(since).toBeGreaterThanOrEqual(outageStarted - 1_000);
    const degradedAfterMs = Date.now() - outageStarted;
    await new Promise((r) => setTimeout(r, OUTAGE_MS / 2 - (Date.now() - outageStarted)));
    unavailable.clear();
    await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - outageStarted)));
    expect((await healthz()).status).toBe(503);
    dropped.clear();
    const outageEnded = Date.now();

    const healthyAgain = await eventually(async () => ((await healthz()).status === 200 ? Date.now() : undefined), '/healthz to say 200 again', 60_000);
    // The second half ends now; their callbacks find the receiver down, and are tried again later.
    for (const { run } of laterRuns) expect((await run).code).toBe(0);
    await eventually(async () => ((await metrics()).sum('sched_callbacks_total', { outcome: 'failed' }) >= secondHalf.length ? true : undefined), 'callbacks refused by the receiver that is down', 60_000);
    const receiverUp = Date.now();
    await receiver.up();
    await eventually(async () => (ids.every((id) => receiver.deliveries.some((d) => d.jobId === id)) ? true : undefined), 'every callback', 90_000);
    const allDone = Date.now();

    // Every job ended, each with one callback delivered once, under one key of its own.
    for (const id of ids) {
      const delivered = receiver.deliveries.filter((d) => d.jobId === id);
      expect(delivered, id).toHaveLength(1);
      expect(delivered[0]!.status).toBe('succeeded');
    }
    expect(new Set(receiver.deliveries.map((d) => d.key)).size).toBe(JOBS);
    // Each job's Slack message reached its final state.
    for (const [i, id] of ids.entries()) {
      await eventually(async () => (slack.messages(channelOf(i + 1)).some((m) => JSON.stringify(m.blocks ?? m.text).includes(id) && /succeeded/i.test(JSON.stringify(m.blocks ?? m.text))) ? true : undefined), `job ${id}'s message in its final state`, 30_000);
    }
    // Retry-After honoured: no call to a channel before the wait its 429 announced.
    const refused = slack.refused();
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      const next = slack.calls.find((c) => c.at > r.at && c.args.channel === r.args.channel && c !== r);
      if (next) expect(next.at - r.at, `${String(r.args.channel)} after ${r.method}`).toBeGreaterThanOrEqual(r.retryAfterSeconds! * 1000 - 50);
    }
    // No instance left running for these ended jobs.
    await Promise.all([...runs, ...laterRuns].map(({ instanceId }) => instanceGone(ec2, instanceId)));
    await Promise.all([...runs, ...laterRuns].map(({ stubs }) => stubs.cleanup()));

    const m = await metrics();
    expect(m.sum('sched_aws_retries_total', { service: 'ec2' })).toBeGreaterThan(0);
    expect(m.sum('sched_aws_errors_total', { service: 'dynamodb' })).toBeGreaterThan(0);
    expect(m.sum('sched_slack_calls_total', { outcome: 'rate-limited' })).toBeGreaterThan(0);
    expect(m.sum('sched_slack_calls_total', { outcome: 'transient' })).toBeGreaterThan(0);
    expect(m.sum('sched_job_transitions_total', { status: 'succeeded' })).toBe(JOBS);
    expect(m.sum('sched_callbacks_total', { outcome: 'failed' })).toBeGreaterThanOrEqual(secondHalf.length);
    expect((await healthz()).status).toBe(200);

    console.log(JSON.stringify({
      metric: 'faults_e2e',
      jobs: JOBS,
      faults: {
        ec2: Object.fromEntries(['RequestLimitExceeded', 'ServiceUnavailable', 'InternalError'].map((code) => [code, proxy.requests.filter((r) => r.service === 'ec2' && r.code === code).length])),
        ec2Dropped: proxy.requests.filter((r) => r.service === 'ec2' && r.outcome === 'dropped').length,
        dynamodbRefused: proxy.requests.filter((r) => r.service === 'dynamodb' && r.outcome === 'refused').length,
        dynamodbDropped: proxy.requests.filter((r) => r.service === 'dynamodb' && r.outcome === 'dropped').length,
        slack429: refused.length,
        slack5xx: slack.calls.filter((c) => c.status >= 500).length,
      },
      retries: { awsSdk: m.sum('sched_aws_retries_total'), awsCallsFailed: m.sum('sched_aws_errors_total'), callbackTriesFailed: m.sum('sched_callbacks_total', { outcome: 'failed' }) },
      ec2FaultsUsed: ec2Faults.map((f) => f.applied),
      outageSeconds: (outageEnded - outageStarted) / 1000,
      healthz503AfterSeconds: degradedAfterMs / 1000,
      healthz200AfterOutageSeconds: (healthyAgain - outageEnded) / 1000,
      allDeliveredAfterOutageSeconds: (allDone - outageEnded) / 1000,
      allDeliveredAfterReceiverUpSeconds: (allDone - receiverUp) / 1000,
      wallSeconds: (Date.now() - started) / 1000,
    }));
  }, 240_000);
});
