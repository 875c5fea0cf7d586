/**
 * The terminal surface in-process: the real engine on in-memory twins, the prompt on stream
 * doubles — piped (not a terminal) and a fake TTY (readline in terminal mode, raw keys).
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { MemoryScheduleStore } from '../../bot/adapters/dynamo-schedules.js';
import { MemoryFleet } from '../../bot/adapters/memory-fleet.js';
import { MemoryJobStore } from '../../bot/adapters/memory-store.js';
import { OPEN_POLICY } from '../../bot/core/access.js';
import { USAGE } from '../../bot/core/parsing/help.js';
import { Engine } from '../../bot/engine/engine.js';
import { Scheduler } from '../../bot/engine/scheduler.js';
import type { CommandDeps, HostFacts } from '../../bot/commands/types.js';
import type { JobService } from '../../bot/ports.js';
import { TerminalSurface } from '../../bot/terminal/surface.js';
import { FakeClock } from '../harness/clock.js';

class FakeTtyInput extends PassThrough {
  readonly isTTY = true;
  setRawMode(): this {
    return this;
  }
}

/** Collects what is written; `isTTY` as asked. */
class Screen extends Writable {
  text = '';
  columns = 80;
  rows = 24;
  constructor(readonly isTTY: boolean) {
    super();
  }
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

const BANNER: HostFacts = {
  compute: { kind: 'local', containerCli: 'docker' },
  store: { kind: 'embedded', path: '/tmp/x/db' },
  apiUrl: 'http://127.0.0.1:8080',
  apiTokenSet: false,
};
const DEFAULTS = { instanceTypes: ['t3.micro'], interruptionsTolerated: 3 };

let scratch: string;
beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sched-terminal-unit-'));
});
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function setup(opts: { tty: boolean; historyFile?: string }) {
  const clock = new FakeClock();
  const logger = pino({ level: 'silent' });
  const input = opts.tty ? new FakeTtyInput() : new PassThrough();
  const screen = new Screen(opts.tty);
  const surface = new TerminalSurface({
    input,
    output: screen,
    clock,
    defaults: DEFAULTS,
    userId: 'ada',
    timezone: 'UTC',
    ...(opts.historyFile && { historyFile: opts.historyFile }),
    followIntervalMs: 20,
  });
  const fleet = new MemoryFleet();
  const scheduler: Scheduler = new Scheduler({ store: new MemoryScheduleStore(), createJob: (job, id) => engine.createJob(job, id), clock, logger });
  const engine: Engine = new Engine({
    store: new MemoryJobStore(),
    fleet,
    callbacks: { send: async () => ({ ok: true, statusCode: 200 }) },
    notifier: surface.notifier,
    clock,
    logger,
    scheduler,
    secret: 'terminal-test-secret-0123456789abcdefghij',
    publicUrl: 'http://127.0.0.1:9',
    pollSeconds: 30,
  });
  const requestStop = vi.fn<(reason: string) => void>();
  const start = (jobs: JobService = engine, deps: Partial<CommandDeps> = {}) => surface.start({ jobs, schedules: scheduler, access: OPEN_POLICY, clock, ...deps }, { facts: BANNER, requestStop });
  return { clock, input, screen, surface, engine, start, requestStop };
}

/** Waits until the screen shows `text` (`times` times). */
async function shown(screen: Screen, text: string, times = 1): Promise<void> {
  await vi.waitFor(() => expect(screen.text.split(text).length - 1).toBeGreaterThanOrEqual(times), { timeout: 5_000, interval: 10 });
}

