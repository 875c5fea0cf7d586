/** A command outcome as the lines the terminal prints. Pure; the terminal twin of slack/reply.ts. */
import { confirmJob, confirmSchedule } from '../commands/confirm.js';
import { failureText } from '../commands/execute.js';
import type { CommandOutcome } from '../commands/types.js';
import { SCHED_USAGE, type RunWhen } from '../core/parsing/grammar.js';
import type { HelpDefaults } from '../core/parsing/help.js';
import { jobView, printable, scheduleView } from '../core/view/job-view.js';
import { planView } from '../core/view/plan-view.js';
import { jobLogsView } from '../core/view/logs-view.js';
import {
  renderErrorLines,
  renderHelpLines,
  renderJobLines,
  renderJobLogsLines,
  renderJobStatusLines,
  renderListLines,
  renderNoticeLines,
  renderPlanLines,
  renderScheduleLines,
  type TerminalRenderOptions,
} from './render.js';
import { assertNever } from '../core/assert-never.js';

export interface ReplyContext extends TerminalRenderOptions {
  now: Date;
  /** The parsed `run`'s time, so a confirmation shows it in the zone it was read in. */
  when?: RunWhen;
  help?: HelpDefaults;
  /** The usage line of the command that was run: shown when a use case refuses without one. */
  usage?: string;
}

/** Terminal-only words, shown under the overview help. */
export const TERMINAL_HELP_LINES = [
  '',
  'In this terminal',
  '  The /sched prefix is optional. Up/down arrows recall earlier commands.',
  '  exit, quit or Ctrl-D leave; in an interactive terminal that stops Sched, as Ctrl-C does.',
  '  Running jobs keep running and the next start picks them up; exit --stop-jobs cancels them (it asks first).',
];

export function renderOutcomeLines(outcome: CommandOutcome, ctx: ReplyContext): string[] {
  const { now } = ctx;
  const options: TerminalRenderOptions = ctx.paint ? { paint: ctx.paint } : {};
  switch (outcome.kind) {
    case 'job-created':
      return [
        ...renderNoticeLines(`${confirmJob(outcome.job, ctx.when, now)} Its updates follow here.`, 'success', options),
        ...renderJobLines(jobView(outcome.job, now), options),
      ];
    case 'schedule-created': {
      // Written for chat (one string, `code` in backticks); here each line is printed as is.
      const [first = '', ...rest] = confirmSchedule(outcome.schedule, ctx.when).replaceAll('`', '').split('\n');
      return [
        ...renderNoticeLines(first, 'success', options),
        ...rest.map((line) => `  ${printable(line)}`),
        ...renderScheduleLines(scheduleView(outcome.schedule, now), options),
      ];
    }
    case 'run-plan':
      return renderPlanLines(planView(outcome.plan, now), options);
    case 'job-status':
      return renderJobStatusLines(jobView(outcome.job, now), options);
    case 'schedule-status':
      return renderScheduleLines(scheduleView(outcome.schedule, now), options);
    case 'job-logs':
      return renderJobLogsLines(jobLogsView(outcome.job, outcome.output, now), options);
    case 'job-cancelled':
      return renderNoticeLines(`Job ${outcome.job.id} is cancelled.`, 'muted', options);
    case 'job-on-demand':
      return renderNoticeLines(`Job ${outcome.job.id} launches on-demand now.`, 'success', options);
    case 'schedule-cancelled':
      return renderNoticeLines(`Schedule ${outcome.schedule.id} is cancelled; it starts no more jobs.`, 'muted', options);
    case 'list':
      return renderListLines(
        { jobs: outcome.jobs.map((job) => jobView(job, now)), schedules: outcome.schedules.map((s) => scheduleView(s, now)), all: outcome.all },
        options,
      );
    case 'help':
      return [...renderHelpLines(outcome.topic, ctx.help), ...(outcome.topic === undefined ? TERMINAL_HELP_LINES : [])];
    case 'invalid':
      // Some use-case refusals come without a usage line; the command's own is the right one.
      return renderErrorLines(outcome.error, outcome.usage || ctx.usage || SCHED_USAGE, options);
    case 'denied':
    case 'conflict':
      return renderNoticeLines(outcome.reason, 'failure', options);
    default:
      return assertNever(outcome, 'outcome');
  }
}

/** A command that failed for a reason that is not the user's (a failing store, a bug); Slack says the same. */
export function renderFailureLines(thrown: unknown, options: TerminalRenderOptions): string[] {
  return renderNoticeLines(failureText(thrown, 'operator'), 'failure', options);
}
