/**
 * Block Kit for every Slack reply, drawn from the surface-neutral views of bot/core/view/job-view.ts.
 * Pure: views in, message payloads out.
 *
 * Slack refuses a whole message when one limit is exceeded, so every text is fitted to its limit
 * (cut on a code point, never inside a surrogate pair or an `&amp;` entity, marked with "…") and
 * every message stays within its block budget, saying how many items it left out. User text is
 * escaped for mrkdwn (`&`, `<`, `>`), so it can neither mention nor link. This file assembles the
 * messages; the blocks and their limits are in blocks.ts, escaping and fitting in mrkdwn.ts.
 *
 * Buttons: `action_id` `job_cancel`, `job_retry`, `job_logs`, `value` the job id. A schedule's
 * Cancel button is `job_cancel` too, with the schedule id as value: `cancel` takes either id.
 */
import { helpText, type HelpDefaults } from '../core/parsing/help.js';
import { closingFacts, type JobView, type ListView, type ScheduleView, type ViewEvent, type ViewTone } from '../core/view/job-view.js';
import {
  actionsBlock,
  BlockBudget,
  context,
  divider,
  eventLine,
  fallback,
  fieldSections,
  header,
  idCode,
  jobContext,
  lineSections,
  ownerText,
  preformatted,
  scheduleEmoji,
  section,
  SLACK_LIMITS,
  STATUS_EMOJI,
  statusLine,
  toneEmoji,
  type KnownBlock,
  type SlackHomeView,
  type SlackMessage,
} from './blocks.js';
import { clampMrkdwn, fitMrkdwn } from './mrkdwn.js';
import type { PlanView } from '../core/view/plan-view.js';

export { ACTION_IDS, SLACK_LIMITS, type SlackHomeView, type SlackMessage } from './blocks.js';
export { escapeMrkdwn, fitMrkdwn, fitMrkdwnTail, fitText, unescapeSlackText } from './mrkdwn.js';

/** The job's own message in its channel, edited in place as the job changes. */
export function renderJobMessage(view: JobView): SlackMessage {
  const blocks: KnownBlock[] = [
    header(view.title),
    section(statusLine(view)),
    ...fieldSections(view.fields),
    jobContext(view),
    ...actionsBlock(view.actions, view.id, { kind: 'job', title: view.title }),
  ];
  return { text: fallback(`${view.summary}`), blocks: blocks.slice(0, SLACK_LIMITS.messageBlocks) };
}

/** One reply in the job's thread per event. */
export function renderJobEvent(view: JobView, event: ViewEvent): SlackMessage {
  const facts = closingFacts(view, event);
  return {
    text: fallback(`${view.title}: ${event.text}${facts.length > 0 ? ` · ${facts.join(' · ')}` : ''}`),
    blocks: [section(eventLine(event, facts)), context([fitMrkdwn(event.time, 100), idCode(view.id)])],
  };
}

/** `/sched status JOB`: the job message, its recent events and the end of its output. */
export function renderJobStatus(view: JobView): SlackMessage {
  const budget = new BlockBudget(SLACK_LIMITS.messageBlocks);
  budget.add([header(view.title), section(statusLine(view)), ...fieldSections(view.fields), jobContext(view)], 2);
  if (view.events.length > 0) {
    budget.add(lineSections(['*Recent events*', ...view.events.map((event) => `\`${fitMrkdwn(event.time, 40)}\` ${eventLine(event)}`)]), 2);
  }
  if (view.logTail) {
    const lastLines = view.logTail.split('\n').slice(-15).join('\n');
    budget.add([section(`*End of output* (all of it: \`/sched logs ${fitMrkdwn(view.id, 200)}\`)`), ...preformatted(lastLines).slice(-1)], 1);
  }
  budget.add(actionsBlock(view.actions, view.id, { kind: 'job', title: view.title }), 0);
  return { text: fallback(view.summary), blocks: budget.blocks };
}

