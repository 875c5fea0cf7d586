/**
 * The Slack notifier against the fake Web API on loopback, through a real `WebClient` built as
 * main.ts builds it (no retries of its own, 429s thrown). Render functions are plain text so the
 * assertions can read what the user would see.
 */
import { webApi } from '@slack/bolt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobStatus, type ChatOrigin, type Job, type JobEvent, type JobEventKind } from '../../bot/core/job.js';
import { SlackNotifier, type JobMessageRenderer, type SlackNotifierOptions } from '../../bot/slack/notifier.js';
import { PLATFORM_RATE_LIMIT_PAUSE_MS } from '../../bot/slack/web-api-errors.js';
import { describeEvent } from '../../bot/core/view/event-words.js';
import { startFakeSlack, type FakeSlack, type FakeSlackCall, type FakeSlackOptions } from '../harness/fake-slack.js';
import { makeJob } from '../harness/jobs.js';

const render: JobMessageRenderer = {
  jobMessage: (job) => ({ text: `${job.id} ${job.status}` }),
  threadReply: (_job, events) => ({ text: events.map(describeEvent).join('\n') }),
};

interface SavedRef {
  jobId: string;
  channel: string;
  ts: string;
}

let fake: FakeSlack;
let notifier: SlackNotifier | undefined;
let savedRefs: SavedRef[];

async function useFake(options: FakeSlackOptions = {}): Promise<void> {
  await fake.close();
  fake = await startFakeSlack(options);
}

function startNotifier(overrides: Partial<SlackNotifierOptions> = {}): SlackNotifier {
  const client = new webApi.WebClient('xoxb-test', {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: webApi.LogLevel.ERROR,
  });
  notifier = new SlackNotifier({
    client,
    render,
    saveMessageRef: async (jobId, channel, ts) => {
      savedRefs.push({ jobId, channel, ts });
    },
    logger: pino({ level: 'silent' }),
    minIntervalMs: 20,
    retry: { baseMs: 10, maxMs: 40 },
    ...overrides,
  });
  return notifier;
}

function slackJob(channel: string, origin: Partial<ChatOrigin> = {}): Job {
  const job = makeJob({ origin: { surface: 'slack', channel, ...origin } });
  return { ...job, events: [{ at: job.createdAt, kind: 'created', text: `${job.id}: created` }] };
}

/** The job's next state and the one event that came with it, as the engine would hand them over. */
function change(job: Job, status: JobStatus, kind: JobEventKind): { job: Job; events: JobEvent[] } {
  const event: JobEvent = { at: new Date(Date.parse(job.updatedAt) + 1000).toISOString(), kind, text: `${job.id}: ${kind}` };
  return { job: { ...job, status, version: job.version + 1, updatedAt: event.at, events: [...job.events, event] }, events: [event] };
}

const SIX_STATES: [JobStatus, JobEventKind][] = [
  [JobStatus.Requested, 'requested'],
  [JobStatus.Launching, 'launching'],
  [JobStatus.Running, 'started'],
  [JobStatus.Succeeded, 'succeeded'],
  [JobStatus.Succeeded, 'callback'],
];

function inChannel(channel: string): FakeSlackCall[] {
  return fake.calls.filter((c) => c.args.channel === channel);
}

