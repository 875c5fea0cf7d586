/**
 * What a person is shown about a job or a schedule, decided once for every surface: the Slack
 * renderer (Block Kit) and the terminal renderer (plain lines) draw the same view, so the two never
 * disagree about a fact. Views hold plain text; each renderer escapes and fits it for its medium.
 *
 * This file builds a job's view (status label, tones, events) and is where surfaces import views
 * from; the shapes are in view-model.ts, the listed facts in job-fields.ts, a schedule's view in
 * schedule-view.ts, the words of events in event-words.ts, and what makes text printable (control
 * characters, escape sequences, bidi overrides) in view-text.ts.
 */
import { computeOf, isTerminal, JobStatus, type Job, type JobEvent } from '../job.js';
import { isLegacyEvent } from '../job-event.js';
import { describeEvent, jobReason } from './event-words.js';
import { formatUtc } from '../request/job-request.js';
import { relativeTime } from '../parsing/when.js';
import { formatDuration } from '../duration.js';
import { assertNever } from '../assert-never.js';
import { jobFields, runSeconds } from './job-fields.js';
import { waitingOnSpotCapacity } from '../lifecycle/fallback.js';
import { JOB_VIEW_LIMITS, ViewTone, type JobAction, type JobView, type ViewEvent } from './view-model.js';
import { cleanOutput, printable, printableField, utcMinute } from './view-text.js';

export * from './view-model.js';
export { formatUsd } from './job-fields.js';
export { scheduleView } from './schedule-view.js';
export { cleanOutput, printable } from './view-text.js';

export function jobView(job: Job, now: Date): JobView {
  const title = printable(job.spec.name ?? job.spec.image);
  const statusLabel = printable(jobStatusLabel(job, now));
  const logTail = job.logTail ? cleanOutput(job.logTail) : '';
  const actions: JobAction[] = [];
  if (waitingOnSpotCapacity(job)) actions.push('on-demand');
  if (!isTerminal(job.status)) actions.push('cancel');
  if (isTerminal(job.status)) actions.push('retry');
  if (logTail.trim() !== '') actions.push('logs');

  const view: JobView = {
    kind: 'job',
    id: job.id,
    title,
    status: job.status,
    statusLabel,
    tone: statusTone(job.status),
    summary: `${title} (${job.id}): ${statusLabel}`,
    fields: jobFields(job, now).map(printableField),
    events: job.events.slice(-JOB_VIEW_LIMITS.events).map((event) => viewEvent(event, now)),
    actions,
    owner: { kind: job.owner.kind, id: printable(job.owner.id) },
  };
  if (logTail.trim() !== '') view.logTail = logTail;
  if (job.scheduleId) view.scheduleId = job.scheduleId;
  return view;
}

/** One event of a job's history as people are shown it. */
export function viewEvent(event: JobEvent, now: Date): ViewEvent {
  return { at: event.at, time: eventTime(event.at, now), kind: event.kind, text: printable(describeEvent(event)), tone: eventTone(event) };
}

export function jobStatusLabel(job: Job, now: Date): string {
  const attempt = job.attempt > 1 ? `, attempt ${job.attempt}` : '';
  const type = job.instanceType ?? job.spec.instanceTypes[job.instanceTypeIndex] ?? job.spec.instanceTypes[0] ?? 'unknown type';
  // Local compute (the embedded default) has no instance types: its runs are this machine.
  const local = computeOf(job) === 'local';
  const reason = jobReason(job);
  const instance = local ? 'this machine' : job.instanceId ? `${job.instanceId} (${type})` : `a ${type} instance`;
  switch (job.status) {
    case JobStatus.Scheduled: {
      const runAt = new Date(job.runAt);
      return runAt.getTime() <= now.getTime()
        ? `Due since ${utcMinute(job.runAt)}, starting`
        : `Scheduled for ${utcMinute(job.runAt)} (${relativeTime(runAt, now)})`;
    }
    case JobStatus.Requested: {
      const waiting = job.spotStatusCode && !job.spotStatusCode.startsWith('pending-') ? `: ${job.spotStatusCode}` : '';
      const market = job.market === 'on-demand' ? 'an on-demand' : 'a spot';
      return local ? `Starting on this machine${attempt}` : `Waiting for ${market} instance (${type})${attempt}${waiting}`;
    }
    case JobStatus.Launching:
      return `Starting on ${instance}${attempt}`;
    case JobStatus.Running:
      return `Running on ${instance}${attempt}`;
    case JobStatus.Succeeded: {
      const took = runSeconds(job, now);
      return took === undefined ? 'Succeeded' : `Succeeded in ${formatDuration(took)}`;
    }
    case JobStatus.Failed:
      if (reason) return `Failed: ${reason}`;
      return job.exitCode === undefined ? 'Failed' : `Failed with exit code ${job.exitCode}`;
    case JobStatus.Cancelled:
      if (!reason) return 'Cancelled';
      return /^cancelled\b/i.test(reason) ? `C${reason.slice(1)}` : `Cancelled: ${reason}`;
    default:
      return assertNever(job.status);
  }
}