/** `/sched logs JOB`: the end of the container's output. */
export function renderJobLogs(view: JobView): SlackMessage {
  const title = `*Output of ${fitMrkdwn(view.title, 500)}* ${idCode(view.id)}`;
  if (!view.logTail) {
    const why = view.status === 'succeeded' || view.status === 'failed' ? 'the container printed nothing' : 'output arrives when the container ends';
    return { text: fallback(`${view.title} (${view.id}): no output yet`), blocks: [section(`${title}\n${fitMrkdwn(view.outputNote ?? `No output: ${why}.`, 500)}`)] };
  }
  const budget = new BlockBudget(SLACK_LIMITS.messageBlocks);
  budget.add([section(title)], 0);
  if (view.outputNote) budget.add([context([fitMrkdwn(view.outputNote, 500)])], 0);
  // The end matters most: keep the last chunks that fit.
  const chunks = preformatted(view.logTail);
  const kept = chunks.slice(-(SLACK_LIMITS.messageBlocks - 2));
  if (kept.length < chunks.length) budget.add([context(['…earlier output left out'])], 0);
  budget.add(kept, 0);
  return { text: fallback(`Output of ${view.title} (${view.id})`), blocks: budget.blocks };
}

/** A schedule: the reply to `run --cron`, and `status` of a schedule id. */
export function renderScheduleMessage(view: ScheduleView): SlackMessage {
  const blocks: KnownBlock[] = [
    header(view.title),
    section(`${scheduleEmoji(view)} *${fitMrkdwn(view.statusLabel, 2000)}*`),
    ...fieldSections(view.fields),
    context([idCode(view.id), `created by ${ownerText(view.owner)}`, 'times in UTC']),
    ...actionsBlock(view.actions, view.id, { kind: 'schedule', title: view.title }),
  ];
  return { text: fallback(view.summary), blocks: blocks.slice(0, SLACK_LIMITS.messageBlocks) };
}

/** `run --dry-run`: when, every pool with its prices, the estimate; nothing happened. */
export function renderPlanMessage(view: PlanView): SlackMessage {
  const budget = new BlockBudget(SLACK_LIMITS.messageBlocks);
  budget.add([header(view.title), section(`*${fitMrkdwn(view.summary, 2000)}*`), ...fieldSections(view.fields)]);
  const shown = addRows(budget, `*Pools* (${view.pools.length}, cheapest first)`, view.pools.map((line) => `• ${fitMrkdwn(line, 500)}`));
  const left = view.pools.length - shown;
  budget.add([context([left > 0 ? `${view.note} ${left} more pools not shown.` : view.note])], 0);
  return { text: fallback(view.summary), blocks: budget.blocks };
}

function jobRow(view: JobView): string {
  return `${STATUS_EMOJI[view.status]} *${fitMrkdwn(view.title, 150)}* ${idCode(view.id)} — ${fitMrkdwn(view.statusLabel, 500)}`;
}

function scheduleRow(view: ScheduleView): string {
  return `${scheduleEmoji(view)} *${fitMrkdwn(view.title, 150)}* ${idCode(view.id)} — ${fitMrkdwn(view.statusLabel, 500)}`;
}

/**
 * Adds a heading and rows as few sections as fit, while the budget lasts; returns how many rows
 * made it, so the caller can say how many did not.
 */
function addRows(budget: BlockBudget, heading: string, rows: string[]): number {
  let shown = 0;
  let current = heading;
  let inCurrent = 0;
  const flush = (): boolean => {
    if (!budget.add([section(current)])) return false;
    shown += inCurrent;
    return true;
  };
  for (const row of rows) {
    const fitted = clampMrkdwn(row, 1000);
    if (current.length + 1 + fitted.length > SLACK_LIMITS.sectionText) {
      if (!flush()) return shown;
      current = '';
      inCurrent = 0;
    }
    current = current.length > 0 ? `${current}\n${fitted}` : fitted;
    inCurrent++;
  }
  flush();
  return shown;
}

