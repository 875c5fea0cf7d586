/**
 * No silence after the ack (issue 13, item 6): the real Slack surface in HTTP mode, signed
 * requests, the fake Slack Web API and a response_url receiver on loopback, and an in-memory
 * engine whose job store is wrapped to be slow, to hang or to throw. Twenty commands at once:
 * every person gets exactly one answer, saying whether anything changed; the log has the error,
 * the reply has none of it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { systemClock } from '../../bot/clock.js';
import type { SurfaceHost } from '../../bot/commands/types.js';
import type { Job } from '../../bot/core/job.js';
import { MemoryJobStore } from '../../bot/adapters/memory-store.js';
import type { JobStore } from '../../bot/ports.js';
import { createSlackSurface, type SlackSurface } from '../../bot/slack/app.js';
import { ACTION_IDS } from '../../bot/slack/render.js';
import { startNotificationReceiver, type NotificationReceiver } from '../harness/agent.js';
import { startFakeSlack, type FakeSlack } from '../harness/fake-slack.js';
import { memoryReplica } from '../harness/memory-engine.js';
import { buttonBody, homeButtonBody, signedPost, slashCommandBody } from '../harness/slack-requests.js';

const SECRET = 'after-ack-signing-secret-0123456789';
const TOKEN = 'xoxb-after-ack-token-secret';
const ALICE = 'UALICE';
const CHANNEL = 'CJOBS';
const SPEC = { image: 'alpine', command: [], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 3 };

/** How the wrapped store answers: reads (`get`, `list…`) and writes (`create`, `update`) apart. */
type Behaviour = 'ok' | { slowMs: number } | 'hang' | 'throw';

/** The memory job store, answering as the test says; a hung call waits until `release()`. */
class ControlledStore {
  reads: Behaviour = 'ok';
  writes: Behaviour = 'ok';
  private readonly hung: Array<() => void> = [];
  readonly store: JobStore;

