/**
 * What a person is shown about a job or a schedule, decided once for every surface: the Slack
 * renderer (Block Kit) and the terminal renderer (plain lines) draw the same view, so the two never
 * disagree about a fact. Views hold plain text; each renderer escapes and fits it for its medium.
 *
 * Everything user-provided or machine-provided is made printable here: control characters,
 * terminal escape sequences and bidi overrides in a container's output or argv must not reach a
 * terminal (where they act) or Slack (where they forge lines). Env values are never shown: they
 * are often secrets. Callback URLs show their host only: their path may carry a token.
 */
import { quote } from 'shell-quote';
import type { Schedule } from '../ports.js';
import { describeInstant, nextFirings, relativeTime } from './parsing/when.js';
import { computeOf, isTerminal, JobStatus, type Job, type JobEvent, type JobEventKind, type JobOwner, type JobSpec } from './job.js';
import { isLegacyEvent } from './job-event.js';
import { describeEvent, jobReason } from './event-words.js';
import { formatUtc } from './job-request.js';
import { formatDuration } from './duration.js';
import { assertNever } from './assert-never.js';

/** How a status or event feels; renderers pick colours and emoji from it. */
export const ViewTone = {
  Waiting: 'waiting',
  Active: 'active',
  Success: 'success',
  Failure: 'failure',
  Muted: 'muted',
} as const;
export type ViewTone = (typeof ViewTone)[keyof typeof ViewTone];

export interface ViewField {
  label: string;
  value: string;
  /** A literal the user typed or a machine id (image, argv, cron expression): shown monospaced. */
  code?: boolean;
}

export interface ViewEvent {
  /** ISO UTC. */
  at: string;
  /** `at` for people: "15:04:05 UTC" today, "2026-03-04 15:04 UTC" another day. */
  time: string;
  kind: JobEventKind;
  text: string;
  tone: ViewTone;
}

/** Buttons in Slack, suggested commands in the terminal. */
export type JobAction = 'cancel' | 'retry' | 'logs';

export interface JobView {
  kind: 'job';
  id: string;
  /** The job's name, else its image. */
  title: string;
  status: JobStatus;
  /** "Running on i-0abc (t3.micro), attempt 2". */
  statusLabel: string;
  tone: ViewTone;
  /** One line: title, id and status label; for lists and notification text. */
  summary: string;
  fields: ViewField[];
  /** The most recent events, oldest first. */
  events: ViewEvent[];
  /** The end of the container's output, printable, lines kept. */
  logTail?: string;
  actions: JobAction[];
  owner: JobOwner;
  scheduleId?: string;
}

export interface ScheduleView {
  kind: 'schedule';
  id: string;
  title: string;
  status: Schedule['status'];
  statusLabel: string;
  tone: ViewTone;
  summary: string;
  fields: ViewField[];
  /** The next firings, ISO UTC; empty once cancelled. */
  nextFirings: string[];
  /** Cancelling a schedule goes through the same `cancel` as a job (the id tells them apart). */
  actions: Extract<JobAction, 'cancel'>[];
  owner: JobOwner;
}

/** What `list` shows: the caller's (or with `all`, everyone's) jobs and schedules. */
export interface ListView {
  jobs: JobView[];
  schedules: ScheduleView[];
  /** `list --all`: everyone's, not only the caller's. */
  all: boolean;
}

export const JOB_VIEW_LIMITS = {
  events: 10,
  nextFirings: 3,
  /** Characters of output kept; more than any renderer shows. */
  logTail: 8000,
} as const;

