import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { agentSpecProblems, ENV_KEY_PATTERN, MAX_AGENT_SPEC_BYTES, MAX_USER_DATA_BYTES, renderAgentScript, RESERVED_ENV_KEYS } from '../../bot/core/agent-script.js';
import { ValidationError } from '../../bot/core/errors.js';
import {
  fakeClockEnv,
  HOST_COMMAND_STUBS,
  makeStubBin,
  renderServedAgentScript,
  runAgentScript,
  startFakeImds,
  startNotificationReceiver,
  STRAY_GRACE_MS,
  type AgentScriptRun,
  type FakeImds,
  type NotificationReceiver,
  type ReceivedNotification,
  type ServedAgentInput,
  type StubBin,
  type StubBinOptions,
} from '../harness/agent.js';

const BASE_INPUT: ServedAgentInput = {
  jobId: 'job-1',
  attempt: 2,
  image: 'alpine:3.20',
  command: ['sh', '-c', 'echo hello'],
  env: { GREETING: 'hi', EMPTY: '' },
  notifyBaseUrl: 'http://127.0.0.1:9',
  token: 'dG9rZW4.c2lnbmF0dXJl_-',
};

function expectedRunArgv(input: ServedAgentInput): string[] {
  return [
    'run',
    '--rm',
    '--name',
    `sched-${input.jobId}-${input.attempt}`,
    ...Object.entries(input.env).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
    '-e',
    `SCHED_JOB_ID=${input.jobId}`,
    '-e',
    `SCHED_ATTEMPT=${input.attempt}`,
    input.image,
    ...input.command,
  ];
}

/** Every problem of the user data and of the job the agent fetches. */
function problemsOf(input: ServedAgentInput): string[] {
  const { jobId, attempt, notifyBaseUrl, token, logTailBytes, ...spec } = input;
  const problems = agentSpecProblems(spec);
  try {
    renderAgentScript({ jobId, attempt, notifyBaseUrl, token, ...(logTailBytes !== undefined && { logTailBytes }) });
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    problems.push(...(err as ValidationError).problems);
  }
  if (problems.length === 0) throw new Error('expected problems');
  return problems;
}

/** The user data alone, for `input`'s job id and attempt. */
function userDataOf(input: ServedAgentInput): string {
  return renderServedAgentScript({ serveAgentJob: () => undefined }, input);
}

/** Values that would run `touch <marker>` (or worse) if the script ever parsed them as code. */
function hostileValues(marker: string): string[] {
  return [
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `'; touch ${marker}; '`,
    `"; touch ${marker}; "`,
    `\\"$(touch ${marker})\\`,
    `a\nb\n$(touch ${marker})\n`,
    'trailing newline\n',
    '\n\n',
    `x; touch ${marker}`,
    `x && touch ${marker}`,
    `x | touch ${marker}`,
    '*',
    '$HOME ${HOME} ~',
    'ünïcødé 🎉 — 中文',
    '',
    ' leading and trailing spaces ',
    '\t\r\x01\x1b[31m',
    "it's",
    '%s %d %n',
    '-e',
  ];
}

