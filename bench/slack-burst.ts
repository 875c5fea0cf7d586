/**
 * Issue 14, item 8: a burst of status changes in one Slack channel — 1,000 changes over 100 jobs,
 * ten each, ending in `succeeded` — through the Slack notifier (bot/slack/notifier.ts, with the
 * bot's renderers) to the fake Slack Web API enforcing Slack's per-channel posting limit (a bucket
 * of about one call a second, short bursts allowed; 429 with Retry-After beyond it).
 *
 * Time is compressed by TIME_SCALE: the fake allows TIME_SCALE calls a second and the notifier
 * paces at its default interval ÷ TIME_SCALE, so the run takes seconds; rates are reported back in
 * real seconds (measured ÷ TIME_SCALE). Target: ≤ 1.2 calls/s sustained (the highest rate over any
 * 10 real seconds), every job's final state shown.
 */
import { webApi } from '@slack/bolt';
import { pino } from 'pino';
import { JobStatus, type Job, type JobEvent } from '../bot/core/job.js';
import type { JobEventFacts } from '../bot/core/job-event.js';
import { jobView, viewEvent } from '../bot/core/view/job-view.js';
import { SlackNotifier } from '../bot/slack/notifier.js';
import { renderJobEvent, renderJobMessage, SLACK_LIMITS } from '../bot/slack/render.js';
import { startFakeSlack } from '../test/harness/fake-slack.js';
import { makeJob } from '../test/harness/jobs.js';
import { round, type BenchResult } from './report.js';

export const SLACK_TIME_SCALE = 10;
const CHANNEL = 'CBURST';

/** Ten states of one job, as the engine would tell the notifier: status and the event that made it. */
const STEPS: { status: JobStatus; attempt: number; facts: JobEventFacts }[] = [
  { status: JobStatus.Scheduled, attempt: 0, facts: { kind: 'created' } },
  { status: JobStatus.Requested, attempt: 1, facts: { kind: 'requested', attempt: 1, compute: 'ec2', market: 'spot', pool: { instanceType: 't3.micro' } } },
  { status: JobStatus.Launching, attempt: 1, facts: { kind: 'launching', compute: 'ec2', instanceId: 'i-0123456789abcdef0', instanceType: 't3.micro' } },
  { status: JobStatus.Running, attempt: 1, facts: { kind: 'started', attempt: 1 } },
  { status: JobStatus.Running, attempt: 1, facts: { kind: 'rebalance-recommended', attempt: 1 } },
  { status: JobStatus.Running, attempt: 1, facts: { kind: 'interruption-notice', source: 'agent' } },
  { status: JobStatus.Requested, attempt: 2, facts: { kind: 'requested', attempt: 2, compute: 'ec2', market: 'spot', pool: { instanceType: 't3.small' } } },
  { status: JobStatus.Launching, attempt: 2, facts: { kind: 'launching', compute: 'ec2', instanceId: 'i-0fedcba9876543210', instanceType: 't3.small' } },
  { status: JobStatus.Running, attempt: 2, facts: { kind: 'started', attempt: 2 } },
  { status: JobStatus.Succeeded, attempt: 2, facts: { kind: 'succeeded', ranSeconds: 840 } },
];

export async function benchSlackBurst(jobs: number, spreadMs: number): Promise<BenchResult> {
  const slack = await startFakeSlack({ channelLimit: { callsPerSecond: SLACK_TIME_SCALE, burst: 3 } });
  const client = new webApi.WebClient('xoxb-bench-token', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 10_000 });
  const notifier = new SlackNotifier({
    client,
    logger: pino({ level: 'silent' }),
    saveMessageRef: async () => undefined,
    minIntervalMs: 1000 / SLACK_TIME_SCALE,
    render: {
      jobMessage: (job: Job) => renderJobMessage(jobView(job, new Date())),
      threadReply: (job: Job, events: JobEvent[]) => {
        const view = jobView(job, new Date());
        const parts = events.map((event) => renderJobEvent(view, viewEvent(event, new Date())));
        return { text: parts.map((p) => p.text).join('\n'), blocks: parts.flatMap((p) => p.blocks ?? []).slice(0, SLACK_LIMITS.messageBlocks) };
      },
    },
  });
  try {
    const base = Array.from({ length: jobs }, () => makeJob({ origin: { surface: 'slack', channel: CHANNEL } }));
    const changes = STEPS.length * jobs;
    const start = performance.now();
    // Round robin: step s of every job, then step s + 1, spread evenly over `spreadMs`.
    for (let i = 0; i < changes; i++) {
      const step = STEPS[Math.floor(i / jobs)]!;
      const job = base[i % jobs]!;
      const now = new Date().toISOString();
      const event = { at: now, ...step.facts } as JobEvent;
      const next: Job = { ...job, status: step.status, attempt: step.attempt, version: job.version + Math.floor(i / jobs), updatedAt: now, events: [...job.events, event], ...(step.status === JobStatus.Succeeded && { finishedAt: now }) };
      await notifier.jobChanged(next, [event]);
      const due = start + ((i + 1) * spreadMs) / changes;
      if (due - performance.now() > 1) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
    }
    await notifier.flush();
    const seconds = (performance.now() - start) / 1000;
    const calls = slack.calls.filter((c) => c.method.startsWith('chat.'));
    // The busiest window of 10 real seconds, in calls per real second.
    const windowMs = 10_000 / SLACK_TIME_SCALE;
    let busiest = 0;
    for (let i = 0, j = 0; j < calls.length; j++) {
      while (calls[j]!.at - calls[i]!.at >= windowMs) i++;
      busiest = Math.max(busiest, j - i + 1);
    }
    const sustained = busiest / 10;
    const messages = slack.messages(CHANNEL);
    const finalShown = base.filter((job) => messages.some((m) => JSON.stringify(m.blocks ?? m.text).includes(job.id) && /succeeded/i.test(JSON.stringify(m.blocks ?? m.text)))).length;
    return {
      bench: 'slack_burst',
      figures: {
        jobs,
        status_changes: changes,
        time_scale: SLACK_TIME_SCALE,
        web_api_calls: calls.length,
        rate_limited: slack.refused().length,
        highest_calls_per_s_over_10s: round(sustained, 2),
        drained_after_real_s: round(seconds * SLACK_TIME_SCALE),
        final_states_shown: finalShown,
        dropped: notifier.stats.dropped,
      },
      target: '<= 1.2 calls/s sustained to the channel; every final state shown',
      met: sustained <= 1.2 && finalShown === jobs,
    };
  } finally {
    await slack.close();
  }
}