export function jobView(job: Job, now: Date): JobView {
  const title = printable(job.spec.name ?? job.spec.image);
  const statusLabel = printable(jobStatusLabel(job, now));
  const logTail = job.logTail ? cleanOutput(job.logTail) : '';
  const actions: JobAction[] = [];
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

export function scheduleView(schedule: Schedule, now: Date): ScheduleView {
  const title = printable(schedule.spec.name ?? schedule.spec.image);
  const active = schedule.status === 'active';
  const next = active ? nextFirings(schedule.expression, schedule.timezone, now, JOB_VIEW_LIMITS.nextFirings) : [];
  const cron = printable(schedule.expression);
  let statusLabel: string;
  if (!active) {
    statusLabel = schedule.cancelledBy ? `Cancelled by ${printable(schedule.cancelledBy)}` : 'Cancelled';
  } else if (next[0]) {
    statusLabel = `Every "${cron}" (${schedule.timezone}), next ${utcMinute(next[0])} (${relativeTime(new Date(next[0]), now)})`;
  } else {
    statusLabel = `Every "${cron}" (${schedule.timezone}), which fires no more`;
  }

  const fields: ViewField[] = [
    { label: 'Schedule', value: cron, code: true },
    { label: 'Time zone', value: schedule.timezone },
  ];
  if (next.length > 0) fields.push({ label: 'Next firings', value: next.map(utcMinute).join('; ') });
  if (schedule.lastFiredAt) fields.push({ label: 'Last fired', value: `${utcMinute(schedule.lastFiredAt)} (${relativeTime(new Date(schedule.lastFiredAt), now)})` });
  fields.push(...specFields(schedule.spec));
  fields.push({ label: 'Instance types', value: schedule.spec.instanceTypes.join(', ') });
  fields.push({ label: 'Retries', value: `${schedule.spec.interruptionsTolerated} interruptions per job` });
  const callback = callbackHost(schedule.spec);
  if (callback) fields.push({ label: 'Callback', value: `${callback}, when each job ends` });

  const label = printable(statusLabel);
  return {
    kind: 'schedule',
    id: schedule.id,
    title,
    status: schedule.status,
    statusLabel: label,
    tone: active ? ViewTone.Active : ViewTone.Muted,
    summary: `${title} (${schedule.id}): ${label}`,
    fields: fields.map(printableField),
    nextFirings: next,
    actions: active ? ['cancel'] : [],
    owner: { kind: schedule.owner.kind, id: printable(schedule.owner.id) },
  };
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
      return local ? `Starting on this machine${attempt}` : `Waiting for a spot instance (${type})${attempt}${waiting}`;
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

function jobFields(job: Job, now: Date): ViewField[] {
  const fields: ViewField[] = [...specFields(job.spec)];
  if (job.scheduleId) fields.push({ label: 'Schedule', value: job.scheduleId, code: true });

  // A job started "now" needs no "when"; one that was scheduled keeps showing when it was due.
  const scheduled = Date.parse(job.runAt) - Date.parse(job.createdAt) > 60_000;
  if (job.status === JobStatus.Scheduled || scheduled) {
    fields.push({ label: 'When', value: `${utcMinute(job.runAt)} (${relativeTime(new Date(job.runAt), now)})` });
  }

  if (computeOf(job) === 'local') {
    fields.push({ label: 'Runs on', value: 'this machine' });
  } else if (job.instanceId) {
    const type = job.instanceType ?? job.spec.instanceTypes[job.instanceTypeIndex];
    fields.push({ label: 'Instance', value: type ? `${job.instanceId} (${type})` : job.instanceId });
  } else {
    fields.push({ label: 'Instance types', value: job.spec.instanceTypes.join(', ') });
  }

  if (job.attempt > 0) {
    const interruptions = `${job.interruptions} ${job.interruptions === 1 ? 'interruption' : 'interruptions'}`;
    fields.push({ label: 'Attempts', value: `${job.attempt} (${interruptions}, ${job.spec.interruptionsTolerated} tolerated)` });
  }
  if (job.exitCode !== undefined) fields.push({ label: 'Exit code', value: String(job.exitCode) });

  const took = runSeconds(job, now);
  if (took !== undefined) fields.push({ label: 'Duration', value: isTerminal(job.status) ? formatDuration(took) : `${formatDuration(took)} so far` });

  const cost = costSoFar(job, now);
  if (cost !== undefined) fields.push({ label: 'Cost', value: isTerminal(job.status) ? formatUsd(cost) : `≈ ${formatUsd(cost)} so far` });

  const callback = callbackText(job);
  if (callback) fields.push({ label: 'Callback', value: callback });
  return fields;
}

/** What the user asked for, as shown on both jobs and schedules. */
function specFields(spec: JobSpec): ViewField[] {
  const fields: ViewField[] = [{ label: 'Image', value: printable(spec.image), code: true }];
  fields.push(
    spec.command.length > 0
      ? { label: 'Command', value: printable(quote(spec.command)), code: true }
      : { label: 'Command', value: "the image's default" },
  );
  const envKeys = Object.keys(spec.env);
  if (envKeys.length > 0) fields.push({ label: 'Environment', value: printable(envKeys.join(', ')) + ' (values hidden)' });
  if (spec.timeoutSeconds !== undefined) fields.push({ label: 'Timeout', value: formatDuration(spec.timeoutSeconds) });
  if (spec.maxPrice !== undefined) fields.push({ label: 'Max price', value: `$${spec.maxPrice} per hour` });
  return fields;
}

/** Seconds the container ran (or has been running). */
function runSeconds(job: Job, now: Date): number | undefined {
  if (!job.startedAt) return undefined;
  const end = isTerminal(job.status) ? (job.finishedAt ? Date.parse(job.finishedAt) : undefined) : now.getTime();
  if (end === undefined) return undefined;
  return Math.max(0, (end - Date.parse(job.startedAt)) / 1000);
}

/** Paid so far, plus the current instance's time at its price while it still runs. */
function costSoFar(job: Job, now: Date): number | undefined {
  let cost = job.costUsd;
  if (!isTerminal(job.status) && job.launchedAt && job.pricePerHour !== undefined) {
    const hours = Math.max(0, now.getTime() - Date.parse(job.launchedAt)) / 3_600_000;
    cost = (cost ?? 0) + hours * job.pricePerHour;
  }
  return cost === undefined || !Number.isFinite(cost) ? undefined : cost;
}

export function formatUsd(amount: number): string {
  if (amount > 0 && amount < 0.01) return `$${amount.toFixed(4)}`;
  return `$${amount.toFixed(2)}`;
}

function callbackHost(spec: JobSpec): string | undefined {
  if (!spec.callbackUrl) return undefined;
  try {
    return new URL(spec.callbackUrl).host;
  } catch {
    return 'the callback URL';
  }
}

function callbackText(job: Job): string | undefined {
  const host = callbackHost(job.spec);
  if (!host) return undefined;
  const progress = job.callback;
  if (!progress) return `${host}, when the job ends`;
  switch (progress.state) {
    case 'delivered':
      return `delivered to ${host}${progress.lastStatusCode ? ` (HTTP ${progress.lastStatusCode})` : ''}`;
    case 'pending':
      return progress.attempts === 0
        ? `sending to ${host}`
        : `retrying ${host} (${progress.attempts} ${progress.attempts === 1 ? 'try' : 'tries'} so far${progress.nextAt ? `, next ${utcMinute(progress.nextAt)}` : ''})`;
    case 'failed':
      return printable(`failed to reach ${host} after ${progress.attempts} ${progress.attempts === 1 ? 'try' : 'tries'}${progress.lastError ? `: ${progress.lastError}` : progress.lastStatusCode ? `: HTTP ${progress.lastStatusCode}` : ''}`);
    default:
      return assertNever(progress.state);
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
      return ViewTone.Waiting;
    case 'launching':
    case 'started':
      return ViewTone.Active;
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

/** "2026-03-05 15:04 UTC". */
export function utcMinute(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? printable(iso) : describeInstant(date, 'UTC');
}

function eventTime(iso: string, now: Date): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return printable(iso);
  const text = formatUtc(date);
  return text.slice(0, 10) === formatUtc(now).slice(0, 10) ? `${text.slice(11)} UTC` : `${text.slice(0, 16)} UTC`;
}

// Line breaks and C0/C1 controls, lone surrogates, and bidi/line-separator characters.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNPRINTABLE_REGEX = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function printableField(field: ViewField): ViewField {
  return { ...field, label: printable(field.label), value: printable(field.value) };
}

/** One line of text, safe to show anywhere: unprintable characters become visible escapes. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE_REGEX, (char) => {
    if (char === '\n') return '\\n';
    if (char === '\t') return '\\t';
    if (char === '\r') return '\\r';
    const code = char.charCodeAt(0);
    return code >= 0xd800 && code <= 0xdfff ? '\uFFFD' : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

// eslint-disable-next-line no-control-regex -- matching terminal escape sequences is the point
const ANSI_SEQUENCE_REGEX = /\u001B(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001B]*(?:\u0007|\u001B\\)?|[@-Z\\-_])/g;
// eslint-disable-next-line no-control-regex -- as above: every control character but tab and newline
const OUTPUT_CONTROL_REGEX = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;

/**
 * A container's output as lines a person can read: colour and cursor sequences dropped, each
 * carriage-return-overwritten line (progress bars) reduced to what was finally shown, other
 * control characters dropped, broken surrogates replaced. Keeps the last `logTail` characters.
 */
export function cleanOutput(text: string): string {
  const tail = text.length > JOB_VIEW_LIMITS.logTail * 2 ? text.slice(-JOB_VIEW_LIMITS.logTail * 2) : text;
  const cleaned = tail
    .replace(ANSI_SEQUENCE_REGEX, '')
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => {
      const parts = line.split('\r').filter((part) => part !== '');
      return parts[parts.length - 1] ?? '';
    })
    .join('\n')
    .replace(OUTPUT_CONTROL_REGEX, '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/\n+$/, '');
  if (cleaned.length <= JOB_VIEW_LIMITS.logTail) return cleaned;
  let cut = cleaned.length - JOB_VIEW_LIMITS.logTail;
  // Never start inside a surrogate pair.
  if (/[\uDC00-\uDFFF]/.test(cleaned[cut] ?? '')) cut++;
  return cleaned.slice(cut);
}

/**
 * The facts that close a job — exit code, run time, cost — for the event that ended it, so the
 * thread's last line reads "succeeded (exit 0, 14m) · $0.03" on every surface.
 */
export function closingFacts(view: JobView, event: ViewEvent): string[] {
  if (event.kind !== 'succeeded' && event.kind !== 'failed' && event.kind !== 'cancelled') return [];
  const wanted: Record<string, (value: string) => string> = {
    'Exit code': (value) => `exit code ${value}`,
    Duration: (value) => `ran ${value}`,
    Cost: (value) => `cost ${value}`,
  };
  return view.fields.flatMap((field) => {
    const describe = wanted[field.label];
    return describe ? [describe(field.value)] : [];
  });
}