  constructor(readonly inner = new MemoryJobStore()) {
    this.store = new Proxy(inner, {
      get: (target, property, receiver) => {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || property === 'ensureTable') return value;
        const behaviour = property === 'create' || property === 'update' ? () => this.writes : () => this.reads;
        return async (...args: unknown[]) => {
          await this.before(behaviour());
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  private async before(behaviour: Behaviour): Promise<void> {
    if (behaviour === 'ok') return;
    if (behaviour === 'throw') throw new Error('connect ECONNREFUSED 10.1.2.3:8000 (table sched-jobs-prod)');
    if (behaviour === 'hang') return new Promise((resolve) => this.hung.push(resolve));
    await new Promise((resolve) => setTimeout(resolve, behaviour.slowMs));
  }

  /** The hung calls go on (and write what they were writing). */
  release(): void {
    this.reads = 'ok';
    this.writes = 'ok';
    for (const resolve of this.hung.splice(0)) resolve();
  }
}

let slack: FakeSlack;
let responses: NotificationReceiver;
let running: { surface: SlackSurface; server: Server; store: ControlledStore } | undefined;
let logLines: string[];
let counter = 0;

beforeEach(async () => {
  [slack, responses] = await Promise.all([startFakeSlack(), startNotificationReceiver()]);
  logLines = [];
});

afterEach(async () => {
  if (running) {
    running.store.release();
    await running.surface.stop();
    running.server.closeAllConnections();
    await new Promise((resolve) => running!.server.close(resolve));
    running = undefined;
  }
  await Promise.all([slack.close(), responses.close()]);
});

async function startSched(commandDeadlineMs?: number) {
  const logs = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  const store = new ControlledStore();
  const surface = createSlackSurface({
    botToken: TOKEN,
    signingSecret: SECRET,
    apiUrl: slack.apiUrl,
    defaults: { instanceTypes: ['t3.micro'], interruptionsTolerated: 3 },
    logger: pino({ level: 'info' }, logs),
    saveMessageRef: async () => undefined,
    ...(commandDeadlineMs !== undefined && { commandDeadlineMs }),
  });
  const replica = memoryReplica({ clock: systemClock, store: store.store });
  await surface.start({ jobs: replica.engine, schedules: replica.scheduler, access: { allowedUsers: [], allowedChannels: [], admins: [] }, clock: systemClock }, {} as SurfaceHost);
  const server = createServer((req, res) => surface.eventsListener!(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  running = { surface, server, store };
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  const createJob = (): Promise<Job> => replica.engine.createJob({ spec: SPEC, runAt: new Date().toISOString(), owner: { kind: 'slack', id: ALICE }, origin: { surface: 'slack', channel: CHANNEL } });
  /** `/sched <text>`: the path its answers will be posted to. */
  const command = async (text: string): Promise<string> => {
    const path = `/response/${++counter}`;
    const ack = await signedPost(url, SECRET, slashCommandBody({ text, userId: ALICE, channelId: CHANNEL, responseUrl: `${responses.url}${path}` }));
    expect(ack.status).toBe(200);
    return path;
  };
  const click = async (actionId: string, value: string): Promise<string> => {
    const path = `/response/${++counter}`;
    const ack = await signedPost(url, SECRET, buttonBody({ actionId, value, userId: ALICE, channelId: CHANNEL, responseUrl: `${responses.url}${path}` }));
    expect(ack.status).toBe(200);
    return path;
  };
  const homeClick = async (actionId: string, value: string): Promise<void> => {
    const ack = await signedPost(url, SECRET, homeButtonBody({ actionId, value, userId: ALICE, triggerId: `trigger-${++counter}` }));
    expect(ack.status).toBe(200);
  };
  return { store, createJob, command, click, homeClick, replica };
}

/** The answers posted to each path so far (response_url posts), in order. */
function answersAt(path: string): string[] {
  return responses.requests.filter((r) => r.path === path).map((r) => (JSON.parse(r.body) as { text: string }).text);
}

/** Waits until every path has an answer, then a little more for any second one. */
async function everyoneAnswered(paths: string[], timeoutMs: number): Promise<Map<string, string[]>> {
  const until = Date.now() + timeoutMs;
  while (paths.some((path) => answersAt(path).length === 0)) {
    if (Date.now() > until) throw new Error(`no answer within ${timeoutMs} ms at ${paths.filter((p) => answersAt(p).length === 0).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  return new Map(paths.map((path) => [path, answersAt(path)]));
}

function expectNoInternals(text: string): void {
  expect(text).not.toMatch(/ECONNREFUSED|10\.1\.2\.3|sched-jobs-prod|xoxb|at .*\.ts:\d+/);
}

describe('twenty commands at once: every person gets one answer', () => {
  test('a slow store (every call 150 ms): each command answered with its outcome', async () => {
    const sched = await startSched();
    const jobs = await Promise.all(Array.from({ length: 5 }, () => sched.createJob()));
    sched.store.reads = { slowMs: 150 };
    sched.store.writes = { slowMs: 150 };
    const texts = [...jobs.map(() => 'run alpine echo hi'), 'list', 'list --all', 'list', 'list', 'list', ...jobs.map((j) => `status ${j.id}`), ...jobs.map((j) => `cancel ${j.id}`)];
    const paths = await Promise.all(texts.map((text) => sched.command(text)));
    const answers = await everyoneAnswered(paths, 20_000);
    expect([...answers.values()].map((a) => a.length)).toEqual(paths.map(() => 1));
    const all = [...answers.values()].flat();
    expect(all.filter((text) => text.includes('could not finish'))).toEqual([]);
    expect(all.filter((text) => /^Job j-\S+ is cancelled\.$/.test(text))).toHaveLength(5);
  });

  test('a store that hangs: each answered within the deadline with what changed; no second answer when it comes back', async () => {
    const sched = await startSched(1_000);
    const jobs = await Promise.all(Array.from({ length: 10 }, () => sched.createJob()));
    // Reads answer, writes hang: a cancel gets as far as its write; a list is only reading.
    sched.store.writes = 'hang';
    const started = Date.now();
    const cancels = await Promise.all(jobs.map((j) => sched.command(`cancel ${j.id}`)));
    sched.store.reads = 'hang';
    const lists = await Promise.all(Array.from({ length: 10 }, () => sched.command('list')));
    const answers = await everyoneAnswered([...cancels, ...lists], 10_000);
    expect(Date.now() - started).toBeLessThan(8_000);
    cancels.forEach((path, i) => {
      expect(answers.get(path)).toEqual([`Sched could not finish \`cancel ${jobs[i]!.id}\`: the job store did not answer within 1 s. Job ${jobs[i]!.id} may or may not be cancelled: \`/sched status ${jobs[i]!.id}\` will tell in a minute.`]);
    });
    for (const path of lists) expect(answers.get(path)).toEqual(['Sched could not finish `list`: the job store did not answer within 1 s. Nothing was changed.']);
    // The store comes back: the cancels go through, and nobody is told a second thing.
    sched.store.release();
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const path of [...cancels, ...lists]) expect(answersAt(path)).toHaveLength(1);
    const log = logLines.join('');
    expect(log).toContain('slack command failed after its ack; the person was told');
    expect(log).toContain(`"command":"cancel ${jobs[0]!.id}"`);
    expect(log).not.toContain(TOKEN);
  }, 30_000);

  test('a store that throws: every command and button answered, without the error; the log has it', async () => {
    const sched = await startSched();
    const [job] = await Promise.all([sched.createJob()]);
    sched.store.reads = 'throw';
    sched.store.writes = 'throw';
    const paths = await Promise.all([
      ...Array.from({ length: 6 }, () => sched.command('run alpine echo hi')),
      ...Array.from({ length: 6 }, () => sched.command(`cancel ${job!.id}`)),
      ...Array.from({ length: 4 }, () => sched.command('list')),
      ...Array.from({ length: 2 }, () => sched.click(ACTION_IDS.cancel, job!.id)),
      ...Array.from({ length: 2 }, () => sched.click(ACTION_IDS.retry, job!.id)),
    ]);
    const answers = await everyoneAnswered(paths, 20_000);
    const all = [...answers.values()];
    expect(all.map((a) => a.length)).toEqual(paths.map(() => 1));
    for (const [text] of all) {
      expect(text).toMatch(/^Sched could not finish `(run|cancel j-\S+|list|retry j-\S+)`: the job store failed \(the log says how\)\. /);
      expectNoInternals(text!);
    }
    // Every store call failed before writing: nothing was changed.
    expect(all.filter(([text]) => text!.endsWith('Nothing was changed.'))).toHaveLength(paths.length - 6);
    // A run's create threw: Sched cannot know whether the write landed.
    expect(all.filter(([text]) => text!.endsWith('The job may or may not have been created: `/sched list` will show it in a minute.'))).toHaveLength(6);
    const log = logLines.join('');
    expect(log).toContain('ECONNREFUSED');
    expect(log).not.toContain(TOKEN);
  }, 30_000);
});