function threadText(channel: string, ts: string): string[] {
  const message = fake.messages(channel).find((m) => m.ts === ts);
  return (message?.replies ?? []).flatMap((r) => (r.text ?? '').split('\n'));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

/** Every call in a channel made after a 429 waited out the Retry-After that 429 announced. */
function expectRetryAfterHonoured(calls: FakeSlackCall[]): void {
  calls.forEach((refused, i) => {
    if (refused.status !== 429) return;
    const openAt = refused.at + (refused.retryAfterSeconds ?? 0) * 1000;
    for (const later of calls.slice(i + 1)) expect(later.at).toBeGreaterThanOrEqual(openAt);
  });
}

/** Consecutive calls of one channel are at least `minIntervalMs` apart (1 ms for clock rounding). */
function expectSpacing(calls: FakeSlackCall[], minIntervalMs: number): void {
  for (let i = 1; i < calls.length; i++) {
    expect(calls[i]!.at - calls[i - 1]!.at).toBeGreaterThanOrEqual(minIntervalMs - 1);
  }
}

beforeEach(async () => {
  fake = await startFakeSlack();
  savedRefs = [];
});

afterEach(async () => {
  // A failed test may leave a call held: answer it, or stop() would wait for it.
  fake.reset();
  await notifier?.stop();
  notifier = undefined;
  await fake.close();
});

describe('SlackNotifier', () => {
  it('keeps one message per job, edited to its final state, with every event in its thread', async () => {
    const slack = startNotifier();
    let job = slackJob('C1');
    await slack.jobChanged(job, job.events);
    await slack.flush();
    const allEvents = [...job.events];
    for (const [status, kind] of SIX_STATES) {
      const next = change(job, status, kind);
      job = next.job;
      allEvents.push(...next.events);
      await slack.jobChanged(job, next.events);
      await slack.flush();
    }

    expect(fake.accepted('chat.postMessage').filter((c) => c.args.thread_ts === undefined)).toHaveLength(1);
    const updates = fake.accepted('chat.update');
    expect(updates).toHaveLength(SIX_STATES.length);
    expect(updates.at(-1)?.args.text).toBe(`${job.id} succeeded`);

    const [message, ...others] = fake.messages('C1');
    expect(others).toEqual([]);
    expect(message?.text).toBe(`${job.id} succeeded`);
    expect(threadText('C1', message!.ts)).toEqual(allEvents.map(describeEvent));
    expect(savedRefs).toEqual([{ jobId: job.id, channel: 'C1', ts: message!.ts }]);
    // The post, its creation's reply, and an edit and a reply per change: each with its token, none in the body.
    expect(fake.calls).toHaveLength(1 + 2 * SIX_STATES.length + 1);
    expect(fake.calls.filter((c) => !c.authorized || 'token' in c.args)).toEqual([]);
  });

  it('coalesces changes that arrive while a call is in flight: one update, one reply with all events', async () => {
    const slack = startNotifier();
    let job = slackJob('C1');
    await slack.jobChanged(job, job.events);
    const allEvents = [...job.events];
    for (const [status, kind] of SIX_STATES) {
      const next = change(job, status, kind);
      job = next.job;
      allEvents.push(...next.events);
      await slack.jobChanged(job, next.events);
    }
    await slack.flush();

    // The post left with the first state; everything after it needs exactly one reply and one edit.
    expect(fake.calls.map((c) => c.method)).toEqual(['chat.postMessage', 'chat.postMessage', 'chat.update']);
    const [message] = fake.messages('C1');
    expect(message?.text).toBe(`${job.id} succeeded`);
    expect(threadText('C1', message!.ts)).toEqual(allEvents.map(describeEvent));
  });

  it('rate limit: 200 changes across 50 jobs in one channel under 429s end in every final state within the call bound', async () => {
    const channel = 'C-BUSY';
    const minIntervalMs = 20;
    const jobCount = 50;
    const rounds: [JobStatus, JobEventKind][] = [
      [JobStatus.Requested, 'requested'],
      [JobStatus.Launching, 'launching'],
      [JobStatus.Running, 'started'],
      [JobStatus.Succeeded, 'succeeded'],
    ];
    const slack = startNotifier({ minIntervalMs });
    // Slack refuses the channel until the test lifts the limit: rounds 1-3 land while it does, on
    // a fast machine or a slow one.
    const limit = fake.rateLimit({ channel, retryAfterSeconds: 2 });
    const startedAt = Date.now();

    let jobs = Array.from({ length: jobCount }, () => ({ ...slackJob(channel), events: [] as JobEvent[] }));
    const expectedThreads = new Map<string, string[]>(jobs.map((j) => [j.id, []]));
    let statusChanges = 0;
    const deliverRound = async ([status, kind]: [JobStatus, JobEventKind]) => {
      const next = jobs.map((j) => change(j, status, kind));
      jobs = next.map((n) => n.job);
      for (const { job, events } of next) {
        expectedThreads.get(job.id)!.push(...events.map(describeEvent));
        await slack.jobChanged(job, events);
        statusChanges += 1;
      }
    };

    // Rounds 1-3 land while Slack refuses everything; round 4 (terminal) once half the messages are up.
    for (const round of rounds.slice(0, 3)) {
      await deliverRound(round);
      await sleep(200);
    }
    await waitFor(() => fake.refused().length >= 1);
    // The engine is never held up by Slack: 150 changes were taken while Slack had accepted nothing.
    expect(statusChanges).toBe(3 * jobCount);
    expect(fake.accepted()).toEqual([]);
    limit.lift();
    const limitedMs = Date.now() - startedAt;
    await waitFor(() => fake.accepted().length >= jobCount / 2);
    await deliverRound(rounds[3]!);
    await slack.flush();
    const elapsedMs = Date.now() - startedAt;

    // The user sees every job in its final state, with its whole history in the thread.
    const messages = fake.messages(channel);
    expect(messages).toHaveLength(jobCount);
    for (const job of jobs) {
      const ref = savedRefs.find((r) => r.jobId === job.id);
      const message = messages.find((m) => m.ts === ref?.ts);
      expect(message?.text).toBe(`${job.id} succeeded`);
      expect(threadText(channel, message!.ts)).toEqual(expectedThreads.get(job.id));
    }
    expect(savedRefs).toHaveLength(jobCount);

    // Slack's rules: nothing before an announced Retry-After has passed, one call at a time, spaced.
    const calls = inChannel(channel);
    const refused = fake.refused();
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expectRetryAfterHonoured(calls);
    expectSpacing(calls, minIntervalMs);

    // The bound. Rounds 1-3 all arrived before Slack accepted anything (checked above), so each job
    // has at most two flushes: one with rounds 1-3 (and 4 if it came in time), one with round 4.
    // A flush is at most one message call and one reply, and only the first is a post:
    //   posts = 50, updates <= 50, thread replies <= 100  =>  accepted calls <= 200 (vs 400 unbatched),
    // plus the refused calls: one per Retry-After while limited, counted from the first.
    const posts = fake.accepted('chat.postMessage').filter((c) => c.args.thread_ts === undefined).length;
    const replies = fake.accepted('chat.postMessage').filter((c) => c.args.thread_ts !== undefined).length;
    const updates = fake.accepted('chat.update').length;
    expect(posts).toBe(jobCount);
    expect(updates).toBeLessThanOrEqual(jobCount);
    expect(replies).toBeLessThanOrEqual(2 * jobCount);
    expect(posts + updates + replies).toBeLessThanOrEqual(4 * jobCount);
    expect(refused.length).toBeLessThanOrEqual(Math.floor(limitedMs / 2000) + 1);
    expect(fake.calls.filter((c) => c.status !== 200 && c.status !== 429)).toEqual([]);

    console.log(
      JSON.stringify({
        metric: 'slack_rate_limit_test',
        status_changes: statusChanges,
        jobs: jobCount,
        web_api_calls: fake.calls.length,
        refused_429: refused.length,
        ms: elapsedMs,
        posts,
        updates,
        thread_replies: replies,
        bound: 4 * jobCount + Math.floor(limitedMs / 2000) + 1,
        min_interval_ms: minIntervalMs,
      }),
    );
  });

  it('paces each channel on its own: a rate-limited channel does not hold up another', async () => {
    const slack = startNotifier();
    // C-SLOW stays refused until the fast channel is done, however long that takes.
    const limit = fake.rateLimit({ channel: 'C-SLOW', retryAfterSeconds: 1 });
    const finals: Job[] = [];
    for (const channel of ['C-SLOW', 'C-FAST']) {
      for (let i = 0; i < 5; i++) {
        const job = slackJob(channel);
        await slack.jobChanged(job, job.events);
        const done = change(job, JobStatus.Succeeded, 'succeeded');
        await slack.jobChanged(done.job, done.events);
        finals.push(done.job);
      }
    }
    await waitFor(() => fake.messages('C-FAST').filter((m) => m.text?.endsWith('succeeded')).length === 5 && inChannel('C-SLOW').length >= 1);
    // C-FAST finished while C-SLOW was refused and had nothing accepted.
    expect(inChannel('C-SLOW').filter((c) => c.status !== 429)).toEqual([]);
    limit.lift();

    await slack.flush();
    expect(finals).toHaveLength(10);
    for (const job of finals) {
      const channel = job.origin!.channel!;
      const ts = savedRefs.find((r) => r.jobId === job.id)!.ts;
      expect(fake.messages(channel).find((m) => m.ts === ts)?.text).toBe(`${job.id} succeeded`);
    }
    expectRetryAfterHonoured(inChannel('C-SLOW'));
    expectSpacing(inChannel('C-SLOW'), 20);
    expectSpacing(inChannel('C-FAST'), 20);
  });

  it('never keeps the engine waiting: jobChanged returns while Slack has not answered', async () => {
    const slack = startNotifier();
    const held = fake.hold();
    let job = slackJob('C1');
    await slack.jobChanged(job, job.events);
    // The post is at Slack, and Slack does not answer it until the test says so.
    await waitFor(() => held.pending() === 1);
    for (const [status, kind] of SIX_STATES) {
      const next = change(job, status, kind);
      job = next.job;
      const returned = await Promise.race([slack.jobChanged(job, next.events).then(() => 'returned' as const), sleep(10_000).then(() => 'still waiting' as const)]);
      expect(returned).toBe('returned');
    }
    // Every change was taken while the one call was still unanswered.
    expect(held.pending()).toBe(1);
    expect(fake.calls).toHaveLength(1);
    held.release();
    await slack.flush();
    expect(fake.messages('C1').map((m) => m.text)).toEqual([`${job.id} succeeded`]);
  });

  it('takes the jobs of a channel in turn, so a busy job does not starve the others', async () => {
    const slack = startNotifier();
    let busy = slackJob('C1');
    await slack.jobChanged(busy, busy.events);
    const kinds: [JobStatus, JobEventKind][] = [
      [JobStatus.Requested, 'requested'],
      [JobStatus.Launching, 'launching'],
    ];
    const others: { job: Job; callsBefore: number }[] = [];
    for (let i = 0; i < 30; i++) {
      const next = change(busy, ...kinds[i % 2]!);
      busy = next.job;
      await slack.jobChanged(busy, next.events);
      if (i % 10 === 5) {
        const job = slackJob('C1');
        others.push({ job, callsBefore: fake.calls.length });
        await slack.jobChanged(job, job.events);
      }
      await sleep(10);
    }
    await slack.flush();
    for (const { job, callsBefore } of others) {
      const postIndex = fake.calls.findIndex((c) => c.args.text === `${job.id} scheduled`);
      // Ahead of it at most: the call in flight, and one turn of each job already queued.
      expect(postIndex - callsBefore).toBeLessThanOrEqual(1 + others.length);
    }
  });

  it('makes no call for a job that was not started from Slack', async () => {
    const slack = startNotifier();
    const jobs: Job[] = [
      makeJob(),
      makeJob({ origin: { surface: 'api' } }),
      makeJob({ origin: { surface: 'terminal', channel: 'C1' } }),
      makeJob({ origin: { surface: 'slack' } }),
    ];
    for (const job of jobs) await slack.jobChanged(job, job.events);
    await slack.flush();
    expect(fake.calls).toEqual([]);
    expect(savedRefs).toEqual([]);
  });

  it('retries an intermediate update that failed with a 500', async () => {
    const slack = startNotifier();
    const job = slackJob('C1');
    await slack.jobChanged(job, job.events);
    await slack.flush();
    fake.failNext('chat.update', 500);
    const running = change(job, JobStatus.Running, 'started');
    await slack.jobChanged(running.job, running.events);
    await slack.flush();

    expect(fake.calls.filter((c) => c.method === 'chat.update').map((c) => c.status)).toEqual([500, 200]);
    expect(fake.messages('C1')[0]?.text).toBe(`${job.id} running`);
    expect(slack.stats).toMatchObject({ failed: 1, dropped: 0 });
  });

  it('gives up an intermediate update after its retries, keeps its events, and recovers on the next change', async () => {
    const slack = startNotifier({ retry: { baseMs: 5, maxMs: 10, intermediateRetries: 3 } });
    const job = slackJob('C1');
    await slack.jobChanged(job, job.events);
    await slack.flush();
    fake.failNext('chat.update', 503, 4);
    const launching = change(job, JobStatus.Launching, 'launching');
    await slack.jobChanged(launching.job, launching.events);
    await slack.flush();
    expect(fake.calls.filter((c) => c.method === 'chat.update').map((c) => c.status)).toEqual([503, 503, 503, 503]);
    expect(slack.stats.dropped).toBe(1);

    const done = change(launching.job, JobStatus.Succeeded, 'succeeded');
    await slack.jobChanged(done.job, done.events);
    await slack.flush();
    const [message] = fake.messages('C1');
    expect(message?.text).toBe(`${job.id} succeeded`);
    expect(threadText('C1', message!.ts)).toEqual(done.job.events.map(describeEvent));
  });

  it('keeps retrying the final state of a job past the intermediate budget', async () => {
    const slack = startNotifier({ retry: { baseMs: 5, maxMs: 10, intermediateRetries: 3 } });
    const job = slackJob('C1');
    await slack.jobChanged(job, job.events);
    await slack.flush();
    fake.failNext('chat.update', 502, 8);
    const failed = change(job, JobStatus.Failed, 'failed');
    await slack.jobChanged(failed.job, failed.events);
    await slack.flush();

    expect(fake.calls.filter((c) => c.method === 'chat.update').map((c) => c.status)).toEqual([...Array(8).fill(502), 200]);
    expect(fake.messages('C1')[0]?.text).toBe(`${job.id} failed`);
  });

  it('edits the message named by job.origin.messageTs after a restart instead of posting again', async () => {
    const first = startNotifier();
    const job = slackJob('C1');
    await first.jobChanged(job, job.events);
    await first.flush();
    await first.stop();
    const ts = savedRefs[0]!.ts;

    const restarted = startNotifier();
    const running = change({ ...job, origin: { surface: 'slack', channel: 'C1', messageTs: ts } }, JobStatus.Running, 'started');
    await restarted.jobChanged(running.job, running.events);
    await restarted.flush();

    expect(fake.accepted('chat.postMessage').filter((c) => c.args.thread_ts === undefined)).toHaveLength(1);
    expect(savedRefs).toHaveLength(1);
    expect(fake.messages('C1').map((m) => m.text)).toEqual([`${job.id} running`]);
    expect(threadText('C1', ts)).toEqual([`${job.id}: created`, `${job.id}: started`]);
  });

  it('paces a `rate_limited` answer (chat.postMessage\'s spelling) instead of dropping the job or blaming the channel', async () => {
    const undeliverable: string[] = [];
    const slack = startNotifier({ onUndeliverable: (_job, error) => undeliverable.push(error) });
    const job = slackJob('C1');
    fake.errorNext('chat.postMessage', 'rate_limited', 2, 'C1');
    await slack.jobChanged(job, job.events);
    await slack.flush();

    const posts = fake.calls.filter((c) => c.method === 'chat.postMessage');
    expect(posts.map((c) => c.status)).toEqual([200, 200, 200, 200]);
    // Each retry waited the pause: Slack gives no Retry-After with this error.
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(PLATFORM_RATE_LIMIT_PAUSE_MS - 1);
    expect(posts[2]!.at - posts[1]!.at).toBeGreaterThanOrEqual(PLATFORM_RATE_LIMIT_PAUSE_MS - 1);
    expect(fake.messages('C1').map((m) => m.text)).toEqual([`${job.id} scheduled`]);
    expect(undeliverable).toEqual([]);
    expect(slack.stats).toMatchObject({ rateLimited: 2, dropped: 0 });
  });

  it('posts a new message when the old one was deleted', async () => {
    await useFake({ strictUpdates: true });
    const slack = startNotifier();
    const job = slackJob('C1', { messageTs: '1700000000.000100' });
    const running = change(job, JobStatus.Running, 'started');
    await slack.jobChanged(running.job, running.events);
    await slack.flush();

    expect(fake.calls.map((c) => [c.method, c.status])).toEqual([
      ['chat.update', 200],
      ['chat.postMessage', 200],
      ['chat.postMessage', 200],
    ]);
    const [message] = fake.messages('C1');
    expect(message?.text).toBe(`${job.id} running`);
    expect(savedRefs).toEqual([{ jobId: job.id, channel: 'C1', ts: message!.ts }]);
    expect(threadText('C1', message!.ts)).toEqual([`${job.id}: started`]);
  });
});
