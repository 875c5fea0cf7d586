/**
 * The facts a job view lists (image, command, instance, attempts, duration, cost, callback), and
 * the spec fields a schedule view shares. Env values are never shown: they are often secrets.
 * Callback URLs show their host only: their path may carry a token.
 */
import { quote } from 'shell-quote';
import { relativeTime } from '../parsing/when.js';
import { computeOf, isTerminal, JobStatus, type Job, type JobSpec } from '../job.js';
import { formatDuration } from '../duration.js';
import { attemptsSoFar, currentAttemptCost, savedUsd } from '../cost.js';
import { assertNever } from '../assert-never.js';
import type { ViewField } from './view-model.js';
import { printable, utcMinute } from './view-text.js';

export function jobFields(job: Job, now: Date): ViewField[] {
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

  if (job.market && computeOf(job) === 'ec2') fields.push({ label: 'Market', value: job.market });

  if (job.attempt > 0) {
    const interruptions = `${job.interruptions} ${job.interruptions === 1 ? 'interruption' : 'interruptions'}`;
    fields.push({ label: 'Attempts', value: `${job.attempt} (${interruptions}, ${job.spec.interruptionsTolerated} tolerated)` });
  }
  if (job.exitCode !== undefined) fields.push({ label: 'Exit code', value: String(job.exitCode) });

  const took = runSeconds(job, now);
  if (took !== undefined) fields.push({ label: 'Duration', value: isTerminal(job.status) ? formatDuration(took) : `${formatDuration(took)} so far` });

  const cost = costSoFar(job, now);
  if (cost !== undefined) fields.push({ label: 'Cost', value: isTerminal(job.status) ? formatUsd(cost) : `≈ ${formatUsd(cost)} so far` });
  const saved = savedUsd(attemptsSoFar(job, now));
  if (saved !== null && cost !== undefined) {
    fields.push({ label: 'Saved', value: `${isTerminal(job.status) ? '' : '≈ '}${formatUsd(saved)} against on-demand${isTerminal(job.status) ? '' : ' so far'}` });
  }

  const callback = callbackText(job);
  if (callback) fields.push({ label: 'Callback', value: callback });
  return fields;
}

/** What the user asked for, as shown on both jobs and schedules. */
export function specFields(spec: JobSpec): ViewField[] {
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
  if (spec.gpus !== undefined) fields.push({ label: 'GPUs', value: spec.gpus === 'all' ? "all of the instance's" : String(spec.gpus) });
  const onDemand = onDemandText(spec);
  if (onDemand) fields.push({ label: 'On-demand', value: onDemand });
  if (spec.retryExitCodes?.length) fields.push({ label: 'Retried exit codes', value: spec.retryExitCodes.join(', ') });
  return fields;
}

/** When the job falls back to on-demand: "after 2 interruptions, or after 10m without spot capacity". */
function onDemandText(spec: JobSpec): string | undefined {
  const when: string[] = [];
  if (spec.onDemandAfter === 0) when.push('from the start');
  else if (spec.onDemandAfter !== undefined) when.push(`after ${spec.onDemandAfter} ${spec.onDemandAfter === 1 ? 'interruption' : 'interruptions'}`);
  if (spec.onDemandWaitSeconds !== undefined) when.push(`after ${formatDuration(spec.onDemandWaitSeconds)} without spot capacity`);
  return when.length > 0 ? when.join(', or ') : undefined;
}

/** Seconds the container ran (or has been running). */
export function runSeconds(job: Job, now: Date): number | undefined {
  if (!job.startedAt) return undefined;
  const end = isTerminal(job.status) ? (job.finishedAt ? Date.parse(job.finishedAt) : undefined) : now.getTime();
  if (end === undefined) return undefined;
  return Math.max(0, (end - Date.parse(job.startedAt)) / 1000);
}

/** Paid so far, plus the current instance's time at its price (spot, or on-demand) while it still runs. */
function costSoFar(job: Job, now: Date): number | undefined {
  let cost = job.costUsd;
  if (!isTerminal(job.status) && job.launchedAt && !job.attemptCosts?.some((a) => a.attempt === job.attempt)) {
    const current = currentAttemptCost(job, (now.getTime() - Date.parse(job.launchedAt)) / 1000).costUsd;
    if (current !== undefined) cost = (cost ?? 0) + current;
  }
  return cost === undefined || !Number.isFinite(cost) ? undefined : cost;
}

export function formatUsd(amount: number): string {
  if (amount > 0 && amount < 0.01) return `$${amount.toFixed(4)}`;
  return `$${amount.toFixed(2)}`;
}

export function callbackHost(spec: JobSpec): string | undefined {
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
