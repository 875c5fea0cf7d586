/**
 * Plain-text lines for the terminal surface, drawn from the same views as the Slack renderer
 * (bot/slack/render.ts), so both show the same facts. Pure: views in, lines out; the caller
 * prints them. No ANSI codes unless the caller injects a `paint` function (colour is the
 * terminal's business, and tests read plain text).
 *
 * The views are already printable: nothing here can smuggle an escape sequence to the terminal.
 */
import { helpText, type HelpDefaults } from '../core/parsing/help.js';
import { closingFacts, printable, type JobAction, type JobView, type ListView, type ScheduleView, type ViewEvent, type ViewField, type ViewTone } from '../core/view/job-view.js';
import type { JobOwner } from '../core/job.js';
import type { PlanView } from '../core/view/plan-view.js';

export type TerminalStyle = ViewTone | 'bold' | 'dim';
/** Wraps text in a style, e.g. with ANSI colours; the default leaves it plain. */
export type Paint = (style: TerminalStyle, text: string) => string;

export interface TerminalRenderOptions {
  paint?: Paint;
}

const plain: Paint = (_style, text) => text;

const TONE_SYMBOL: { readonly [T in ViewTone]: string } = {
  waiting: '◷',
  active: '▶',
  success: '✓',
  failure: '✗',
  muted: '⊘',
};

/** Lines of output shown by `status`; `logs` shows all of the tail. */
const STATUS_LOG_LINES = 15;
const LABEL_WIDTH = 15;

function painter(options: TerminalRenderOptions | undefined): Paint {
  return options?.paint ?? plain;
}

function fieldLine(field: ViewField, paint: Paint): string {
  return `  ${paint('dim', field.label.padEnd(LABEL_WIDTH))} ${field.value}`;
}

function ownerText(owner: JobOwner): string {
  const what = owner.kind === 'api' ? 'API client' : owner.kind === 'terminal' ? 'terminal user' : 'Slack user';
  return `${what} ${owner.id}`;
}

function actionCommand(action: JobAction, id: string): string {
  return `/sched ${action} ${id}`;
}

function actionsLine(all: readonly JobAction[], id: string, paint: Paint): string[] {
  // "Run on-demand" is a Slack button; there is no command to type for it.
  const actions = all.filter((action) => action !== 'on-demand');
  if (actions.length === 0) return [];
  return [`  ${paint('dim', 'Next'.padEnd(LABEL_WIDTH))} ${actions.map((action) => actionCommand(action, id)).join('  ·  ')}`];
}

function heading(symbol: string, tone: ViewTone, title: string, id: string, paint: Paint): string {
  return `${paint(tone, symbol)} ${paint('bold', title)}  ${paint('dim', id)}`;
}

function jobHead(view: JobView, paint: Paint): string[] {
  const lines = [
    heading(TONE_SYMBOL[view.tone], view.tone, view.title, view.id, paint),
    `  ${paint(view.tone, view.statusLabel)}`,
    ...view.fields.map((field) => fieldLine(field, paint)),
    fieldLine({ label: 'Started by', value: ownerText(view.owner) }, paint),
  ];
  if (view.scheduleId) lines.push(fieldLine({ label: 'From schedule', value: view.scheduleId }, paint));
  return lines;
}

/** The job as a block of lines: what the terminal prints when a job is created or changes. */
export function renderJobLines(view: JobView, options?: TerminalRenderOptions): string[] {
  const paint = painter(options);
  return [...jobHead(view, paint), ...actionsLine(view.actions, view.id, paint)];
}

/** One event of a job, on one line: what the terminal prints as the job moves. */
export function renderJobEventLine(view: JobView, event: ViewEvent, options?: TerminalRenderOptions): string {
  const paint = painter(options);
  const facts = closingFacts(view, event);
  const details = facts.length > 0 ? ` · ${facts.join(' · ')}` : '';
  return `${paint('dim', event.time)}  ${paint('dim', view.id)} ${paint('bold', view.title)}  ${paint(event.tone, TONE_SYMBOL[event.tone])} ${event.text}${details}`;
}

/** `/sched status JOB`: the job, its recent events and the end of its output. */
export function renderJobStatusLines(view: JobView, options?: TerminalRenderOptions): string[] {
  const paint = painter(options);
  const lines = jobHead(view, paint);
  if (view.events.length > 0) {
    lines.push('', `  ${paint('bold', 'Recent events')}`);
    for (const event of view.events) lines.push(`  ${paint('dim', event.time)}  ${paint(event.tone, TONE_SYMBOL[event.tone])} ${event.text}`);
  }
  if (view.logTail) {
    const tail = view.logTail.split('\n');
    lines.push('', `  ${paint('bold', 'End of output')} ${paint('dim', `(all of it: ${actionCommand('logs', view.id)})`)}`);
    lines.push(...tail.slice(-STATUS_LOG_LINES).map((line) => `  │ ${line}`));
  }
  const actions = actionsLine(view.actions, view.id, paint);
  if (actions.length > 0 && (view.events.length > 0 || view.logTail)) lines.push('');
  lines.push(...actions);
  return lines;
}

