/** A command outcome as the Slack message that answers it. Pure. */
import { confirmJob, confirmSchedule } from '../commands/confirm.js';
import { failureText } from '../commands/execute.js';
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

/** A command that failed for a reason that is not the user's: said without the internals the operator's terminal shows. */
export function renderFailure(thrown: unknown): SlackMessage {
  return renderNotice(failureText(thrown, 'member'), 'failure');
}

/** The message with a note under it (a context line), within Slack's block limit. */
export function withNote(message: SlackMessage, note: string): SlackMessage {
  const blocks = [...(message.blocks ?? []), context([`:information_source: ${note}`])].slice(-SLACK_LIMITS.messageBlocks);
  return { ...message, text: `${message.text}\n${note}`, blocks };
}
