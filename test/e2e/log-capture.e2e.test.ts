/**
 * Nothing logs a secret (issue 13, security): real bot processes, at log level `trace`, are driven
 * through every path that carries one — the REST API (good, bad and forged tokens, malformed
 * bodies with env values in them), instance notifications (the real agent script from moto's user
 * data, plus forged and misplaced tokens), callbacks (a token in the URL; delivered, failing,
 * refused for credentials), Slack in HTTP mode (signed and forged commands, buttons) and Slack in
 * Socket Mode — and then everything each process wrote (its pino JSON lines on stdout, and any
 * other stdout or stderr line) is searched for every secret, token and env value, in clear and in
 * base64 (the agent script carries job values as base64 literals).
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { PublicJob } from '../../bot/http/public-job.js';
import { notificationToken } from '../../bot/security/hmac.js';
import { startFakeImds, startNotificationReceiver, type FakeImds, type NotificationReceiver } from '../harness/agent.js';
import { eventually, startBot, type BotProcess } from '../harness/bot-process.js';
import { startFakeSlack, type FakeSlack } from '../harness/fake-slack.js';
import { instanceGone, runInstance } from '../harness/moto-instances.js';
import { startMoto, type Moto } from '../harness/moto.js';
import { startFakeSocketMode, type FakeSocketMode } from '../harness/socket-mode.js';
import { buttonBody, signedPost, slashCommandBody } from '../harness/slack-requests.js';

// Every secret is distinct, long and plain ASCII, so a leak is a substring whatever the escaping.
const SECRET = 'logcap-hmac-secret-Q7v2Lr9Xw4Nk8Bz3Tp6Hs1Jd5Fg0Mc';
const API_TOKEN = 'logcap-api-token-Zx8Vb3Nm6Qw1Er4Ty7Ui0Op2As5Df9';
const WRONG_TOKEN = 'logcap-wrong-token-Gh5Jk8Lz1Xc4Vb7Nm0Qw3Er6Ty9Ui2';
const BOT_TOKEN = 'xoxb-logcap-bot-token-Pa3Sd6Fg9Hj2Kl5Zx8Cv1Bn4Mq7';
const APP_TOKEN = 'xapp-logcap-app-token-Wq2Er5Ty8Ui1Op4As7Df0Gh3Jk6';
const SIGNING_SECRET = 'logcap-signing-secret-Lk9Jh6Gf3Ds0Az7Xs4Cd1Vf8Bg5';
const ENV_REST = 'logcap-env-rest-Mn4Bv7Cx0Zl3Kj6Hg9Fd2Sa5Qw8Er1';
const ENV_SLACK = 'logcap-env-slack-Ty6Ui9Op2As5Df8Gh1Jk4Lz7Xc0Vb3';
const ENV_REFUSED = 'logcap-env-refused-Rt1Yu4Io7Pa0Sd3Fg6Hj9Kl2Zx5Cv8';
const ENV_SOCKET = 'logcap-env-socket-Nb5Vc8Xz1Lk4Jh7Gf0Ds3Aq6We9Rt2';
const ENV_DRY_RUN = 'logcap-env-dryrun-Ui3Op6As9Df2Gh5Jk8Lz1Xc4Vb7Nm0';
const CALLBACK_TOKEN = 'logcap-callback-token-Qa2Ws5Ed8Rf1Tg4Yh7Uj0Ik3Ol6';
const CALLBACK_PASSWORD = 'logcap-callback-password-Zq9Xw6Ec3Rv0Tb7Yn4Um1Ik8';
const CHANNEL = 'CLOGCAP';
const ALICE = 'UALICE';

const FORBIDDEN: Record<string, string> = {
  SCHED_SECRET: SECRET,
  SCHED_API_TOKEN: API_TOKEN,
  'a wrong bearer token': WRONG_TOKEN,
  SLACK_BOT_TOKEN: BOT_TOKEN,
  SLACK_APP_TOKEN: APP_TOKEN,
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  'a REST job env value': ENV_REST,
  'a Slack job env value': ENV_SLACK,
  'an env value of a refused request': ENV_REFUSED,
  'a Socket Mode job env value': ENV_SOCKET,
  'a dry run env value': ENV_DRY_RUN,
  'a callback URL token': CALLBACK_TOKEN,
  'a callback URL password': CALLBACK_PASSWORD,
};

/**
 * The forms a secret can take in a log: itself, and base64 of it at each of the three byte
 * alignments it may have inside a longer encoded string (only the characters its own bytes decide).
 */