describe('renderAgentScript (pure)', () => {
  it('renders a bash script', () => {
    const script = userDataOf(BASE_INPUT);
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    expect(script).toContain("readonly JOB_ID='job-1'");
    expect(script).toContain('readonly ATTEMPT=2');
    expect(ENV_KEY_PATTERN.test('_OK_1')).toBe(true);
  });

  it('rejects bad env keys and a bad job id, listing every problem', () => {
    const problems = problemsOf({ ...BASE_INPUT, jobId: 'job/1; rm', env: { '1BAD': 'x', 'A-B': 'y', '': 'z', 'FOO BAR': 'w', GOOD: 'v' } });
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/job id "job\/1; rm"/);
    for (const key of ['1BAD', 'A-B', '', 'FOO BAR']) expect(problems.join('\n')).toContain(`env key ${JSON.stringify(key)}`);
    expect(problems.join('\n')).not.toContain('"GOOD"');
  });

  it('refuses job env named like the variables the agent sets itself', () => {
    expect(RESERVED_ENV_KEYS).toEqual(['SCHED_JOB_ID', 'SCHED_ATTEMPT']);
    const problems = problemsOf({ ...BASE_INPUT, env: { SCHED_JOB_ID: 'other', SCHED_ATTEMPT: '9', SCHED_OTHER: 'fine', sched_job_id: 'fine' } });
    expect(problems).toEqual([
      'env key "SCHED_JOB_ID" is set by Sched itself (SCHED_JOB_ID, SCHED_ATTEMPT); choose another name',
      'env key "SCHED_ATTEMPT" is set by Sched itself (SCHED_JOB_ID, SCHED_ATTEMPT); choose another name',
    ]);
  });

  it('leaves the comments of the body out of the user data (EC2 counts every byte), but not the header', () => {
    const lines = userDataOf(BASE_INPUT).split('\n');
    const comments = lines.filter((line) => /^\s*#/.test(line));
    expect(comments[0]).toBe('#!/bin/bash');
    expect(comments.slice(1).every((line) => line.startsWith('# '))).toBe(true);
    expect(comments).toHaveLength(4);
  });

  it('rejects notify URLs that are not plain http(s) base URLs', () => {
    for (const notifyBaseUrl of ['ftp://example.com', 'file:///etc/passwd', 'not a url', 'javascript:alert(1)', 'http://x/?a=1', 'http://x/#f']) {
      expect(problemsOf({ ...BASE_INPUT, notifyBaseUrl }).join('\n')).toMatch(/notify URL/);
    }
    expect(() => userDataOf({ ...BASE_INPUT, notifyBaseUrl: 'https://sched.example.com/base/' })).not.toThrow();
  });

  it('rejects values a process cannot receive and images the CLI would read as options', () => {
    const problems = problemsOf({
      ...BASE_INPUT,
      attempt: 1.5,
      image: '--privileged',
      command: ['ok', 'nul\0byte'],
      env: { LONE: 'a\uD800b' },
      token: 'bad token\r\nX-Injected: 1',
      logTailBytes: 0,
    });
    expect(problems).toHaveLength(6);
    expect(problemsOf({ ...BASE_INPUT, image: '' })).toEqual(['image must not be empty']);
  });

  it('keeps the user data small and the same size whatever the job (its image, argv and env are fetched)', () => {
    const small = Buffer.byteLength(userDataOf({ ...BASE_INPUT, env: {}, command: [], image: 'i' }));
    const big = { ...BASE_INPUT, env: { BIG: 'v'.repeat(MAX_AGENT_SPEC_BYTES - 100) }, command: ['x'.repeat(50)] };
    expect(Buffer.byteLength(userDataOf(big))).toBe(small);
    // Measured: 11,003 bytes for a small job (and 4/3 more for every byte of its env and argv)
    // while the job was in the user data; 12,581 for any job since, with the fetch in the script.
    expect(small).toBeLessThan(MAX_USER_DATA_BYTES - 3000);
  });

  it('refuses a job over MAX_AGENT_SPEC_BYTES (image, argv and env together)', () => {
    expect(MAX_USER_DATA_BYTES).toBe(16384);
    const problems = problemsOf({ ...BASE_INPUT, env: { BIG: 'v'.repeat(MAX_AGENT_SPEC_BYTES) } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`over the limit of ${MAX_AGENT_SPEC_BYTES}`));
  });

  it('never puts a raw job value in the script text', () => {
    const marker = '/tmp/sched-never-created';
    const hostile = hostileValues(marker).filter((v) => v.length >= 4);
    const script = userDataOf({
      ...BASE_INPUT,
      image: 'registry.example.com/evil$(id):tag',
      command: hostile,
      env: Object.fromEntries(hostile.map((v, i) => [`V${i}`, v])),
      notifyBaseUrl: 'https://hooks.example.com/sched-notify-base',
      token: 'secret-bearer-token-value',
    });
    for (const value of [...hostile, 'evil$(id)', 'hooks.example.com', 'secret-bearer-token-value', marker]) {
      expect(script).not.toContain(value);
    }
    // Nor encoded: anyone with EC2 read access reads the user data.
    for (const value of [...hostile, 'registry.example.com/evil$(id):tag', ...hostile.map((v, i) => `V${i}=${v}`)]) {
      expect(script).not.toContain(Buffer.from(value, 'utf8').toString('base64'));
    }
  });
});

/** A loopback port with nothing listening: metadata that does not answer. */
async function closedLoopbackUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

interface AgentRun {
  run: AgentScriptRun;
  stubs: StubBin;
  bot: NotificationReceiver;
  input: ServedAgentInput;
  /** The agent's notifications, as `status[:exit]`. */
  statuses: string[];
}