/** `/sched logs JOB`. */
export function renderJobLogsLines(view: JobView, options?: TerminalRenderOptions): string[] {
  const paint = painter(options);
  const head = `${paint('bold', `Output of ${view.title}`)}  ${paint('dim', view.id)}`;
  if (!view.logTail) {
    const why = view.status === 'succeeded' || view.status === 'failed' ? 'the container printed nothing' : 'output arrives when the container ends';
    return [head, `  ${view.outputNote ?? `No output: ${why}.`}`];
  }
  const note = view.outputNote ? [`  ${paint('dim', view.outputNote)}`] : [];
  return [head, ...note, ...view.logTail.split('\n').map((line) => `  │ ${line}`)];
}

/** A schedule: the reply to `run --cron`, and `status` of a schedule id. */
export function renderScheduleLines(view: ScheduleView, options?: TerminalRenderOptions): string[] {
  const paint = painter(options);
  return [
    heading('↻', view.tone, view.title, view.id, paint),
    `  ${paint(view.tone, view.statusLabel)}`,
    ...view.fields.map((field) => fieldLine(field, paint)),
    fieldLine({ label: 'Created by', value: ownerText(view.owner) }, paint),
    ...actionsLine(view.actions, view.id, paint),
  ];
}

/** `run --dry-run`: when, every pool with its prices, the estimate; nothing happened. */
export function renderPlanLines(view: PlanView, options?: TerminalRenderOptions): string[] {
  const paint = painter(options);
  return [
    `${paint('waiting', '◌')} ${paint('bold', `Dry run: ${view.title}`)}`,
    ...view.fields.map((field) => fieldLine(field, paint)),
    `  ${paint('dim', 'Pools'.padEnd(LABEL_WIDTH))} ${view.pools.length}, cheapest first`,
    ...view.pools.map((line) => `    ${line}`),
    `  ${paint('dim', view.note)}`,
  ];
}

function row(symbol: string, tone: ViewTone, title: string, id: string, label: string, paint: Paint): string {
  return `  ${paint(tone, symbol)} ${paint('dim', id)}  ${paint('bold', title)} — ${label}`;
}

/** `/sched list`. */
export function renderListLines(input: ListView, options?: TerminalRenderOptions): string[] {
  const paint = painter(options);
  const whose = input.all ? 'All' : 'Your';
  if (input.jobs.length === 0 && input.schedules.length === 0) {
    return [paint('bold', `${whose} jobs`), '  No jobs in the last 24 hours, and no schedules. Start one: /sched run alpine echo hello'];
  }
  const active = input.jobs.filter((job) => job.actions.includes('cancel'));
  const ended = input.jobs.filter((job) => !job.actions.includes('cancel'));
  const lines = [paint('bold', `${whose} jobs`)];
  const group = (title: string, rows: string[]) => {
    if (rows.length === 0) return;
    lines.push(`${paint('bold', title)} (${rows.length})`, ...rows);
  };
  group('Schedules', input.schedules.map((view) => row('↻', view.tone, view.title, view.id, view.statusLabel, paint)));
  group('Active', active.map((view) => row(TONE_SYMBOL[view.tone], view.tone, view.title, view.id, view.statusLabel, paint)));
  group('Ended', ended.map((view) => row(TONE_SYMBOL[view.tone], view.tone, view.title, view.id, view.statusLabel, paint)));
  lines.push(paint('dim', 'Details: /sched status JOB  ·  Output: /sched logs JOB'));
  return lines;
}

/** `/sched help [topic]`. */
export function renderHelpLines(topic?: string, defaults?: HelpDefaults): string[] {
  return helpText(topic, defaults).split('\n');
}

/** A refused command: what was wrong, then the usage line. */
export function renderErrorLines(error: string, usage: string, options?: TerminalRenderOptions): string[] {
  const paint = painter(options);
  // Errors echo what the user typed; printable() keeps an escape sequence in it from acting.
  const problems = error.split('\n').filter((line) => line.trim() !== '').map(printable);
  const body = problems.length > 1 ? problems.map((line) => `  • ${line}`) : [`  ${problems[0] ?? ''}`];
  return [paint('failure', '✗ Error'), ...body, `  ${paint('dim', 'Usage:')} ${printable(usage)}`, `  ${paint('dim', 'Help:')}  /sched help`];
}

/** A short reply in words: confirmations, refusals, "no such job". */
export function renderNoticeLines(text: string, tone: ViewTone = 'muted', options?: TerminalRenderOptions): string[] {
  const paint = painter(options);
  return [`${paint(tone, TONE_SYMBOL[tone])} ${printable(text)}`];
}