describe('the terminal surface, piped (not a terminal)', () => {
  test('answers each line in order, echoing it, with the same grammar and errors as Slack', async () => {
    const { input, screen, start, requestStop } = setup({ tty: false });
    await start();
    expect(screen.text).toContain('Sched is running.');
    expect(screen.text).not.toContain('sched> \n');
    input.write('help\n/sched list\nrun\nfrobnicate\nrun alpine "unclosed\n');
    await shown(screen, '✗ Error', 3);
    const text = screen.text;
    expect(text).toContain('sched> help\n');
    expect(text).toContain(USAGE.run);
    expect(text).toContain('exit, quit or Ctrl-D leave');
    expect(text).toContain('sched> /sched list\nYour jobs\n  No jobs in the last 24 hours');
    expect(text).toContain('run needs an IMAGE');
    expect(text).toContain('unknown command "frobnicate"');
    expect(text.indexOf('sched> run\n')).toBeLessThan(text.indexOf('run needs an IMAGE'));
    expect(text.indexOf('run needs an IMAGE')).toBeLessThan(text.indexOf('sched> frobnicate'));
    expect(requestStop).not.toHaveBeenCalled();
  });

  test('run: the answer first, then the job\'s events; the end of its output when it ends', async () => {
    const { input, screen, start, engine } = setup({ tty: false });
    await start();
    input.write('run --name greet alpine echo hello\n');
    await shown(screen, 'Its updates follow here.');
    expect(screen.text).toMatch(/Job j-[a-z2-7]{12} started: greet, launching a spot instance\./);
    const id = /Job (j-[a-z2-7]{12}) started/.exec(screen.text)?.[1];
    await shown(screen, 'spot request issued');
    expect(screen.text.indexOf('Its updates follow here.')).toBeLessThan(screen.text.indexOf('spot request issued'));
    await engine.agentReport({ jobId: id!, status: 'started', attempt: 1 });
    await engine.agentReport({ jobId: id!, status: 'finished', attempt: 1, exitCode: 0, logTail: 'hello from the container\n' });
    await shown(screen, '│ hello from the container');
    expect(screen.text).toMatch(new RegExp(`${id} greet  ✓ succeeded \\(exit 0.*\\nOutput of greet  ${id}\\n  │ hello from the container\\n`));
    const owned = await engine.getJob(id!);
    expect(owned).toMatchObject({ owner: { kind: 'terminal', id: 'ada' }, origin: { surface: 'terminal' } });
  });

  test('updates that arrive before the prompt opens wait for the banner', async () => {
    const { screen, start, engine } = setup({ tty: false });
    await engine.createJob({ spec: { image: 'alpine', command: [], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 3 }, runAt: '2026-03-01T12:00:00.000Z', owner: { kind: 'api', id: 'ci' } });
    expect(screen.text).toBe('');
    await start();
    expect(screen.text.indexOf('Sched is running.')).toBe(0);
    expect(screen.text).toContain('spot request issued');
  });

  test('end of input and exit close the prompt but never stop Sched', async () => {
    for (const ending of ['exit\n', '']) {
      const { input, screen, start, requestStop } = setup({ tty: false });
      await start();
      input.end(`list\n${ending}`);
      await shown(screen, 'End of input: the prompt is closed. Sched keeps running');
      expect(screen.text).toContain('Your jobs');
      expect(requestStop).not.toHaveBeenCalled();
    }
  });

  test('exit --stop-jobs asks once: no changes nothing; yes cancels each job as cancel does, then closes the prompt', async () => {
    const { input, screen, start, engine, requestStop } = setup({ tty: false });
    await start();
    input.write('run --in 1h alpine true\nexit --stop-jobs\nn\n');
    await shown(screen, 'Nothing was cancelled; the jobs and Sched keep running.');
    const id = /Job (j-[a-z2-7]{12}) is scheduled/.exec(screen.text)![1]!;
    expect(screen.text).toContain('sched> exit --stop-jobs\nCancel 1 waiting job? [y/N]\nCancel 1 waiting job? [y/N] n\n⊘ Nothing was cancelled');
    expect((await engine.getJob(id))!.status).toBe('scheduled');
    input.end('list\nexit --stop-jobs\nyes\n');
    await shown(screen, 'End of input: the prompt is closed.');
    expect(screen.text).toContain(`Cancel 1 waiting job? [y/N] yes\n⊘ Job ${id} is cancelled.`);
    expect(screen.text.indexOf('Your jobs')).toBeLessThan(screen.text.lastIndexOf('Cancel 1 waiting job?'));
    const cancelled = (await engine.getJob(id))!;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.events.map((e) => e.kind)).toContain('cancelled');
    expect(requestStop).not.toHaveBeenCalled();
  });

  test('exit --stop-jobs with no job left says so and leaves; exit takes nothing else', async () => {
    const { input, screen, start } = setup({ tty: false });
    await start();
    input.end('exit now\nexit --stop-jobs\n');
    await shown(screen, 'End of input');
    expect(screen.text).toContain('exit takes only --stop-jobs, not "now"');
    expect(screen.text).toContain('Usage: exit [--stop-jobs]');
    expect(screen.text).toContain('sched> exit --stop-jobs\n⊘ No jobs to cancel.\n');
  });

  test('the per-person caps hold at the terminal as on Slack; an admin is exempt', async () => {
    const limits = { activeJobsPerUser: 1, schedulesPerUser: 1 };
    const capped = setup({ tty: false });
    await capped.start(capped.engine, { limits });
    capped.input.write('run --in 1h alpine true\nrun alpine true\n');
    await shown(capped.screen, '✗ you already have 1 jobs that have not ended (the limit is 1, SCHED_MAX_ACTIVE_JOBS_PER_USER); cancel some or let them finish');
    expect(capped.screen.text.match(/Job j-[a-z2-7]{12} is scheduled/g)).toHaveLength(1);

    const admin = setup({ tty: false });
    await admin.start(admin.engine, { limits, access: { ...OPEN_POLICY, admins: ['ada'] } });
    admin.input.write('run --in 1h alpine true\nrun alpine true\n');
    await shown(admin.screen, 'Its updates follow here.', 2);
    expect(admin.screen.text).not.toContain('SCHED_MAX_ACTIVE_JOBS_PER_USER');
  });

  test('a failing service is answered and the prompt lives on', async () => {
    const { input, screen, start, engine } = setup({ tty: false });
    const broken = Object.create(engine) as JobService;
    broken.listRecentJobs = async () => {
      throw new Error('the store is unreachable');
    };
    await start(broken);
    input.write('list\nhelp status\n');
    await shown(screen, USAGE.status);
    expect(screen.text).toContain('✗ Sched could not do that: the store is unreachable');
  });
});