function leakForms(secret: string): string[] {
  const forms = [secret];
  for (let pad = 0; pad < 3; pad++) {
    const encoded = Buffer.concat([Buffer.alloc(pad, 0x20), Buffer.from(secret)]).toString('base64');
    forms.push(encoded.slice(pad === 0 ? 0 : 4, -4), Buffer.from(secret).toString('base64url').slice(0, -4));
  }
  return [...new Set(forms)];
}

/** Every notification token a job id seen in the output could have (attempts 0 to 5), by the bot's own HMAC. */
function notificationTokensFor(text: string): Record<string, string> {
  const tokens: Record<string, string> = {};
  for (const jobId of new Set(text.match(/\bj-[a-z0-9-]{4,}\b/g) ?? [])) {
    for (let attempt = 0; attempt <= 5; attempt++) tokens[`the notification token of ${jobId} attempt ${attempt}`] = notificationToken(SECRET, jobId, attempt);
  }
  return tokens;
}

/** Everything the process wrote: its JSON log lines as written, and its other lines. */
function everythingWritten(bot: BotProcess): string {
  return [...bot.logs.map((entry) => JSON.stringify(entry)), ...bot.stderr].join('\n');
}

function leaksIn(output: string): string[] {
  const found: string[] = [];
  for (const [what, secret] of Object.entries({ ...FORBIDDEN, ...notificationTokensFor(output) })) {
    const form = leakForms(secret).find((f) => output.includes(f));
    if (form) found.push(`${what} (${form === secret ? 'in clear' : 'as base64'}): ${output.split('\n').find((line) => line.includes(form))}`);
  }
  return found;
}

test('the leak check finds a secret in clear and in base64 at any alignment', () => {
  expect(leaksIn(`{"msg":"x","env":"${ENV_REST}"}`)).toHaveLength(1);
  for (const prefix of ['', 'K=', 'KE=', 'KEY=']) {
    expect(leaksIn(Buffer.from(`${prefix}${ENV_SLACK}\n`).toString('base64')), prefix).toHaveLength(1);
  }
  expect(leaksIn(`token ${notificationToken(SECRET, 'j-abcdefghijkl', 2)} for j-abcdefghijkl`)).toHaveLength(1);
  expect(leaksIn('{"msg":"sched is running","jobId":"j-abcdefghijkl"}')).toEqual([]);
});

