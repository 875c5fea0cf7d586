/**
 * Workspace-wide pacing: Slack limits each method per app per workspace as well as per channel.
 * The fake Slack enforces a workspace limit across channels; several busy channels paced only one
 * by one draw 429s, paced by the workspace buckets too they draw none, and every job still ends
 * in its final state. A 429 of a workspace-only method pauses it in every channel.
 */
import { webApi } from '@slack/bolt';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobStatus, type Job } from '../../bot/core/job.js';
import type { BucketLimit } from '../../bot/core/token-bucket.js';
import { SlackNotifier } from '../../bot/slack/notifier.js';
import { WorkspacePace } from '../../bot/slack/workspace-pace.js';
import { startFakeSlack, type FakeSlack } from '../harness/fake-slack.js';
import { makeJob } from '../harness/jobs.js';

let fake: FakeSlack;
let notifier: SlackNotifier | undefined;

beforeEach(async () => {
  fake = await startFakeSlack();
  // Slack's side: per method, across every channel of the workspace.
  fake.workspaceLimit({ method: 'chat.postMessage', max: 10, windowMs: 1000, retryAfterSeconds: 1 });
  fake.workspaceLimit({ method: 'chat.update', max: 5, windowMs: 1000, retryAfterSeconds: 1 });
});

afterEach(async () => {
  fake.reset();
  await notifier?.stop();
  notifier = undefined;
  await fake.close();
});

/** Within the fake's limits (burst + a window's refill at most its max), as SLACK_WORKSPACE_LIMITS is within Slack's. */
const LIMITS: Record<string, BucketLimit> = {
  'chat.postMessage': { capacity: 2, refillPerSecond: 6 },
  'chat.update': { capacity: 1, refillPerSecond: 3 },
};

/** 6 channels × 3 jobs, each created then running then succeeded, all handed over at once. */
async function busyWorkspace(workspaceLimits?: Record<string, BucketLimit>): Promise<Job[]> {
  const client = new webApi.WebClient('xoxb-test', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logLevel: webApi.LogLevel.ERROR });
  notifier = new SlackNotifier({
    client,
    render: { jobMessage: (job) => ({ text: `${job.id} ${job.status}` }), threadReply: (_job, events) => ({ text: events.map((e) => e.kind).join('\n') }) },
    saveMessageRef: async () => undefined,
    logger: pino({ level: 'silent' }),
    minIntervalMs: 20,
    retry: { baseMs: 10, maxMs: 40 },
    ...(workspaceLimits && { workspaceLimits }),
  });
  const finals: Job[] = [];
  for (let c = 0; c < 6; c++) {
    for (let j = 0; j < 3; j++) {
      let job = makeJob({ origin: { surface: 'slack', channel: `C${c}` } });
      await notifier.jobChanged(job, [{ at: job.createdAt, kind: 'created', text: 'created' }]);
      for (const status of [JobStatus.Running, JobStatus.Succeeded]) {
        job = { ...job, status, version: job.version + 1 };
        await notifier.jobChanged(job, [{ at: job.createdAt, kind: status === JobStatus.Running ? 'started' : 'succeeded', text: status }]);
      }
      finals.push(job);
    }
  }
  await notifier.flush();
  return finals;
}

function expectFinalStates(finals: Job[]): void {
  for (const job of finals) expect(fake.messages(job.origin!.channel!).map((m) => m.text)).toContain(`${job.id} succeeded`);
}

describe('workspace-wide pacing', () => {
  it('several busy channels under a workspace limit: no 429, every final state shown', async () => {
    const startedAt = Date.now();
    const finals = await busyWorkspace(LIMITS);
    expectFinalStates(finals);
    expect(fake.refused()).toEqual([]);
    console.log(JSON.stringify({ metric: 'slack_workspace_pace', paced: true, calls: fake.calls.length, refused_429: 0, ms: Date.now() - startedAt }));
  });

  it('the same load paced per channel only draws 429s (what the workspace pace prevents)', async () => {
    const startedAt = Date.now();
    const finals = await busyWorkspace();
    expectFinalStates(finals);
    expect(fake.refused().length).toBeGreaterThan(0);
    console.log(JSON.stringify({ metric: 'slack_workspace_pace', paced: false, calls: fake.calls.length, refused_429: fake.refused().length, ms: Date.now() - startedAt }));
  });
});

describe('a 429 and the workspace', () => {
  it('chat.update (limited per workspace only): paused in every channel, and the bucket starts empty', () => {
    const pace = new WorkspacePace({ 'chat.update': { capacity: 3, refillPerSecond: 1 } });
    pace.rateLimited('chat.update', 'C1', 1000, 5000);
    expect(pace.pausedTill('chat.update')).toBe(5000);
    expect(pace.book('chat.update', 1000)).toBe(6000);
    expect(pace.book('chat.update', 1000)).toBe(7000);
  });

  it('chat.postMessage: one channel\'s 429 is that channel\'s; a second channel\'s within its pause is the workspace\'s', () => {
    const pace = new WorkspacePace({});
    pace.rateLimited('chat.postMessage', 'C1', 1000, 3000);
    pace.rateLimited('chat.postMessage', 'C1', 3500, 5000);
    expect(pace.pausedTill('chat.postMessage')).toBe(0);
    pace.rateLimited('chat.postMessage', 'C2', 4000, 6000);
    expect(pace.pausedTill('chat.postMessage')).toBe(6000);
    expect(pace.book('chat.postMessage', 4000)).toBe(6000);
  });
});