function statusTone(status: JobStatus): ViewTone {
  switch (status) {
    case JobStatus.Scheduled:
    case JobStatus.Requested:
      return ViewTone.Waiting;
    case JobStatus.Launching:
    case JobStatus.Running:
      return ViewTone.Active;
    case JobStatus.Succeeded:
      return ViewTone.Success;
    case JobStatus.Failed:
      return ViewTone.Failure;
    case JobStatus.Cancelled:
      return ViewTone.Muted;
    default:
      return assertNever(status);
  }
}

function eventTone(event: JobEvent): ViewTone {
  switch (event.kind) {
    case 'created':
    case 'requested':
    case 'waiting':
    case 'instance-type-changed':
    case 'on-demand':
    case 'rebalance-recommended': // a warning, not a failure: the container keeps running
      return ViewTone.Waiting;
    case 'launching':
    case 'started':
    case 'replacement-launched':
    case 'drain-released':
      return ViewTone.Active;
    case 'replacing':
      return ViewTone.Waiting;
    case 'finished-after-all':
      return !isLegacyEvent(event) && event.exitCode === 0 ? ViewTone.Success : ViewTone.Failure;
    case 'interruption-notice':
    case 'interrupted':
    case 'failed':
      return ViewTone.Failure;
    case 'succeeded':
      return ViewTone.Success;
    case 'cancelled':
      return ViewTone.Muted;
    case 'callback':
      // Callback events stored before events were data say which they were in their words only.
      if (isLegacyEvent(event)) return event.text.startsWith('callback failed') ? ViewTone.Failure : ViewTone.Success;
      return event.delivered ? ViewTone.Success : ViewTone.Failure;
    default:
      return assertNever(event);
  }
}

function eventTime(iso: string, now: Date): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return printable(iso);
  const text = formatUtc(date);
  return text.slice(0, 10) === formatUtc(now).slice(0, 10) ? `${text.slice(11)} UTC` : `${text.slice(0, 16)} UTC`;
}

/**
 * The facts that close a job — exit code, run time, cost — for the event that ended it, each
 * once: what the event's words already say ("succeeded (exit 0, 14m)") is not repeated, so the
 * thread's last line reads "succeeded (exit 0, 14m) · cost $0.03" on every surface.
 */
export function closingFacts(view: JobView, event: ViewEvent): string[] {
  if (event.kind !== 'succeeded' && event.kind !== 'failed' && event.kind !== 'cancelled') return [];
  const wanted: Record<string, { said: (value: string) => boolean; words: (value: string) => string }> = {
    'Exit code': { said: (value) => event.text.includes(`exit ${value}`) || event.text.includes(`code ${value}`), words: (value) => `exit code ${value}` },
    Duration: { said: (value) => event.text.includes(`, ${value}`), words: (value) => `ran ${value}` },
    Cost: { said: () => false, words: (value) => `cost ${value}` },
    Saved: { said: () => false, words: (value) => `saved ${value}` },
  };
  return view.fields.flatMap((field) => {
    const fact = wanted[field.label];
    return fact && !fact.said(field.value) ? [fact.words(field.value)] : [];
  });
}