describe('one bot: REST, notifications, callbacks and Slack in HTTP mode, on moto', () => {
  let moto: Moto;
  let ec2: EC2Client;
  let slack: FakeSlack;
  let imds: FakeImds;
  let receiver: NotificationReceiver;
  let failing: NotificationReceiver;
  let bot: BotProcess;
  let responseCounter = 0;

  beforeAll(async () => {
    [moto, slack, imds, receiver, failing] = await Promise.all([startMoto(), startFakeSlack(), startFakeImds(), startNotificationReceiver(), startNotificationReceiver()]);
    failing.respondWith(500);
    ec2 = new EC2Client(moto.clientConfig);
    bot = await startBot({
      SCHED_COMPUTE: 'ec2',
      SCHED_STORE: 'dynamodb',
      AWS_ENDPOINT_URL: moto.endpoint,
      SCHED_AMI: 'ami-12c6146b',
      SCHED_SECRET: SECRET,
      SCHED_API_TOKEN: API_TOKEN,
      SCHED_DEPLOYMENT: 'logcap',
      SCHED_POLL_SECONDS: '1',
      SCHED_CALLBACK_ALLOW_PRIVATE: 'true',
      SCHED_INSTANCE_TYPES: 't3.micro',
      SCHED_CHAT: 'slack',
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      SCHED_LOG_LEVEL: 'trace',
    }, { readyTimeoutMs: 90_000 });
  }, 120_000);

  afterAll(async () => {
    await bot?.stop();
    await Promise.all([moto?.stop(), slack?.close(), imds?.close(), receiver?.close(), failing?.close()]);
    ec2?.destroy();
  });

  async function api(method: string, path: string, body?: unknown, token = API_TOKEN): Promise<{ status: number; json: PublicJob }> {
    const res = await fetch(`${bot.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : undefined) as PublicJob };
  }

  const waitForJob = (id: string, predicate: (job: PublicJob) => boolean, what: string) =>
    eventually(async () => {
      const { json } = await api('GET', `/v1/jobs/${id}`);
      return predicate(json) ? json : undefined;
    }, `job ${id} ${what}`, 30_000);

  async function sched(text: string, opts: { signature?: string } = {}) {
    const responseUrl = `${receiver.url}/response/${++responseCounter}`;
    const ack = await signedPost(`${bot.url}/slack/events`, SIGNING_SECRET, slashCommandBody({ text, userId: ALICE, channelId: CHANNEL, responseUrl }), opts);
    const path = new URL(responseUrl).pathname;
    return { ack, reply: async () => JSON.parse((await eventually(async () => receiver.requests.find((r) => r.path === path), `reply at ${path}`)).body) as { text: string } };
  }

  test('a REST job with a secret env value and a callback token runs to its end on the real agent', async () => {
    const created = await api('POST', '/v1/jobs', {
      docker_image: 'alpine:3.20',
      command: ['sh', '-c', 'echo "$DB_PASSWORD"'],
      env_vars: { DB_PASSWORD: ENV_REST },
      callback: `${receiver.url}/hook?token=${CALLBACK_TOKEN}`,
      name: 'logcap-rest',
    });
    expect(created.status).toBe(201);
    const id = created.json.id;
    // The container prints the secret: its output reaches the job's log tail, not the bot's log.
    const instance = await runInstance(ec2, imds.url, id, 1, { dockerOutput: `${ENV_REST}\n` });
    expect((await instance.run).code).toBe(0);
    const job = await waitForJob(id, (j) => j.status === 'succeeded' && j.callback_state === 'delivered', 'succeeded with its callback delivered');
    expect(job.log_tail).toContain(ENV_REST);
    expect(receiver.requests.some((r) => r.path === '/hook' && r.query.token === CALLBACK_TOKEN)).toBe(true);
    await instanceGone(ec2, instance.instanceId);
    await instance.stubs.cleanup();

    // Notifications the bot refuses: another attempt's token, a wrong token, an unknown job.
    const notify = (jobId: string, query: string, token: string, body?: unknown) =>
      fetch(`${bot.url}/v1/notifications/${jobId}?${query}`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) }).then((r) => r.status);
    expect(await notify(id, 'status=finished&attempt=1&exit=0', notificationToken(SECRET, id, 2), { exitCode: 0, logTail: ENV_REST })).toBe(401);
    expect(await notify(id, 'status=started&attempt=2', notificationToken(SECRET, id, 2))).toBeGreaterThanOrEqual(400);
    expect(await notify(id, 'status=started&attempt=1', WRONG_TOKEN)).toBe(401);
    expect(await notify('j-nosuchjob000', 'status=started&attempt=1', notificationToken(SECRET, 'j-nosuchjob000', 1))).toBe(404);
  }, 90_000);

  test('refused REST requests carrying secrets: a wrong token, malformed bodies, a callback with credentials', async () => {
    expect((await api('POST', '/v1/jobs', { docker_image: 'alpine', env_vars: { K: ENV_REFUSED } }, WRONG_TOKEN)).status).toBe(401);
    expect((await api('GET', '/v1/jobs', undefined, `${API_TOKEN}x`)).status).toBe(401);
    expect((await api('POST', '/v1/jobs', `{"docker_image":"alpine","env_vars":{"K":"${ENV_REFUSED}"`)).status).toBe(400);
    expect((await api('POST', '/v1/jobs', { docker_image: 'alpine', env_vars: { 'not a key': ENV_REFUSED } })).status).toBe(400);
    expect((await api('POST', '/v1/jobs', { docker_image: 'alpine', env_vars: { K: ENV_REFUSED }, callback: `http://hook:${CALLBACK_PASSWORD}@127.0.0.1:9/hook` })).status).toBe(400);
    expect((await api('POST', '/v1/jobs', { docker_image: 'alpine', env_vars: { K: ENV_REFUSED }, callback: `http://127.0.0.1:9/hook?token=${CALLBACK_TOKEN}`, max_price: 'lots' })).status).toBe(400);
    const dry = await api('POST', '/v1/jobs', { docker_image: 'alpine', env_vars: { K: ENV_DRY_RUN }, dry_run: true });
    expect(dry.status).toBe(200);
    // A scheduled job whose callback changes to another URL with a token.
    const later = await api('POST', '/v1/jobs', { docker_image: 'alpine', datetime: '2099-01-01 00:00:00', env_vars: { K: ENV_REST } });
    expect(later.status).toBe(201);
    expect((await api('PUT', `/v1/jobs/${later.json.id}`, { callback: `${receiver.url}/changed?token=${CALLBACK_TOKEN}` })).status).toBe(200);
    expect((await api('DELETE', `/v1/jobs/${later.json.id}`)).status).toBe(200);
  });

  test('a job whose callback receiver fails: the failure is retried and reported without its URL\'s token', async () => {
    const created = await api('POST', '/v1/jobs', { docker_image: 'alpine', env_vars: { DB_PASSWORD: ENV_REST }, callback: `${failing.url}/hook?token=${CALLBACK_TOKEN}` });
    expect(created.status).toBe(201);
    const instance = await runInstance(ec2, imds.url, created.json.id, 1, { dockerExitCode: 3 });
    await instance.run;
    await waitForJob(created.json.id, (j) => j.status === 'failed', 'failed');
    await eventually(async () => (failing.requests.filter((r) => r.path === '/hook').length >= 2 ? true : undefined), 'a retried callback', 30_000);
    await instance.stubs.cleanup();
  }, 90_000);

  test('Slack: a signed run with a secret env and a callback token, a forged one, status, logs and a button', async () => {
    const forged = await sched(`run -e API_KEY=${ENV_SLACK} alpine true`, { signature: 'v0=' + '0'.repeat(64) });
    expect(forged.ack.status).toBe(401);
    const run = await sched(`run --name logcap-slack -e API_KEY=${ENV_SLACK} --callback "${receiver.url}/slack-hook?token=${CALLBACK_TOKEN}" alpine:3.20 env`);
    expect(run.ack.status).toBe(200);
    const jobId = /\b(j-[a-z2-7]{12})\b/.exec((await run.reply()).text)![1]!;
    const instance = await runInstance(ec2, imds.url, jobId, 1, { dockerOutput: `API_KEY=${ENV_SLACK}\n` });
    expect((await instance.run).code).toBe(0);
    await waitForJob(jobId, (j) => j.status === 'succeeded' && j.callback_state === 'delivered', 'succeeded with its callback delivered');
    expect((await (await sched(`logs ${jobId}`)).reply()).text + JSON.stringify(await (await sched(`status ${jobId}`)).reply())).toBeTruthy();
    const refused = await sched(`run -e API_KEY=${ENV_REFUSED} --callback "http://u:${CALLBACK_PASSWORD}@127.0.0.1:9/x" alpine true`);
    expect((await refused.reply()).text).toMatch(/credentials/);
    const later = /\b(j-[a-z2-7]{12})\b/.exec((await (await sched(`run --in 1h -e API_KEY=${ENV_SLACK} alpine true`)).reply()).text)![1]!;
    const responseUrl = `${receiver.url}/response/${++responseCounter}`;
    const ack = await signedPost(`${bot.url}/slack/events`, SIGNING_SECRET, buttonBody({ actionId: 'job_cancel', value: later, userId: ALICE, channelId: CHANNEL, responseUrl }));
    expect(ack.status).toBe(200);
    await eventually(async () => receiver.requests.find((r) => r.path === new URL(responseUrl).pathname), 'the button reply');
    await instance.stubs.cleanup();
  }, 90_000);

  test('after all of it, and its shutdown, nothing the bot wrote holds a secret, token or env value', async () => {
    await bot.stop();
    const output = everythingWritten(bot);
    // The capture saw the work: a leak would have been there to find.
    expect(bot.logs.length).toBeGreaterThan(50);
    expect(output).toMatch(/"msg":"client error"/);
    expect(output).toMatch(/\/v1\/notifications\/j-/);
    expect(output).toMatch(/"msg":"slack command"/);
    expect(leaksIn(output)).toEqual([]);
  }, 30_000);
});

describe('one bot: Slack in Socket Mode, local compute', () => {
  let slack: FakeSlack;
  let responses: NotificationReceiver;
  let socketMode: FakeSocketMode;
  let bot: BotProcess;
  let dataDir: string;

  beforeAll(async () => {
    socketMode = await startFakeSocketMode();
    [slack, responses] = await Promise.all([startFakeSlack({ socketModeUrl: socketMode.url }), startNotificationReceiver()]);
    dataDir = await mkdtemp(join(tmpdir(), 'sched-logcap-'));
    bot = await startBot({
      SCHED_COMPUTE: 'local',
      SCHED_STORE: 'embedded',
      SCHED_DATA_DIR: dataDir,
      SCHED_SECRET: SECRET,
      SCHED_API_TOKEN: API_TOKEN,
      SCHED_CHAT: 'slack',
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_APP_TOKEN: APP_TOKEN,
      SLACK_API_URL: slack.apiUrl,
      SCHED_ALLOWED_USERS: ALICE,
      SCHED_CALLBACK_ALLOW_PRIVATE: 'true',
      SCHED_LOG_LEVEL: 'trace',
    }, { readyTimeoutMs: 90_000 });
  }, 120_000);

  afterAll(async () => {
    await bot?.stop();
    await socketMode?.close();
    await Promise.all([slack?.close(), responses?.close()]);
    await rm(dataDir, { recursive: true, force: true, maxRetries: 5 });
  });

  test('a command over the socket with a secret env value leaves no secret in what the bot wrote', async () => {
    const socket = await eventually(async () => socketMode.sockets[0], 'the bot to connect over Socket Mode');
    const payload = { token: 'legacy', team_id: 'T0001', channel_id: CHANNEL, user_id: ALICE, command: '/sched', api_app_id: 'A0001', trigger_id: '1.2.3' };
    socket.send(JSON.stringify({ envelope_id: 'env-1', type: 'slash_commands', accepts_response_payload: true, payload: { ...payload, text: `run --in 1h -e API_KEY=${ENV_SOCKET} --callback "http://127.0.0.1:9/x?token=${CALLBACK_TOKEN}" alpine true`, response_url: `${responses.url}/response/1` } }));
    socket.send(JSON.stringify({ envelope_id: 'env-2', type: 'slash_commands', accepts_response_payload: true, payload: { ...payload, user_id: 'UOTHER', text: `run -e API_KEY=${ENV_SOCKET} alpine true`, response_url: `${responses.url}/response/2` } }));
    const reply = await eventually(async () => responses.requests.find((r) => r.path === '/response/1'), 'the reply');
    expect(JSON.parse(reply.body).text).toMatch(/Job j-[a-z2-7]{12} is scheduled for/);
    await eventually(async () => responses.requests.find((r) => r.path === '/response/2'), 'the refusal of a user not allowed');
    await bot.stop();
    const output = everythingWritten(bot);
    expect(output).toMatch(/"mode":"socket"/);
    expect(leaksIn(output)).toEqual([]);
  }, 60_000);
});