describe('the agent script, executed with bash against stubs', () => {
  let imds: FakeImds;
  let scratch: string;

  beforeAll(async () => {
    imds = await startFakeImds();
    scratch = await mkdtemp(join(tmpdir(), 'sched-agent-script-test-'));
  });
  afterAll(async () => {
    await imds?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  async function runAgent(opts: {
    input?: Partial<ServedAgentInput>;
    stub?: StubBinOptions;
    env?: Record<string, string>;
    timeoutMs?: number;
    umask?: number;
    prepare?: (bot: NotificationReceiver, stubs: StubBin) => void;
  } = {}): Promise<AgentRun> {
    const stubs = await makeStubBin(opts.stub ?? {});
    const bot = await startNotificationReceiver();
    onTestFinished(async () => {
      await bot.close();
      await stubs.cleanup();
    });
    opts.prepare?.(bot, stubs);
    const input = { ...BASE_INPUT, notifyBaseUrl: bot.url, ...opts.input };
    const run = await runAgentScript(renderServedAgentScript(bot, input), {
      stubBin: stubs.dir,
      env: { SCHED_IMDS_URL: 'off', SCHED_HOST_ACTIONS: 'off', ...opts.env },
      timeoutMs: opts.timeoutMs ?? 10_000,
      umask: opts.umask,
    });
    // Whatever it started (the metadata watcher, its sleep) has gone with it.
    expect(run.strays).toEqual([]);
    const statuses = bot.requests.map((r) => r.query.status + (r.query.exit === undefined ? '' : `:${r.query.exit}`));
    return { run, stubs, bot, input, statuses };
  }

  function finishedBody(r: ReceivedNotification): { exitCode: number; logTail: string; ranSeconds: number; timedOut?: boolean } {
    expect(r.headers['content-type']).toBe('application/json');
    return JSON.parse(r.body) as { exitCode: number; logTail: string; ranSeconds: number; timedOut?: boolean };
  }

  it('reports started, runs the container with the exact argv, reports finished with the output tail', async () => {
    const output = 'line one\nline two\n';
    const { run, stubs, bot, input, statuses } = await runAgent({ stub: { dockerOutput: output } });
    expect(run.code).toBe(0);
    expect(statuses).toEqual(['started', 'finished:0']);
    for (const r of bot.requests) {
      expect(r.method).toBe('PUT');
      expect(r.path).toBe('/v1/notifications/job-1');
      expect(r.query.attempt).toBe('2');
      expect(r.headers.authorization).toBe(`Bearer ${input.token}`);
    }
    expect(finishedBody(bot.requests[1]!)).toEqual({ exitCode: 0, ranSeconds: expect.any(Number), logTail: output });
    expect(JSON.parse(bot.requests[0]!.body)).toEqual({ ranSeconds: expect.any(Number) });
    expect(await stubs.calls('docker')).toEqual([['pull', 'alpine:3.20'], expectedRunArgv(input)]);
    expect((await stubs.dockerRuns()).map((r) => r.argv)).toEqual([
      ['run', '--rm', '--name', 'sched-job-1-2', '-e', 'GREETING=hi', '-e', 'EMPTY=', '-e', 'SCHED_JOB_ID=job-1', '-e', 'SCHED_ATTEMPT=2', 'alpine:3.20', 'sh', '-c', 'echo hello'],
    ]);
    expect(run.stdout).toContain(output);
  });

  it('sends only the last logTailBytes of the output, JSON-escaped byte for byte', async () => {
    const tricky = 'quote " backslash \\ tab \t cr \r bell \x07 esc \x1b[0m ünï 🎉\n\nno final newline';
    const long = `${'x'.repeat(500)}\n${tricky}`;
    const whole = await runAgent({ stub: { dockerOutput: tricky } });
    expect(finishedBody(whole.bot.requests.at(-1)!).logTail).toBe(tricky);
    const cut = await runAgent({ input: { logTailBytes: Buffer.byteLength(tricky) + 10 }, stub: { dockerOutput: long } });
    expect(finishedBody(cut.bot.requests.at(-1)!).logTail).toBe(`${'x'.repeat(9)}\n${tricky}`);
  });

  it('propagates a non-zero exit code', async () => {
    const { run, bot, statuses } = await runAgent({ stub: { dockerExitCode: 3, dockerOutput: 'boom\n' } });
    expect(run.code).toBe(3);
    expect(statuses).toEqual(['started', 'finished:3']);
    expect(finishedBody(bot.requests[1]!)).toEqual({ exitCode: 3, ranSeconds: expect.any(Number), logTail: 'boom\n' });
  });

  it('reports exit 125 with the pull output when the pull fails, and never runs the container', async () => {
    const { run, stubs, bot, statuses } = await runAgent({ stub: { pullFails: true } });
    expect(run.code).toBe(125);
    expect(statuses).toEqual(['started', 'finished:125']);
    expect(finishedBody(bot.requests[1]!).logTail).toMatch(/pull access denied for alpine:3\.20/);
    expect(await stubs.dockerRuns()).toEqual([]);
  });

  it('passes hostile env values, argv and image to the container byte for byte and executes none of them', async () => {
    const marker = join(scratch, 'pwned-fixed');
    const hostile = hostileValues(marker);
    const input: Partial<ServedAgentInput> = {
      image: `img$(touch ${marker})\`touch ${marker}\`;x`,
      command: hostile,
      env: Object.fromEntries(hostile.map((v, i) => [`HOSTILE_${i}`, v])),
    };
    const { run, stubs, statuses, input: full } = await runAgent({ input });
    expect(run.code).toBe(0);
    expect(statuses).toEqual(['started', 'finished:0']);
    const runs = await stubs.dockerRuns();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.argv).toEqual(expectedRunArgv(full));
    expect(await stubs.calls('docker')).toContainEqual(['pull', full.image]);
    expect(existsSync(marker)).toBe(false);
  });

  it('property: any env values, argv and image arrive intact and nothing runs', { timeout: 120_000 }, async () => {
    const marker = join(scratch, 'pwned-property');
    const stubs = await makeStubBin({});
    const bot = await startNotificationReceiver();
    onTestFinished(async () => {
      await bot.close();
      await stubs.cleanup();
    });
    const noNul = (s: string) => s.replaceAll('\0', '');
    const fragment = fc.constantFrom('$(', ')', '`', "'", '"', '\\', '\n', ';', '&&', '|', '*', '$HOME', '~', ' ', 'touch ', marker, 'é', '🎉');
    const text = fc
      .oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom(...hostileValues(marker)), fc.array(fragment, { maxLength: 8 }).map((parts) => parts.join('')))
      .map(noNul);
    // fast-check's default size keeps strings near ten characters whatever maxLength says: `size:
    // 'max'` lets one value per input grow to kilobytes
    // (up to the 64 KiB of job values the agent fetches).
    const large = fc
      .oneof(
        fc.string({ unit: 'binary', minLength: 500, maxLength: 2000, size: 'max' }),
        fc.array(fragment, { minLength: 200, maxLength: 1000, size: 'max' }).map((parts) => parts.join('')),
      )
      .map(noNul);
    const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/).filter((k) => k !== '__proto__');
    const imageOk = (s: string) => s !== '' && !s.startsWith('-');
    const job = fc
      .record({
        env: fc.dictionary(key, text, { maxKeys: 6, size: 'max' }),
        command: fc.array(text, { maxLength: 10, size: 'max' }),
        image: text.filter(imageOk),
        large: fc.option(fc.tuple(large, fc.constantFrom('env', 'command', 'image')), { freq: 2 }),
      })
      .map(({ env, command, image, large }) => {
        if (large === null) return { env, command, image };
        const [value, where] = large;
        if (where === 'env') return { env: { ...env, LARGE_VALUE: value }, command, image };
        if (where === 'command') return { env, command: [...command, value], image };
        return { env, command, image: imageOk(value) ? value : `i${value}` };
      });
    // The largest single value that fits, and many arguments: the limits, whatever the draw.
    const room = MAX_AGENT_SPEC_BYTES - Buffer.byteLength('iBIG=');
    const largest = `$(touch ${marker})\n\`'"\\;|* `.repeat(room).slice(0, room);
    const examples: [{ env: Record<string, string>; command: string[]; image: string }][] = [
      [{ env: { BIG: largest }, command: [], image: 'i' }],
      [{ env: {}, command: Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? '' : '$(')), image: 'i' }],
    ];
    let runNumber = 0;
    let executed = 0;
    let largestExecuted = 0;
    await fc.assert(
      fc.asyncProperty(job, async ({ env, command, image }) => {
        runNumber += 1;
        const input: ServedAgentInput = { ...BASE_INPUT, jobId: `prop-${String(runNumber).padStart(3, '0')}`, env, command, image, notifyBaseUrl: bot.url };
        let script: string;
        try {
          script = renderServedAgentScript(bot, input);
        } catch (err) {
          // Too large is the only reason to refuse these values.
          expect((err as ValidationError).problems).toEqual([expect.stringMatching(/over the limit of/)]);
          return;
        }
        executed += 1;
        largestExecuted = Math.max(largestExecuted, ...[...Object.values(env), ...command, image].map((v) => Buffer.byteLength(v)));
        const run = await runAgentScript(script, {
          stubBin: stubs.dir,
          env: { SCHED_IMDS_URL: 'off', SCHED_HOST_ACTIONS: 'off' },
          timeoutMs: 10_000,
        });
        expect(run.code).toBe(0);
        const runs = await stubs.dockerRuns();
        expect(runs.at(-1)!.argv).toEqual(expectedRunArgv(input));
        expect(existsSync(marker)).toBe(false);
      }),
      { numRuns: 20, examples },
    );
    expect(executed).toBeGreaterThan(10);
    // The largest value that fits ran: 64 KiB, fetched from the bot (it was about 4.7 KB in user data).
    expect(largestExecuted).toBeGreaterThanOrEqual(Buffer.byteLength(largest));
    expect(largestExecuted).toBeGreaterThan(60_000);
  });

  it('reports interrupting once when metadata gives the spot notice, then finished: the container ended before its SIGTERM', async () => {
    imds.setInstanceAction(null);
    onTestFinished(() => imds.setInstanceAction(null));
    let noticeGiven: Promise<void> | undefined;
    const { run, stubs, statuses } = await runAgent({
      stub: { dockerSleepMs: 3000 },
      env: { SCHED_IMDS_URL: imds.url, SCHED_IMDS_POLL_SECONDS: '1' },
      prepare: (bot) => {
        noticeGiven = bot.waitFor((r) => r.query.status === 'started', 5_000).then(() => {
          imds.setInstanceAction(JSON.stringify({ action: 'terminate', time: '2030-01-01T00:02:00Z' }));
        });
      },
    });
    await noticeGiven; // a timeout there fails this test, not the run as an unhandled rejection
    expect(run.code).toBe(0);
    expect(statuses).toEqual(['started', 'interrupting', 'finished:0']);
    expect(imds.requests).toContainEqual({ method: 'PUT', path: '/latest/api/token' });
    expect(imds.requests).toContainEqual({ method: 'GET', path: '/latest/meta-data/spot/instance-action' });
    // Its SIGTERM was due 30 s before 2030: the container finished first, and nothing stopped it.
    expect((await stubs.calls('docker')).map((argv) => argv[0])).toEqual(['pull', 'run']);
    expect((await stubs.dockerRuns())[0]!.sigtermAtMs).toBeUndefined();
  });

  /** The notice's `time` as AWS writes it: ISO UTC in whole seconds. */
  function awsTime(ms: number): string {
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  /** Once the container runs, makes metadata announce the notice `body(now)` gives; resolves with when. */
  async function noticeWhileRunning(stubs: StubBin, body: (nowMs: number) => object): Promise<number> {
    const deadline = Date.now() + 10_000;
    while ((await stubs.dockerRuns()).length === 0) {
      if (Date.now() > deadline) throw new Error('the container never started');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const at = Date.now();
    imds.setInstanceAction(JSON.stringify(body(at)));
    return at;
  }

  it('stops the container at the notice time less the grace, SIGKILL 5 s before it; that exit is not reported, and the host is left to AWS', { timeout: 30_000 }, async () => {
    imds.setInstanceAction(null);
    onTestFinished(() => imds.setInstanceAction(null));
    let deadlineMs = 0;
    let noticeGiven: Promise<number> | undefined;
    const { run, stubs, statuses } = await runAgent({
      // A container that checkpoints and exits 0 on SIGTERM: still the interruption's exit.
      stub: { dockerSleepMs: 30_000, dockerTermExitCode: 0 },
      env: { SCHED_IMDS_URL: imds.url, SCHED_IMDS_POLL_SECONDS: '1', SCHED_STOP_GRACE_SECONDS: '8', SCHED_HOST_ACTIONS: 'on' },
      timeoutMs: 25_000,
      prepare: (_bot, stubs) => {
        noticeGiven = noticeWhileRunning(stubs, (now) => {
          deadlineMs = Math.floor(now / 1000) * 1000 + 12_000;
          return { action: 'terminate', time: awsTime(deadlineMs) };
        });
      },
    });
    await noticeGiven;
    expect(run.code).toBe(0);
    expect(statuses).toEqual(['started', 'interrupting']);
    const calls = await stubs.timedCalls('docker');
    expect(calls.map((c) => c.argv)).toEqual([['pull', 'alpine:3.20'], expect.arrayContaining(['run']), ['stop', '-t', '3', 'sched-job-1-2']]);
    const [container] = await stubs.dockerRuns();
    const sigterm = container!.sigtermAtMs!;
    expect(sigterm - (deadlineMs - 8_000)).toBeGreaterThanOrEqual(-50);
    expect(sigterm - (deadlineMs - 8_000)).toBeLessThan(1_000);
    expect(container!.sigkillAtMs).toBeUndefined();
    expect(await stubs.calls('shutdown')).toEqual([]);
    expect(run.stderr).toMatch(/not reporting finished/);
  });

  it.each([
    ['no time', () => ({ action: 'terminate' }), '110'],
    ['a time that does not parse', () => ({ action: 'stop', time: 'soon' }), '110'],
    ['a time nearer than the grace', (now: number) => ({ action: 'terminate', time: awsTime(now + 3_000) }), '1'],
  ])('on a notice with %s, stops the container at once', { timeout: 30_000 }, async (_what, body, killAfter) => {
    imds.setInstanceAction(null);
    onTestFinished(() => imds.setInstanceAction(null));
    let noticeGiven: Promise<number> | undefined;
    const { run, stubs, statuses } = await runAgent({
      stub: { dockerSleepMs: 30_000 },
      env: { SCHED_IMDS_URL: imds.url, SCHED_IMDS_POLL_SECONDS: '1' },
      timeoutMs: 25_000,
      prepare: (_bot, stubs) => {
        noticeGiven = noticeWhileRunning(stubs, body);
      },
    });
    const givenAt = (await noticeGiven)!;
    expect(run.code).toBe(143);
    expect(statuses).toEqual(['started', 'interrupting']);
    expect((await stubs.calls('docker')).at(-1)).toEqual(['stop', '-t', killAfter, 'sched-job-1-2']);
    const [container] = await stubs.dockerRuns();
    // One poll (1 s) and a little.
    expect(container!.sigtermAtMs! - givenAt).toBeLessThan(2_500);
  });

  it('starts no container once the notice has come during the pull, and reports nothing more', async () => {
    imds.setInstanceAction(JSON.stringify({ action: 'terminate', time: awsTime(Date.now() + 60_000) }));
    onTestFinished(() => imds.setInstanceAction(null));
    const { run, stubs, statuses } = await runAgent({
      // The pull lasts until the watcher has stopped (tried to stop) the container.
      stub: { dockerSleepMs: 30_000, pullLastsUntilStop: true },
      env: { SCHED_IMDS_URL: imds.url, SCHED_IMDS_POLL_SECONDS: '1', SCHED_STOP_GRACE_SECONDS: '120', SCHED_HOST_ACTIONS: 'on' },
      timeoutMs: 25_000,
    });
    expect(run.code).toBe(143);
    expect(statuses).toEqual(['started', 'interrupting']);
    expect(await stubs.dockerRuns()).toEqual([]);
    expect(await stubs.calls('shutdown')).toEqual([]);
  });

  it('reports a rebalance recommendation once, as an early warning that changes nothing else', async () => {
    imds.setRebalance(null);
    onTestFinished(() => imds.setRebalance(null));
    const earlier = imds.requests.length;
    let given: Promise<void> | undefined;
    const { run, stubs, statuses } = await runAgent({
      stub: { dockerSleepMs: 3500 },
      env: { SCHED_IMDS_URL: imds.url, SCHED_IMDS_POLL_SECONDS: '1' },
      prepare: (bot) => {
        given = bot.waitFor((r) => r.query.status === 'started', 5_000).then(() => imds.setRebalance(JSON.stringify({ noticeTime: awsTime(Date.now()) })));
      },
    });
    await given;
    expect(run.code).toBe(0);
    expect(statuses).toEqual(['started', 'rebalance', 'finished:0']);
    // Polled again after it was seen, and the container ran to its end.
    const polls = imds.requests.slice(earlier).filter((r) => r.path === '/latest/meta-data/spot/instance-action');
    expect(polls.length).toBeGreaterThanOrEqual(3);
    expect((await stubs.calls('docker')).map((argv) => argv[0])).toEqual(['pull', 'run']);
  });

  it('shuts down as a backstop only with host actions on and metadata answering', async () => {
    const onEc2 = await runAgent({ env: { SCHED_IMDS_URL: imds.url, SCHED_HOST_ACTIONS: 'on' } });
    expect(onEc2.run.code).toBe(0);
    expect(onEc2.statuses).toEqual(['started', 'finished:0']);
    expect(await onEc2.stubs.calls('shutdown')).toEqual([['-h', 'now']]);
    expect(await onEc2.stubs.calls('systemctl')).toEqual([['start', 'docker']]);

    const laptop = await runAgent({ env: { SCHED_IMDS_URL: imds.url, SCHED_HOST_ACTIONS: 'off' } });
    expect(laptop.run.code).toBe(0);
    for (const name of ['shutdown', 'poweroff', 'reboot', 'halt', 'systemctl', 'dnf', 'yum', 'sudo']) {
      expect(await laptop.stubs.calls(name)).toEqual([]);
    }

    // Host actions on by default, but no metadata service: not an EC2 instance.
    const noMetadata = await runAgent({ env: { SCHED_IMDS_URL: await closedLoopbackUrl(), SCHED_HOST_ACTIONS: 'on' } });
    expect(noMetadata.run.code).toBe(0);
    expect(noMetadata.statuses).toEqual(['started', 'finished:0']);
    expect(await noMetadata.stubs.calls('shutdown')).toEqual([]);
  });

  it('treats an empty or unknown SCHED_HOST_ACTIONS as off', async () => {
    for (const value of ['', 'yes', 'ON']) {
      const { stubs } = await runAgent({ env: { SCHED_IMDS_URL: imds.url, SCHED_HOST_ACTIONS: value } });
      expect(await stubs.calls('shutdown')).toEqual([]);
      expect(await stubs.calls('systemctl')).toEqual([]);
    }
  });

  it('installs the container CLI with dnf when it is missing and host actions are on', async () => {
    const { run, stubs, statuses } = await runAgent({
      env: { SCHED_IMDS_URL: 'off', SCHED_HOST_ACTIONS: 'on', SCHED_CONTAINER_CLI: 'sched-no-such-cli' },
    });
    expect(await stubs.calls('dnf')).toEqual([['install', '-y', 'docker']]);
    // The stub dnf installs nothing, so the pull cannot run.
    expect(run.code).toBe(125);
    expect(statuses).toEqual(['started', 'finished:125']);
    expect(await stubs.calls('shutdown')).toEqual([]);
  });

  it('retries a notification the bot answers with 500, and stops at 409', async () => {
    const retried = await runAgent({ prepare: (bot) => bot.respondWith(500, 500, 200) });
    expect(retried.run.code).toBe(0);
    expect(retried.statuses).toEqual(['started', 'started', 'started', 'finished:0']);

    const stale = await runAgent({ prepare: (bot) => bot.respondWith(409) });
    expect(stale.run.code).toBe(0);
    expect(stale.statuses).toEqual(['started', 'finished:0']);
    expect(stale.run.stderr).toMatch(/finished: the bot answered 409; not retrying/);
  });

  it.each([408, 429, 503])('retries a notification the bot answers with %i', async (code) => {
    const { run, statuses } = await runAgent({ prepare: (bot) => bot.respondWith(code, 200) });
    expect(run.code).toBe(0);
    expect(statuses).toEqual(['started', 'started', 'finished:0']);
    expect(run.stderr).toContain(`started: try 1 got ${code}; again in 1s`);
  });

  it.each([400, 401, 404])('does not retry a notification the bot answers with %i', async (code) => {
    const { run, statuses } = await runAgent({ prepare: (bot) => bot.respondWith(code, 200) });
    expect(run.code).toBe(0);
    expect(statuses).toEqual(['started', 'finished:0']);
    expect(run.stderr).toContain(`started: the bot answered ${code}; not retrying`);
  });

  it('gives the bot its token on curl stdin, never on a command line any local user can read', async () => {
    const { run, stubs, bot, input, statuses } = await runAgent({ stub: { passThrough: ['curl'] }, prepare: (bot) => bot.respondWith(503, 200) });
    expect(run.code).toBe(0);
    expect(statuses).toEqual(['started', 'started', 'finished:0']);
    for (const r of bot.requests) expect(r.headers.authorization).toBe(`Bearer ${input.token}`);
    expect(bot.jobFetches.map((r) => r.headers.authorization)).toEqual([`Bearer ${input.token}`]);
    // Every notification, and the fetch of the job, went through the recording curl.
    expect(await stubs.calls('curl')).toHaveLength(bot.requests.length + 1);
    for (const name of ['curl', 'docker', ...HOST_COMMAND_STUBS]) {
      for (const argv of await stubs.calls(name)) expect(argv.join(' ')).not.toContain(input.token);
    }
  });

  it('retries finished for an hour, where the other reports give up after five minutes', { timeout: 180_000 }, async () => {
    // The fake clock: each sleep moves bash's SECONDS on instead of waiting.
    const clockLog = join(scratch, 'clock-finished-window.log');
    const began = Date.now();
    const { run, statuses } = await runAgent({ env: fakeClockEnv(clockLog), prepare: (bot) => bot.respondWith(503), timeoutMs: 150_000 });
    // bash's SECONDS still counts real time too (and in whole seconds).
    const realSeconds = Math.ceil((Date.now() - began) / 1000) + 1;
    expect(run.code).toBe(0);
    const started = statuses.filter((s) => s === 'started').length;
    const finished = statuses.filter((s) => s === 'finished:0').length;
    expect(statuses).toEqual([...Array<string>(started).fill('started'), ...Array<string>(finished).fill('finished:0')]);
    expect(run.stderr).toContain(`started: giving up after ${started} tries (last answer: 503)`);
    expect(run.stderr).toContain(`finished: giving up after ${finished} tries (last answer: 503)`);
    const sleeps = (await readFile(clockLog, 'utf8')).trim().split('\n').map(Number);
    expect(sleeps).toHaveLength(started - 1 + (finished - 1));
    const total = (delays: number[]) => delays.reduce((sum, d) => sum + d, 0);
    // Back-off tops out at 30 s, so each gave up within 30 s (plus real time) of its window's end.
    const startedWaited = total(sleeps.slice(0, started - 1));
    expect(startedWaited).toBeGreaterThan(300 - 30 - realSeconds);
    expect(startedWaited).toBeLessThanOrEqual(300);
    const finishedWaited = total(sleeps.slice(started - 1));
    expect(finishedWaited).toBeGreaterThan(3600 - 30 - realSeconds);
    expect(finishedWaited).toBeLessThanOrEqual(3600);
  });

  it('stops the container at its timeout (SIGTERM, SIGKILL after the grace) and reports finished with timedOut and its run time', { timeout: 30_000 }, async () => {
    // A container that would run 30 s; it exits 143 on the stop's SIGTERM.
    const began = Date.now();
    const { run, stubs, bot, statuses } = await runAgent({ input: { timeoutSeconds: 2 }, stub: { dockerSleepMs: 30_000, dockerOutput: 'working\n' }, timeoutMs: 25_000 });
    expect(run.code).toBe(143);
    expect(statuses).toEqual(['started', 'finished:143']);
    expect((await stubs.calls('docker')).at(-1)).toEqual(['stop', '-t', '10', 'sched-job-1-2']);
    const [container] = await stubs.dockerRuns();
    // The deadline counts from the agent's start (SECONDS: whole seconds), not the bot's clock.
    expect(container!.sigtermAtMs! - began).toBeGreaterThanOrEqual(1_000);
    expect(container!.sigtermAtMs! - began).toBeLessThan(4_000);
    const body = finishedBody(bot.requests[1]!);
    expect(body).toEqual({ exitCode: 143, timedOut: true, ranSeconds: expect.any(Number), logTail: 'working\n' });
    expect(body.ranSeconds).toBeGreaterThanOrEqual(1);
    expect(body.ranSeconds).toBeLessThanOrEqual(4);
    expect(run.stderr).toMatch(/timeout of 2s is up/);
  });

  it('reports a deadline that comes during the pull as timed out (124, no container), and a container that ends in time as not timed out', { timeout: 30_000 }, async () => {
    // The pull lasts until a stop: the deadline comes before the container could start.
    const early = await runAgent({ input: { timeoutSeconds: 1 }, stub: { pullLastsUntilStop: true, dockerSleepMs: 30_000 }, timeoutMs: 25_000 });
    expect(early.run.code).toBe(124);
    expect(early.statuses).toEqual(['started', 'finished:124']);
    expect(finishedBody(early.bot.requests[1]!).timedOut).toBe(true);
    expect(await early.stubs.dockerRuns()).toEqual([]);

    const inTime = await runAgent({ input: { timeoutSeconds: 20 }, stub: { dockerSleepMs: 200 } });
    expect(inTime.run.code).toBe(0);
    expect(inTime.statuses).toEqual(['started', 'finished:0']);
    expect(finishedBody(inTime.bot.requests[1]!).timedOut).toBeUndefined();
    expect(inTime.run.strays).toEqual([]);
  });

  it('sends with each try of started how long it has run, so a bot that was down does not count its downtime', async () => {
    const clockLog = join(scratch, 'clock-started-ran.log');
    const { run, bot, statuses } = await runAgent({ env: fakeClockEnv(clockLog), prepare: (bot) => bot.respondWith(503, 503, 503, 200) });
    expect(run.code).toBe(0);
    expect(statuses).toEqual(['started', 'started', 'started', 'started', 'finished:0']);
    // Sleeps of 1, 2 and 4 s on the fake clock between the tries.
    const ran = bot.requests.slice(0, 4).map((r) => (JSON.parse(r.body) as { ranSeconds: number }).ranSeconds);
    expect(ran[0]).toBeLessThanOrEqual(1);
    expect(ran[3]! - ran[0]!).toBeGreaterThanOrEqual(7);
    expect(ran[3]! - ran[0]!).toBeLessThanOrEqual(9);
    expect(finishedBody(bot.requests[4]!).ranSeconds).toBeGreaterThanOrEqual(7);
  });

  it('keeps the files it writes private to its user, even when started with umask 000', async () => {
    const { run, stubs } = await runAgent({ umask: 0o000, stub: { recordTmpdir: true, dockerOutput: 'secret output\n' } });
    expect(run.code).toBe(0);
    const [container] = await stubs.dockerRuns();
    // The agent's work folder and the logs in it, as they were while the container ran.
    const written = Object.entries(container!.tmpdirModes).filter(([path]) => path.startsWith('sched-agent.'));
    expect(written.filter(([path]) => path.includes('/')).length).toBeGreaterThan(0);
    for (const [path, mode] of written) expect({ path, groupAndOther: mode & 0o077 }).toEqual({ path, groupAndOther: 0 });
  });

  it('polls metadata every 5 s unless SCHED_IMDS_POLL_SECONDS is a whole number above zero', { timeout: 120_000 }, async () => {
    const cases: [value: string, expected: string][] = [
      ['0', '5'],
      ['00', '5'],
      ['abc', '5'],
      ['1;x', '5'],
      ['-1', '5'],
      ['', '5'],
      ['2', '2'],
    ];
    const seen = await Promise.all(
      cases.map(async ([value]) => {
        const { run, stubs } = await runAgent({
          env: { SCHED_IMDS_URL: imds.url, SCHED_IMDS_POLL_SECONDS: value },
          // The container lasts until the watcher has polled once and gone to sleep.
          stub: { passThrough: ['sleep'], dockerRunsUntilCalled: 'sleep' },
          timeoutMs: 60_000,
        });
        expect(run.code).toBe(0);
        return [value, [...new Set((await stubs.calls('sleep')).map((argv) => argv.join(' ')))]];
      }),
    );
    expect(seen).toEqual(cases.map(([value, expected]) => [value, [expected]]));
  });

  it('leaves no process behind when it exits, not even the sleep of the metadata watcher', async () => {
    const { run, stubs } = await runAgent({
      // A poll far longer than the harness's grace: a sleep left behind cannot end in time by itself.
      env: { SCHED_IMDS_URL: imds.url, SCHED_IMDS_POLL_SECONDS: String((STRAY_GRACE_MS / 1000) * 6) },
      stub: { passThrough: ['sleep'], dockerRunsUntilCalled: 'sleep' },
      timeoutMs: 30_000,
    });
    expect(run.code).toBe(0);
    expect(await stubs.calls('sleep')).toHaveLength(1);
    expect(run.strays).toEqual([]);
  });

  it('stops the metadata watcher before reporting finished: a notice while finished is retried goes unreported', async () => {
    imds.setInstanceAction(null);
    onTestFinished(() => imds.setInstanceAction(null));
    const earlier = imds.requests.length;
    const { run, statuses } = await runAgent({
      env: { SCHED_IMDS_URL: imds.url, SCHED_IMDS_POLL_SECONDS: '1' },
      // The container lasts until the watcher has polled once.
      stub: { passThrough: ['sleep'], dockerRunsUntilCalled: 'sleep' },
      timeoutMs: 30_000,
      prepare: (bot) => {
        // finished fails twice: three seconds in which a running watcher would poll again.
        bot.respondWith(200, 503, 503, 200);
        bot
          .waitFor((r) => r.query.status === 'finished', 25_000)
          .then(() => imds.setInstanceAction(JSON.stringify({ action: 'terminate', time: '2030-01-01T00:02:00Z' })))
          .catch(() => undefined);
      },
    });
    expect(run.code).toBe(0);
    expect(imds.requests.slice(earlier)).toContainEqual({ method: 'GET', path: '/latest/meta-data/spot/instance-action' });
    expect(statuses).toEqual(['started', 'finished:0', 'finished:0', 'finished:0']);
  });
});