/** `/sched list`: schedules, active jobs, then ended ones. */
export function renderList(input: ListView): SlackMessage {
  const active = input.jobs.filter((job) => job.actions.includes('cancel'));
  const ended = input.jobs.filter((job) => !job.actions.includes('cancel'));
  const whose = input.all ? 'All' : 'Your';
  const budget = new BlockBudget(SLACK_LIMITS.messageBlocks);
  budget.add([header(`${whose} jobs`)]);
  if (input.jobs.length === 0 && input.schedules.length === 0) {
    budget.add([section('No jobs in the last 24 hours, and no schedules. Start one: `/sched run alpine echo hello`')], 0);
    return { text: fallback(`${whose} jobs: none`), blocks: budget.blocks };
  }
  let left = 0;
  const groups: [string, string[]][] = [
    ['Schedules', input.schedules.map(scheduleRow)],
    ['Active', active.map(jobRow)],
    ['Ended', ended.map(jobRow)],
  ];
  for (const [title, rows] of groups) {
    if (rows.length > 0) left += rows.length - addRows(budget, `*${title}* (${rows.length})`, rows);
  }
  budget.add([context([left > 0 ? `…and ${left} more not shown` : '', 'Details: `/sched status JOB`', 'Output: `/sched logs JOB`'])], 0);
  const counts = `${input.schedules.length} schedules, ${active.length} active, ${ended.length} ended`;
  return { text: fallback(`${whose} jobs: ${counts}`), blocks: budget.blocks };
}

/** The user's jobs (active and recent) and schedules. */
export type HomeInput = Omit<ListView, 'all'>;

/** The App Home tab: the user's active and recent jobs and schedules, with their buttons. */
export function renderHome(input: HomeInput): SlackHomeView {
  const active = input.jobs.filter((job) => job.actions.includes('cancel'));
  const ended = input.jobs.filter((job) => !job.actions.includes('cancel'));
  const budget = new BlockBudget(SLACK_LIMITS.homeBlocks);
  budget.add([
    header('Sched'),
    context(['Your jobs from the last 24 hours and your schedules. Start a job: `/sched run IMAGE`; help: `/sched help`']),
  ]);
  let left = 0;
  const addGroup = <V extends JobView | ScheduleView>(title: string, views: V[], row: (view: V) => string): void => {
    if (!budget.add([divider, section(`*${title}* (${views.length})`)], 2)) {
      left += views.length;
      return;
    }
    if (views.length === 0) {
      budget.add([context(['None'])]);
      return;
    }
    let shown = 0;
    for (const view of views) {
      const subject = { kind: view.kind, title: view.title };
      if (!budget.add([section(row(view)), ...actionsBlock(view.actions, view.id, subject)])) break;
      shown++;
    }
    left += views.length - shown;
  };
  addGroup('Active jobs', active, jobRow);
  addGroup('Schedules', input.schedules, scheduleRow);
  addGroup('Recent jobs', ended, jobRow);
  if (left > 0) budget.add([context([`…and ${left} more: \`/sched list\``])], 0);
  return { type: 'home', blocks: budget.blocks };
}

/** `/sched help [topic]`, preformatted as the terminal prints it. */
export function renderHelp(topic?: string, defaults?: HelpDefaults): SlackMessage {
  const text = helpText(topic, defaults);
  const blocks = preformatted(text).slice(0, SLACK_LIMITS.messageBlocks);
  return { text: fallback(text.split('\n')[0] ?? 'Sched help'), blocks };
}

/** An ephemeral error: what was wrong, then the usage line. */
export function renderError(error: string, usage: string): SlackMessage {
  const lines = error.split('\n').filter((line) => line.trim() !== '');
  const body = lines.length > 1 ? lines.map((line) => `• ${fitMrkdwn(line, 1000)}`).join('\n') : fitMrkdwn(error, 2800);
  return {
    text: fallback(error),
    blocks: [section(`:warning: ${body}`), context([`Usage: \`${fitMrkdwn(usage, 1500)}\``, 'Help: `/sched help`'])],
  };
}

/** A short reply in words: confirmations, refusals, "no such job". */
export function renderNotice(text: string, tone: ViewTone = 'muted'): SlackMessage {
  return { text: fallback(text), blocks: [section(`${toneEmoji(tone)} ${fitMrkdwn(text, 2900)}`)] };
}