describe('a failure after something changed says what changed', () => {
  test('a run whose answer could not be posted at first: the next answer says the job was created', async () => {
    const sched = await startSched();
    responses.respondWith(500, 200);
    const path = await sched.command('run alpine echo hi');
    const [, second] = await (async () => {
      const until = Date.now() + 10_000;
      while (answersAt(path).length < 2 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
      return answersAt(path);
    })();
    const [job] = await sched.replica.engine.listRecentJobs();
    expect(second).toBe(`Sched could not finish \`run\`: something failed inside Sched (the log says what). Job ${job!.id} was created: \`/sched status ${job!.id}\` follows it.`);
  });

  test('a Home click on a hung store, its trigger expired: the failure is put on the tab itself', async () => {
    const sched = await startSched(1_000);
    const job = await sched.createJob();
    sched.store.writes = 'hang';
    slack.errorNext('views.open', 'expired_trigger_id');
    await sched.homeClick(ACTION_IDS.cancel, job.id);
    const until = Date.now() + 8_000;
    let tab: string | undefined;
    while (!tab && Date.now() < until) {
      const publish = slack.calls.find((c) => c.method === 'views.publish');
      tab = publish ? JSON.stringify(publish.args.view) : undefined;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(tab).toContain(`Sched could not finish \`cancel ${job.id}\`: the job store did not answer within 1 s. Job ${job.id} may or may not be cancelled`);
  });
});