describe('the terminal surface, interactive (a TTY)', () => {
  test.each([
    ['exit', 'exit\r', 'exit'],
    ['quit', 'QUIT\r', 'exit'],
    ['Ctrl-D', '\u0004', 'exit'],
    ['Ctrl-C', 'half typed\u0003', 'Ctrl-C'],
  ])('%s stops Sched cleanly (through requestStop, as SIGTERM)', async (_name, keys, reason) => {
    const { input, screen, start, requestStop, surface } = setup({ tty: true });
    await start();
    expect(screen.text).toContain('sched> ');
    input.write(keys);
    await vi.waitFor(() => expect(requestStop).toHaveBeenCalledWith(reason), { timeout: 2_000, interval: 10 });
    expect(requestStop).toHaveBeenCalledTimes(1);
    surface.close();
    expect(screen.text).toMatch(/Stopping Sched…\n$/);
  });

  test('stopping says how many jobs keep running for the next start, and how to cancel them', async () => {
    const { input, screen, start, engine, requestStop, surface, clock } = setup({ tty: true });
    await start();
    const spec = { image: 'alpine', command: [], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 3 };
    const running = await engine.createJob({ spec, runAt: clock.now().toISOString(), owner: { kind: 'api', id: 'ci' } });
    await engine.agentReport({ jobId: running.id, status: 'started', attempt: 1 });
    await engine.createJob({ spec, runAt: new Date(clock.now().getTime() + 3600_000).toISOString(), owner: { kind: 'api', id: 'ci' } });
    input.write('exit\r');
    await vi.waitFor(() => expect(requestStop).toHaveBeenCalledWith('exit'), { timeout: 2_000, interval: 10 });
    await surface.stop();
    expect(screen.text).toMatch(/Stopping Sched…\n⊘ 1 job keeps running on this machine and 1 waits; the next `npm start` picks them up\. `exit --stop-jobs` cancels them\.\n$/);
    expect((await engine.getJob(running.id))!.status).toBe('running');
  });

  test('nothing left: stopping says only that it stops', async () => {
    const { start, surface, screen } = setup({ tty: true });
    await start();
    await surface.stop();
    expect(screen.text).toMatch(/Stopping Sched…\n$/);
  });

  test.each([
    ['y', true],
    ['', false],
    ['no', false],
  ])('exit --stop-jobs asks on the prompt line; %j', async (answer, cancels) => {
    const { input, screen, start, engine, requestStop, clock } = setup({ tty: true });
    await start();
    const job = await engine.createJob({ spec: { image: 'alpine', command: [], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 3 }, runAt: clock.now().toISOString(), owner: { kind: 'api', id: 'ci' } });
    await engine.agentReport({ jobId: job.id, status: 'started', attempt: 1 });
    input.write('exit --stop-jobs\r');
    await shown(screen, 'Cancel 1 running job? [y/N] ');
    input.write(`${answer}\r`);
    if (cancels) {
      await vi.waitFor(() => expect(requestStop).toHaveBeenCalledWith('exit'), { timeout: 2_000, interval: 10 });
      expect(screen.text).toContain(`Job ${job.id} is cancelled.`);
      expect((await engine.getJob(job.id))!.status).toBe('cancelled');
    } else {
      await shown(screen, 'Nothing was cancelled; the jobs and Sched keep running.');
      // Back at the usual prompt, still running.
      await vi.waitFor(() => expect(screen.text.lastIndexOf('sched> ')).toBeGreaterThan(screen.text.indexOf('Nothing was cancelled')), { timeout: 2_000, interval: 10 });
      expect(requestStop).not.toHaveBeenCalled();
      expect((await engine.getJob(job.id))!.status).toBe('running');
    }
  });

  test('history: kept in the data dir (owner-only), recalled with the up arrow after a restart', async () => {
    const historyFile = join(scratch, 'history');
    const first = setup({ tty: true, historyFile });
    await first.start();
    first.input.write('list\r');
    await shown(first.screen, 'Your jobs');
    first.input.write('help cron\r');
    await vi.waitFor(async () => expect(await readFile(historyFile, 'utf8').catch(() => '')).toBe('list\nhelp cron\n'), { timeout: 2_000, interval: 10 });
    first.surface.close();

    const second = setup({ tty: true, historyFile });
    await second.start();
    second.input.write('\u001b[A\u001b[A\r');
    await shown(second.screen, 'Your jobs');
    expect((await stat(historyFile)).mode & 0o777).toBe(0o600);
    second.surface.close();
  });

  test('an unusable history file costs the history, not the prompt', async () => {
    const blocker = join(scratch, 'a-file');
    await writeFile(blocker, 'x');
    // Under a regular file: reading and writing both fail, even for root.
    const { input, screen, start, surface } = setup({ tty: true, historyFile: join(blocker, 'history') });
    await start();
    input.write('list\r');
    await shown(screen, 'Your jobs');
    input.write('help\r');
    await shown(screen, 'In this terminal');
    surface.close();
  });

  test('an update while a line is being typed is printed above the prompt, and the line is drawn again', async () => {
    const { input, screen, start, engine, clock } = setup({ tty: true });
    await start();
    input.write('list --a');
    await shown(screen, 'list --a');
    const before = screen.text.length;
    await engine.createJob({ spec: { image: 'alpine', command: [], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 3 }, runAt: clock.now().toISOString(), owner: { kind: 'api', id: 'ci' } });
    const after = screen.text.slice(before);
    expect(after).toContain('spot request issued');
    // Ends with the prompt and the typed text, drawn again after the update.
    expect(after.lastIndexOf('sched> ')).toBeGreaterThan(after.indexOf('spot request issued'));
    expect(after.slice(after.lastIndexOf('sched> '))).toMatch(/^sched> list --a/);
  });
});

