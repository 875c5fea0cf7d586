/** A command outcome as the Slack message that answers it. Pure. */
import { confirmJob, confirmSchedule } from '../commands/confirm.js';
import type { CommandOutcome } from '../commands/types.js';
import type { RunWhen } from '../core/parsing/grammar.js';
import type { HelpDefaults } from '../core/parsing/help.js';
import { jobView, scheduleView } from '../core/view/job-view.js';
import { context } from './blocks.js';
import { planView } from '../core/view/plan-view.js';
import { jobLogsView } from '../core/view/logs-view.js';
import { renderError, renderHelp, renderJobLogs, renderJobStatus, renderList, renderNotice, renderPlanMessage, renderScheduleMessage, SLACK_LIMITS, type SlackMessage } from './render.js';
import { assertNever } from '../core/assert-never.js';

export function renderOutcome(outcome: CommandOutcome, ctx: { now: Date; when?: RunWhen; help?: HelpDefaults }): SlackMessage {
  const { now } = ctx;
  switch (outcome.kind) {
    case 'job-created':
      return renderNotice(`${confirmJob(outcome.job, ctx.when, now)} Its updates follow in this channel.`, 'success');
    case 'schedule-created': {
      const message = renderScheduleMessage(scheduleView(outcome.schedule, now));
      const note = renderNotice(confirmSchedule(outcome.schedule, ctx.when), 'success');
      return { text: note.text, blocks: [...(note.blocks ?? []), ...(message.blocks ?? [])] };
    }
    case 'run-plan':
      return renderPlanMessage(planView(outcome.plan, now));
    case 'job-status':
      return renderJobStatus(jobView(outcome.job, now));
    case 'schedule-status':
      return renderScheduleMessage(scheduleView(outcome.schedule, now));
    case 'job-logs':
      return renderJobLogs(jobLogsView(outcome.job, outcome.output, now));
    case 'job-cancelled':
      return renderNotice(`Job ${outcome.job.id} is cancelled.`, 'muted');
    case 'job-on-demand':
      return renderNotice(`Job ${outcome.job.id} launches on-demand now.`, 'success');
    case 'schedule-cancelled':
      return renderNotice(`Schedule ${outcome.schedule.id} is cancelled; it starts no more jobs.`, 'muted');
    case 'list':
      return renderList({ jobs: outcome.jobs.map((job) => jobView(job, now)), schedules: outcome.schedules.map((s) => scheduleView(s, now)), all: outcome.all });
    case 'help':
      return renderHelp(outcome.topic, ctx.help);
    case 'invalid':
      return renderError(outcome.error, outcome.usage || 'see `/sched help`');
    case 'denied':
    case 'conflict':
      return renderNotice(outcome.reason, 'failure');
    default:
      return assertNever(outcome, 'outcome');
  }
}

/** A write the work began on the job store, as `trackStore` (listeners/execute.ts) saw it. */
export interface StoreWrite {
  call: 'createJob' | 'cancelJob' | 'runOnDemand' | 'retryJob' | 'createSchedule' | 'cancelSchedule';
  /** The id it was called with (absent for a create). */
  arg?: string;
  /** The id of what it wrote, once done. */
  id?: string;
  state: 'started' | 'done' | 'failed';
}

/** What is known of a command that did not finish after its ack. */
export interface FailureFacts {
  /** What the person asked: `cancel j-…`. */
  label: string;
  /** `late`: no answer within the deadline (`store`: a store call was still pending). */
  cause: { kind: 'late'; seconds: number; store: boolean } | { kind: 'store' } | { kind: 'other' };
  writes: StoreWrite[];
}

/**
 * A command that failed for a reason that is not the user's: what did not finish, why in a few
 * words, and whether anything changed. Never the error itself: that is in the log.
 */
export function renderFailure(facts: FailureFacts): SlackMessage {
  return renderNotice(failureWords(facts), 'failure');
}

export function failureWords({ label, cause, writes }: FailureFacts): string {
  const why =
    cause.kind === 'late'
      ? cause.store
        ? `the job store did not answer within ${cause.seconds} s`
        : `it did not finish within ${cause.seconds} s`
      : cause.kind === 'store'
        ? 'the job store failed (the log says how)'
        : 'something failed inside Sched (the log says what)';
  const changed = writes.length === 0 ? 'Nothing was changed.' : writes.map(writeWords).join(' ');
  return `Sched could not finish \`${label.replace(/`/g, "'")}\`: ${why}. ${changed}`;
}

function writeWords(write: StoreWrite): string {
  const target = write.arg ?? '';
  if (write.state === 'done') {
    switch (write.call) {
      case 'createJob':
      case 'retryJob':
        return write.id ? `Job ${write.id} was created: \`/sched status ${write.id}\` follows it.` : 'The job was created: `/sched list` shows it.';
      case 'cancelJob':
        return `Job ${target} was cancelled.`;
      case 'runOnDemand':
        return `Job ${target} launches on-demand.`;
      case 'createSchedule':
        return write.id ? `Schedule ${write.id} was created.` : 'The schedule was created: `/sched list` shows it.';
      case 'cancelSchedule':
        return `Schedule ${target} was cancelled; it starts no more jobs.`;
      default:
        return assertNever(write.call, 'store write');
    }
  }
  // A write that failed or did not answer may still have been made (a reply lost on the way back).
  switch (write.call) {
    case 'createJob':
      return 'The job may or may not have been created: `/sched list` will show it in a minute.';
    case 'retryJob':
      return `The retry of ${target} may or may not have been created: \`/sched list\` will show it in a minute.`;
    case 'cancelJob':
      return `Job ${target} may or may not be cancelled: \`/sched status ${target}\` will tell in a minute.`;
    case 'runOnDemand':
      return `Job ${target} may or may not launch on-demand: \`/sched status ${target}\` will tell in a minute.`;
    case 'createSchedule':
      return 'The schedule may or may not have been created: `/sched list` will show it in a minute.';
    case 'cancelSchedule':
      return `Schedule ${target} may or may not be cancelled: \`/sched status ${target}\` will tell in a minute.`;
    default:
      return assertNever(write.call, 'store write');
  }
}

/** The message with a note under it (a context line), within Slack's block limit. */
export function withNote(message: SlackMessage, note: string): SlackMessage {
  const blocks = [...(message.blocks ?? []), context([`:information_source: ${note}`])].slice(-SLACK_LIMITS.messageBlocks);
  return { ...message, text: `${message.text}\n${note}`, blocks };
}
