/**
 * Long event batches in a job's thread: the split into replies is a pure function (property
 * tested: nothing lost, order kept, each reply within the budgets), and the notifier against the
 * fake Slack — which refuses more than 50 blocks and more than about 12,000 characters of block
 * text, as Slack does — delivers every event, splitting further or falling back to text when
 * Slack still refuses, and never takes that refusal for "not in the channel".
 */
import { webApi } from '@slack/bolt';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job, JobEvent } from '../../bot/core/job.js';
import { SlackNotifier, type JobMessageRenderer, type SlackContent } from '../../bot/slack/notifier.js';
import { blocksSize, partsInFirstReply, renderThreadReply, THREAD_REPLY_BUDGET } from '../../bot/slack/thread-replies.js';
import { startFakeSlack, type FakeSlack, type FakeSlackOptions } from '../harness/fake-slack.js';
import { makeJob } from '../harness/jobs.js';

const NOW = new Date('2026-01-15T11:00:00.000Z');

let fake: FakeSlack;
let notifier: SlackNotifier | undefined;

beforeEach(async () => {
  fake = await startFakeSlack();
});

afterEach(async () => {
  fake.reset();
  await notifier?.stop();
  notifier = undefined;
  await fake.close();
});

async function useFake(options: FakeSlackOptions): Promise<void> {
  await fake.close();
  fake = await startFakeSlack(options);
}

function startNotifier(render: JobMessageRenderer, undeliverable: string[]): SlackNotifier {
  const client = new webApi.WebClient('xoxb-test', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logLevel: webApi.LogLevel.ERROR });
  notifier = new SlackNotifier({
    client,
    render,
    saveMessageRef: async () => undefined,
    logger: pino({ level: 'silent' }),
    minIntervalMs: 5,
    retry: { baseMs: 5, maxMs: 20 },
    onUndeliverable: (_job, error) => undeliverable.push(error),
  });
  return notifier;
}

/** A job with `count` events, each a long line that names its number. */
function jobWithEvents(count: number, length: number): Job {
  const job = makeJob({ origin: { surface: 'slack', channel: 'C1' } });
  const events: JobEvent[] = Array.from({ length: count }, (_, i) => ({
    at: new Date(Date.parse(job.createdAt) + i * 1000).toISOString(),
    kind: 'started',
    text: `event-${String(i).padStart(3, '0')} ${'x'.repeat(length)}`,
  }));
  return { ...job, events };
}

/** The event numbers a channel's thread shows, in order, from the replies' text and blocks. */
function eventsInThread(): string[] {
  const [message] = fake.messages('C1');
  return (message?.replies ?? []).flatMap((reply) => [...new Set(JSON.stringify(reply.blocks ?? reply.text).match(/event-\d{3}/g) ?? [])]);
}

const expected = (count: number) => Array.from({ length: count }, (_, i) => `event-${String(i).padStart(3, '0')}`);

const anyPart: fc.Arbitrary<SlackContent> = fc.record({
  text: fc.string({ maxLength: 3000 }),
  blocks: fc.array(fc.record({ type: fc.constant('section'), text: fc.record({ type: fc.constant('mrkdwn'), text: fc.string({ maxLength: 3000 }) }) }), { maxLength: 8 }),
});

describe('splitting a batch of events into thread replies', () => {
  it('takes every part once, in order; a reply of more than one part is within every budget', () => {
    fc.assert(
      fc.property(fc.array(anyPart, { maxLength: 80 }), (parts) => {
        const replies: SlackContent[][] = [];
        for (let rest = parts; rest.length > 0; ) {
          const count = partsInFirstReply(rest);
          expect(count).toBeGreaterThanOrEqual(1);
          expect(count).toBeLessThanOrEqual(rest.length);
          replies.push(rest.slice(0, count));
          rest = rest.slice(count);
        }
        expect(replies.flat()).toEqual(parts);
        for (const reply of replies) {
          if (reply.length === 1) continue;
          const blocks = reply.flatMap((p) => p.blocks ?? []);
          expect(blocks.length).toBeLessThanOrEqual(THREAD_REPLY_BUDGET.maxBlocks);
          expect(blocksSize(blocks)).toBeLessThanOrEqual(THREAD_REPLY_BUDGET.maxSize);
          expect(reply.map((p) => p.text).join('\n').length).toBeLessThanOrEqual(THREAD_REPLY_BUDGET.maxText);
        }
        // Greedy: no reply could have taken the next part as well.
        for (let i = 0; i + 1 < replies.length; i++) expect(partsInFirstReply([...replies[i]!, replies[i + 1]![0]!])).toBe(replies[i]!.length);
      }),
      { numRuns: 200 },
    );
  });

  it('renders a reply of real events within Slack\'s block text limit and says how many it carries', () => {
    const job = jobWithEvents(40, 1400);
    const reply = renderThreadReply(job, job.events, NOW);
    expect(reply.events).toBeGreaterThan(1);
    expect(reply.events).toBeLessThan(40);
    expect(blocksSize(reply.blocks)).toBeLessThanOrEqual(THREAD_REPLY_BUDGET.maxSize);
  });
});

describe('long threads against Slack\'s limits', () => {
  it('120 long events: every one arrives, in order, in replies Slack accepts', async () => {
    const undeliverable: string[] = [];
    const slack = startNotifier({ jobMessage: (job) => ({ text: job.id }), threadReply: (job, events) => renderThreadReply(job, events, NOW) }, undeliverable);
    const job = jobWithEvents(120, 1400);
    await slack.jobChanged(job, job.events);
    await slack.flush();

    expect(eventsInThread()).toEqual(expected(120));
    expect(fake.messages('C1')[0]!.replies.length).toBeGreaterThan(10);
    expect(slack.stats).toMatchObject({ failed: 0, dropped: 0 });
    expect(undeliverable).toEqual([]);
  });

  it('a renderer that ignores the budget: Slack\'s refusals split the batch until it fits; nothing lost', async () => {
    const undeliverable: string[] = [];
    // One section per event, all of them in one reply: 30 × 1,400 characters is far past 12,000.
    const greedy: JobMessageRenderer = {
      jobMessage: (job) => ({ text: job.id }),
      threadReply: (_job, events) => ({ text: events.map((e) => e.kind).join('\n'), blocks: events.map((e) => ({ type: 'section', text: { type: 'mrkdwn', text: 'text' in e ? e.text : e.kind } })) }),
    };
    const slack = startNotifier(greedy, undeliverable);
    const job = jobWithEvents(30, 1400);
    await slack.jobChanged(job, job.events);
    await slack.flush();

    expect(eventsInThread()).toEqual(expected(30));
    expect(slack.stats.failed).toBeGreaterThan(0);
    expect(slack.stats.dropped).toBe(0);
    expect(undeliverable).toEqual([]);
  });

  it('one event Slack refuses even alone goes as text, without its blocks', async () => {
    await useFake({ maxBlocksText: 100 });
    const undeliverable: string[] = [];
    const slack = startNotifier({ jobMessage: (job) => ({ text: job.id }), threadReply: (job, events) => renderThreadReply(job, events, NOW) }, undeliverable);
    const job = jobWithEvents(3, 300);
    await slack.jobChanged(job, job.events);
    await slack.flush();

    const replies = fake.messages('C1')[0]!.replies;
    expect(eventsInThread()).toEqual(expected(3));
    expect(replies.every((r) => r.blocks === undefined && /event-\d{3} x+/.test(r.text ?? ''))).toBe(true);
    expect(undeliverable).toEqual([]);
  });
});
