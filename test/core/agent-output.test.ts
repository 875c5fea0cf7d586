/**
 * The agent's `output` reports (README.md, "Instance notifications"), with the real rendered
 * script, a stub docker and a loopback stand-in for the bot (test/harness/agent.ts): the tail of
 * the output so far arrives while the container runs, only when it changed, and never after it.
 */
import { onTestFinished, describe, expect, it } from 'vitest';
import { makeStubBin, renderServedAgentScript, runAgentScript, startNotificationReceiver, type ServedAgentInput, type StubBinOptions } from '../harness/agent.js';

const INPUT: Omit<ServedAgentInput, 'notifyBaseUrl'> = {
  jobId: 'job-out',
  attempt: 1,
  image: 'alpine:3.20',
  command: ['sh', '-c', 'echo hello'],
  env: {},
  token: 'dG9rZW4.c2lnbmF0dXJl_-',
};

async function runWithOutput(stub: StubBinOptions, env: Record<string, string>, prepare?: (bot: Awaited<ReturnType<typeof startNotificationReceiver>>) => void) {
  const stubs = await makeStubBin(stub);
  const bot = await startNotificationReceiver();
  onTestFinished(async () => {
    await bot.close();
    await stubs.cleanup();
  });
  prepare?.(bot);
  const running = runAgentScript(renderServedAgentScript(bot, { ...INPUT, notifyBaseUrl: bot.url }), {
    stubBin: stubs.dir,
    env: { SCHED_IMDS_URL: 'off', SCHED_HOST_ACTIONS: 'off', ...env },
    timeoutMs: 20_000,
  });
  return { stubs, bot, running };
}

const statusOf = (r: { query: Record<string, string> }) => r.query.status + (r.query.exit === undefined ? '' : `:${r.query.exit}`);

describe('the agent reports the output so far', () => {
  it('while the container runs: its tail, once per change, authenticated like the other reports; none after it ended', { timeout: 30_000 }, async () => {
    const { bot, running } = await runWithOutput({ dockerOutput: 'line one\nline two\n', dockerSleepMs: 3_500 }, { SCHED_OUTPUT_SECONDS: '1' });
    const first = await bot.waitFor((r) => r.query.status === 'output', 10_000);
    // It came while the container still ran: finished is not there yet.
    expect(bot.requests.map(statusOf)).not.toContain('finished:0');
    expect(first.method).toBe('PUT');
    expect(first.path).toBe('/v1/notifications/job-out');
    expect(first.query).toEqual({ status: 'output', attempt: '1' });
    expect(first.headers.authorization).toBe(`Bearer ${INPUT.token}`);
    expect(first.headers['content-type']).toBe('application/json');
    expect(JSON.parse(first.body)).toEqual({ logTail: 'line one\nline two\n' });

    const run = await running;
    expect(run.code).toBe(0);
    expect(run.strays).toEqual([]);
    // The output did not change after the first report: one report, then finished, then nothing.
    expect(bot.requests.map(statusOf)).toEqual(['started', 'output', 'finished:0']);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(bot.requests.map(statusOf)).toEqual(['started', 'output', 'finished:0']);
  });

  it('bounded: the last LOG_TAIL_BYTES of the output', { timeout: 30_000 }, async () => {
    const output = Array.from({ length: 400 }, (_, i) => `line ${i}\n`).join('');
    const stubs = await makeStubBin({ dockerOutput: output, dockerSleepMs: 2_500 });
    const bot = await startNotificationReceiver();
    onTestFinished(async () => {
      await bot.close();
      await stubs.cleanup();
    });
    const run = runAgentScript(renderServedAgentScript(bot, { ...INPUT, notifyBaseUrl: bot.url, logTailBytes: 100 }), {
      stubBin: stubs.dir,
      env: { SCHED_IMDS_URL: 'off', SCHED_HOST_ACTIONS: 'off', SCHED_OUTPUT_SECONDS: '1' },
      timeoutMs: 20_000,
    });
    const report = await bot.waitFor((r) => r.query.status === 'output', 10_000);
    expect((await run).code).toBe(0);
    expect(JSON.parse(report.body)).toEqual({ logTail: output.slice(-100) });
  });

  it('a report the bot did not take is tried again at the next look; the bot being down never holds the container up', { timeout: 30_000 }, async () => {
    const { bot, running } = await runWithOutput({ dockerOutput: 'hello\n', dockerSleepMs: 6_000 }, { SCHED_OUTPUT_SECONDS: '1' }, (b) => b.respondWith(200, 503, 503, 200));
    const run = await running;
    expect(run.code).toBe(0);
    const statuses = bot.requests.map(statusOf);
    // started 200; output 503, 503 (one try each look), then 200; nothing more until finished.
    expect(statuses.slice(0, 4)).toEqual(['started', 'output', 'output', 'output']);
    expect(statuses.at(-1)).toBe('finished:0');
    expect(statuses.filter((s) => s === 'output')).toHaveLength(3);
  });

  it('nothing before the container prints, and nothing with SCHED_OUTPUT_SECONDS longer than the run', { timeout: 30_000 }, async () => {
    const quiet = await runWithOutput({ dockerSleepMs: 2_000 }, { SCHED_OUTPUT_SECONDS: '1' });
    expect((await quiet.running).code).toBe(0);
    expect(quiet.bot.requests.map(statusOf)).toEqual(['started', 'finished:0']);
    const slow = await runWithOutput({ dockerOutput: 'hi\n', dockerSleepMs: 1_000 }, { SCHED_OUTPUT_SECONDS: '30' });
    expect((await slow.running).code).toBe(0);
    expect(slow.bot.requests.map(statusOf)).toEqual(['started', 'finished:0']);
  });
});