describe('logs -f at the prompt', () => {
  test('prints new output as the agent reports it; Ctrl-C stops following, not Sched, and the prompt comes back', async () => {
    const { input, screen, start, engine, requestStop } = setup({ tty: true });
    await start();
    input.write('run --name talk alpine\r');
    await shown(screen, 'Its updates follow here.');
    const id = /Job (j-[a-z2-7]{12}) started/.exec(screen.text)![1]!;
    await engine.agentReport({ jobId: id, status: 'started', attempt: 1 });
    await engine.recordOutput({ jobId: id, attempt: 1, logTail: 'line one\n' });
    input.write(`logs -f ${id}\r`);
    await shown(screen, `Following the output of ${id}`);
    expect(screen.text).toContain('The job is running: output so far');
    await engine.recordOutput({ jobId: id, attempt: 1, logTail: 'line one\nline two\npart' });
    await shown(screen, '│ line two');
    expect(screen.text).not.toContain('│ part');
    expect(screen.text.split('│ line one')).toHaveLength(2);
    input.write('\x03');
    await shown(screen, `Stopped following ${id}; the job goes on.`);
    expect(requestStop).not.toHaveBeenCalled();
    // Following is over: Ctrl-C now stops Sched, as it always does.
    input.write('\x03');
    await vi.waitFor(() => expect(requestStop).toHaveBeenCalledWith('Ctrl-C'), { timeout: 5_000 });
  });

  test('ends by itself when the job ends, with its last output and how it ended', async () => {
    const { input, screen, start, engine } = setup({ tty: true });
    await start();
    input.write('run --name talk alpine\r');
    await shown(screen, 'Its updates follow here.');
    const id = /Job (j-[a-z2-7]{12}) started/.exec(screen.text)![1]!;
    await engine.agentReport({ jobId: id, status: 'started', attempt: 1 });
    input.write(`logs --follow ${id}\r`);
    await shown(screen, `Following the output of ${id}`);
    await engine.agentReport({ jobId: id, status: 'finished', attempt: 1, exitCode: 0, logTail: 'all done' });
    await shown(screen, `${id} has ended: Succeeded`);
    const tail = screen.text.slice(screen.text.indexOf(`Following the output of ${id}`));
    expect(tail.indexOf('│ all done')).toBeLessThan(tail.indexOf(`${id} has ended`));
  });

  test('on a job that has ended, logs -f is logs', async () => {
    const { input, screen, start, engine } = setup({ tty: false });
    await start();
    input.write('run --name talk alpine\n');
    await shown(screen, 'Its updates follow here.');
    const id = /Job (j-[a-z2-7]{12}) started/.exec(screen.text)![1]!;
    await engine.agentReport({ jobId: id, status: 'finished', attempt: 1, exitCode: 0, logTail: 'done\n' });
    input.write(`logs -f ${id}\nlist\n`);
    await shown(screen, 'sched> list');
    expect(screen.text).not.toContain('Following the output');
  });
});
