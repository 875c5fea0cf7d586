/**
 * A job's first post that Slack carried out but answered as failed (`fatal_error`, or no answer
 * before the client's timeout): the notifier looks for the message (its job id in the message
 * metadata, read back with `conversations.history`) before posting again, so the job has exactly
 * one message, and its ts is the one recorded.
 */
import { webApi } from '@slack/bolt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobStatus, type Job } from '../../bot/core/job.js';
import { SlackNotifier } from '../../bot/slack/notifier.js';
import { startFakeSlack, type FakeSlack } from '../harness/fake-slack.js';
import { makeJob } from '../harness/jobs.js';

let fake: FakeSlack;
let notifier: SlackNotifier | undefined;
let saved: { jobId: string; ts: string }[];

beforeEach(async () => {
  fake = await startFakeSlack();
  saved = [];
});

afterEach(async () => {
  fake.reset();
  await notifier?.stop();
  notifier = undefined;
  await fake.close();
});

function startNotifier(): SlackNotifier {
  // A short timeout, so the unanswered post gives up quickly (production: 10 s).
  const client = new webApi.WebClient('xoxb-test', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 300, logLevel: webApi.LogLevel.ERROR });
  notifier = new SlackNotifier({
    client,
    render: { jobMessage: (job) => ({ text: `${job.id} ${job.status}` }), threadReply: (_job, events) => ({ text: events.map((e) => e.kind).join('\n') }) },
    saveMessageRef: async (jobId, _channel, ts) => {
      saved.push({ jobId, ts });
    },
    logger: pino({ level: 'silent' }),
    minIntervalMs: 20,
    retry: { baseMs: 10, maxMs: 40 },
  });
  return notifier;
}

async function runJob(): Promise<Job> {
  const slack = startNotifier();
  let job = makeJob({ origin: { surface: 'slack', channel: 'C1' } });
  await slack.jobChanged(job, [{ at: job.createdAt, kind: 'created', text: 'created' }]);
  job = { ...job, status: JobStatus.Succeeded, version: 2 };
  await slack.jobChanged(job, [{ at: job.createdAt, kind: 'succeeded', text: 'succeeded' }]);
  await slack.flush();
  return job;
}

describe('a first post whose outcome is unknown', () => {
  it.each(['fatal_error', 'timeout'])('%s: exactly one message for the job, its ts recorded, edited to the final state', async (error) => {
    fake.succeedThenFail('chat.postMessage', error);
    const job = await runJob();

    const messages = fake.messages('C1');
    expect(messages).toHaveLength(1);
    expect(messages[0]!.text).toBe(`${job.id} succeeded`);
    expect(messages[0]!.metadata).toEqual({ event_type: 'sched_job', event_payload: { job_id: job.id } });
    expect(saved).toEqual([{ jobId: job.id, ts: messages[0]!.ts }]);
    expect(messages[0]!.replies.map((r) => r.text).join('\n')).toMatch(/created[\s\S]*succeeded/);
    const history = fake.calls.filter((c) => c.method === 'conversations.history');
    expect(history).toHaveLength(1);
    expect(history[0]!.args).toMatchObject({ channel: 'C1', include_all_metadata: 'true' });
  });

  it('a post that really failed is posted again after the look finds nothing', async () => {
    fake.errorNext('chat.postMessage', 'fatal_error');
    const job = await runJob();
    const messages = fake.messages('C1');
    expect(messages).toHaveLength(1);
    expect(messages[0]!.text).toBe(`${job.id} succeeded`);
    expect(saved).toEqual([{ jobId: job.id, ts: messages[0]!.ts }]);
    expect(fake.calls.filter((c) => c.method === 'conversations.history')).toHaveLength(1);
  });

  it('a channel the bot cannot read (no history scope): posted again rather than not at all', async () => {
    fake.succeedThenFail('chat.postMessage', 'fatal_error');
    fake.errorNext('conversations.history', 'missing_scope');
    const job = await runJob();
    const messages = fake.messages('C1');
    expect(messages).toHaveLength(2);
    expect(messages.at(-1)!.text).toBe(`${job.id} succeeded`);
    expect(saved).toEqual([{ jobId: job.id, ts: messages.at(-1)!.ts }]);
  });
});
