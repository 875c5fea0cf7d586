/**
 * What `logs JOB` shows, for every surface: the container's final output once the agent reported
 * `finished`; before that (and after a cancel or a timeout that left no final output) the output
 * so far, as the fleet sees it or as the agent last reported it, with its age.
 */
import { isTerminal, JobStatus, type Job } from '../job.js';
import { formatDuration } from '../duration.js';
import type { OutputTail } from '../../ports.js';
import { jobView } from './job-view.js';
import type { JobView } from './view-model.js';
import { cleanOutput } from './view-text.js';

/** The job's view with the output `logs` shows in `logTail` and what it is in `outputNote`. */
export function jobLogsView(job: Job, soFar: OutputTail | undefined, now: Date): JobView {
  const view = jobView(job, now);
  // The finished report's tail wins: it is the container's last word.
  if (view.logTail) return view;
  const text = soFar ? cleanOutput(soFar.text) : '';
  if (!soFar || text.trim() === '') return { ...view, outputNote: noOutput(job) };
  const age = `${formatDuration((now.getTime() - Date.parse(soFar.at)) / 1000)} ago`;
  const note = isTerminal(job.status) ? `Last output, ${age} (${endedHow(job)}; nothing more was reported)` : `The job is running: output so far, ${age}`;
  return { ...view, logTail: text, outputNote: note };
}

function endedHow(job: Job): string {
  if (job.status === JobStatus.Cancelled) return 'then it was cancelled';
  if (job.endReason?.reason === 'timeout') return 'then it timed out';
  return `then it ${job.status}`;
}

function noOutput(job: Job): string {
  switch (job.status) {
    case JobStatus.Running:
      return 'No output yet: the container runs and has printed nothing so far.';
    case JobStatus.Succeeded:
    case JobStatus.Failed:
      return 'No output: the container printed nothing.';
    case JobStatus.Cancelled:
      return 'No output: the container printed nothing before the job was cancelled.';
    default:
      return 'No output yet: the container has not started.';
  }
}
