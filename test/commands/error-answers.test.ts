/**
 * A domain error answers the same words on every chat surface: the Slack surface in HTTP mode
 * (Bolt, signed requests, the fake Slack Web API, replies caught at their response_url) and the
 * terminal surface (piped), both on the same failing job service.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import type { CommandDeps, SurfaceHost } from '../../bot/commands/types.js';
import { ConflictError } from '../../bot/core/errors.js';
import type { Job } from '../../bot/core/job.js';
import type { JobService } from '../../bot/ports.js';
import { createSlackSurface, type SlackSurface } from '../../bot/slack/app.js';
import { ACTION_IDS } from '../../bot/slack/render.js';
import { TerminalSurface } from '../../bot/terminal/surface.js';
import { startNotificationReceiver, type NotificationReceiver } from '../harness/agent.js';
import { eventually } from '../harness/bot-process.js';
import { FakeClock } from '../harness/clock.js';
import { startFakeSlack, type FakeSlack } from '../harness/fake-slack.js';
import { memoryReplica } from '../harness/memory-engine.js';
import { buttonBody, signedPost, slashCommandBody } from '../harness/slack-requests.js';

const SIGNING_SECRET = 'slack-signing-secret-for-tests-0123456789';
const DEFAULTS = { instanceTypes: ['t3.micro'], interruptionsTolerated: 3 };
const HOST: SurfaceHost = {
  facts: { compute: { kind: 'local', containerCli: 'docker' }, store: { kind: 'embedded', path: '/tmp/x/db' }, apiUrl: 'http://127.0.0.1:9', apiTokenSet: false },
  requestStop: () => undefined,
};
const SPEC = { image: 'alpine', command: [], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 3 };

/** Collects what is written. */
class Screen extends Writable {
  text = '';
  readonly isTTY = false;
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

let slack: FakeSlack;
let responses: NotificationReceiver;
let surface: SlackSurface;
let server: Server;
let eventsUrl: string;
let job: Job;
let deps: CommandDeps;
let responseCounter = 0;

beforeAll(async () => {
  [slack, responses] = await Promise.all([startFakeSlack(), startNotificationReceiver()]);
  const clock = new FakeClock();
  const { engine, scheduler } = memoryReplica({ clock });
  job = await engine.createJob({ spec: SPEC, runAt: clock.now().toISOString(), owner: { kind: 'slack', id: 'UALICE' }, origin: { surface: 'slack', channel: 'CJOBS' } });
  // Every write loses its conditional check; reading the jobs fails outright.
  const failing = Object.create(engine) as JobService;
  failing.cancelJob = async () => {
    throw new ConflictError(`job ${job.id} kept changing under us`);
  };
  failing.retryJob = async () => {
    throw new ConflictError(`job ${job.id} is not at version 3`);
  };
  failing.listRecentJobs = async () => {
    throw new Error('the store is unreachable');
  };
  deps = { jobs: failing, schedules: scheduler, access: { allowedUsers: [], allowedChannels: [], admins: [] }, clock };
  surface = createSlackSurface({
    botToken: 'xoxb-test-token',
    signingSecret: SIGNING_SECRET,
    apiUrl: slack.apiUrl,
    defaults: DEFAULTS,
    logger: pino({ level: 'silent' }),
    saveMessageRef: async () => undefined,
  });
  await surface.start(deps, HOST);
  server = createServer((req, res) => surface.eventsListener!(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  eventsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
});

afterAll(async () => {
  await surface?.stop();
  await new Promise((resolve) => server?.close(resolve));
  await Promise.all([slack?.close(), responses?.close()]);
});

async function replyAt(responseUrl: string): Promise<{ text: string; response_type: string }> {
  const path = new URL(responseUrl).pathname;
  const hit = await eventually(async () => responses.requests.find((r) => r.path === path), `reply at ${path}`, 5_000);
  return JSON.parse(hit.body) as { text: string; response_type: string };
}

/** `/sched <text>` from Alice, who owns the job: Slack's ephemeral answer. */
async function slashCommand(text: string) {
  const responseUrl = `${responses.url}/response/${++responseCounter}`;
  const ack = await signedPost(eventsUrl, SIGNING_SECRET, slashCommandBody({ text, userId: 'UALICE', channelId: 'CJOBS', responseUrl }));
  expect(ack.status).toBe(200);
  return replyAt(responseUrl);
}

async function buttonClick(actionId: string) {
  const responseUrl = `${responses.url}/response/${++responseCounter}`;
  const ack = await signedPost(eventsUrl, SIGNING_SECRET, buttonBody({ actionId, value: job.id, userId: 'UALICE', channelId: 'CJOBS', responseUrl }));
  expect(ack.status).toBe(200);
  return replyAt(responseUrl);
}

/** The terminal's answer to one line, without its tone symbol. */
async function terminalAnswer(line: string): Promise<string> {
  const input = new PassThrough();
  const screen = new Screen();
  const terminal = new TerminalSurface({ input, output: screen, clock: deps.clock, defaults: DEFAULTS, userId: 'ada', timezone: 'UTC' });
  await terminal.start(deps, HOST);
  input.write(`${line}\n`);
  // Piped input is echoed after the prompt; the answer is the line after it.
  const answered = new RegExp(`sched> ${line}\\n(.*)\\n`);
  await vi.waitFor(() => expect(screen.text).toMatch(answered), { timeout: 5_000, interval: 10 });
  terminal.close();
  return answered.exec(screen.text)![1]!.replace(/^✗ /, '');
}

describe('a domain error answers the same words in Slack and in the terminal', () => {
  test('a lost conditional write during cancel and retry: a conflict, never silence', async () => {
    const cancelWords = `${job.id} changed while Sched was answering, so nothing was done; try again`;
    const cancelled = await slashCommand(`cancel ${job.id}`);
    expect(cancelled).toMatchObject({ response_type: 'ephemeral', text: cancelWords });
    expect(await terminalAnswer(`cancel ${job.id}`)).toBe(cancelWords);

    const retried = await slashCommand(`retry ${job.id}`);
    expect(retried.text).toBe(cancelWords);
    expect(await terminalAnswer(`retry ${job.id}`)).toBe(cancelWords);
    // The buttons run the same use cases.
    expect((await buttonClick(ACTION_IDS.cancel)).text).toBe(cancelWords);
  });

  test('a failure that is not the user\'s is answered too; only the operator\'s terminal names it', async () => {
    const answer = await slashCommand('list');
    expect(answer).toMatchObject({ response_type: 'ephemeral', text: 'Sched could not finish `list`: the job store failed (the log says how). Nothing was changed.' });
    expect(JSON.stringify(answer)).not.toContain('unreachable');
    expect(await terminalAnswer('list')).toBe('Sched could not do that: the store is unreachable');
  });
});
