/**
 * Block Kit for every Slack reply, drawn from the surface-neutral views of bot/core/job-view.ts.
 * Pure: views in, message payloads out.
 *
 * Slack refuses a whole message when one limit is exceeded, so every text is fitted to its limit
 * here (cut on a code point, never inside a surrogate pair or an `&amp;` entity, marked with "…")
 * and every message stays within its block budget, saying how many items it left out. User text is
 * escaped for mrkdwn (`&`, `<`, `>`), so it can neither mention nor link.
 *
 * Buttons: `action_id` `job_cancel`, `job_retry`, `job_logs`, `value` the job id. A schedule's
 * Cancel button is `job_cancel` too, with the schedule id as value: `cancel` takes either id.
 */
import type { types } from '@slack/bolt';
import { helpText, type HelpDefaults } from '../core/parsing/help.js';
import { closingFacts, type JobAction, type JobView, type ListView, type ScheduleView, type ViewEvent, type ViewField, type ViewTone } from '../core/job-view.js';
import type { JobOwner, JobStatus } from '../core/job.js';
import { assertNever } from '../core/assert-never.js';

type KnownBlock = types.KnownBlock;
type SectionBlock = types.SectionBlock;
type Button = types.Button;
type MrkdwnElement = types.MrkdwnElement;

/** Slack's documented limits, and the budgets this renderer keeps within them. */
export const SLACK_LIMITS = {
  messageBlocks: 50,
  homeBlocks: 100,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  buttonText: 75,
  buttonValue: 2000,
  contextElements: 10,
  contextText: 2000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** The `text` fallback (notifications, screen readers); Slack allows more, nobody reads more. */
  fallbackText: 3000,
} as const;

export interface SlackMessage {
  /** Always set: Slack shows it in notifications and where blocks cannot be drawn. */
  text: string;
  blocks: KnownBlock[];
}

/** A `views.publish` payload; assignable to Bolt's `HomeView`. */
export type SlackHomeView = Omit<types.HomeView, 'blocks'> & { type: 'home'; blocks: KnownBlock[] };

export const ACTION_IDS: { readonly [A in JobAction]: string } = {
  cancel: 'job_cancel',
  retry: 'job_retry',
  logs: 'job_logs',
};

// ---------------------------------------------------------------------------------------------
// Text: escaping and fitting

const LONE_SURROGATE_REGEX = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Slack rejects a payload that is not valid UTF-8; a lone surrogate cannot be encoded as UTF-8. */
function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE_REGEX, '\uFFFD');
}

/**
 * Escapes the three characters Slack's mrkdwn gives meaning to (mentions, links, entities), and
 * replaces lone surrogates.
 */
export function escapeMrkdwn(text: string): string {
  return wellFormed(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * What a user typed, from the text Slack sends with a slash command: entities decoded, and
 * Slack's auto-formatting undone (`<https://x|x>` → the URL, `<@U1|ana>` → `@ana`,
 * `<#C1|general>` → `#general`), so the grammar sees the user's words.
 */
export function unescapeSlackText(text: string): string {
  return text
    .replace(/<([^<>]*)>/g, (_match, inner: string) => {
      const [target = '', label] = inner.split('|', 2);
      if (/^(?:https?|mailto):/i.test(target)) return target.replace(/^mailto:/i, '');
      if (target.startsWith('@') || target.startsWith('#')) return label ? `${target[0]}${label}` : target;
      if (target.startsWith('!')) return label ?? `@${target.slice(1).split('^')[0]}`;
      return label ?? target;
    })
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

const ELLIPSIS = '…';

/**
 * Plain text cut to at most `max` UTF-16 units (Slack counts those, or fewer), on a code point,
 * ending in "…" when cut.
 */
export function fitText(raw: string, max: number): string {
  const text = wellFormed(raw);
  if (text.length <= max) return text;
  let out = '';
  for (const char of text) {
    if (out.length + char.length > max - ELLIPSIS.length) break;
    out += char;
  }
  return out + ELLIPSIS;
}

/** Raw text escaped for mrkdwn and fitted, never cutting an escape entity in half. */
export function fitMrkdwn(raw: string, max: number): string {
  const escaped = escapeMrkdwn(raw);
  if (escaped.length <= max) return escaped;
  let out = '';
  for (const char of wellFormed(raw)) {
    const piece = escapeMrkdwn(char);
    if (out.length + piece.length > max - ELLIPSIS.length) break;
    out += piece;
  }
  return out + ELLIPSIS;
}

/** The end of raw text, escaped and fitted: for output, where the last lines matter most. */
export function fitMrkdwnTail(raw: string, max: number): string {
  const escaped = escapeMrkdwn(raw);
  if (escaped.length <= max) return escaped;
  const chars = [...wellFormed(raw)];
  let out = '';
  for (let i = chars.length - 1; i >= 0; i--) {
    const piece = escapeMrkdwn(chars[i] as string);
    if (out.length + piece.length > max - ELLIPSIS.length) break;
    out = piece + out;
  }
  return ELLIPSIS + out;
}

/**
 * A last guard for mrkdwn assembled from already escaped parts: cut on a code point, and back
 * out of an entity that the cut would split.
 */
function clampMrkdwn(mrkdwn: string, max: number): string {
  if (mrkdwn.length <= max) return mrkdwn;
  let out = fitText(mrkdwn, max).slice(0, -ELLIPSIS.length);
  const amp = out.lastIndexOf('&');
  if (amp >= 0 && amp > out.length - 5 && !out.slice(amp).includes(';')) out = out.slice(0, amp);
  return out + ELLIPSIS;
}

function clampPlain(text: string, max: number): string {
  return fitText(text.length === 0 ? ' ' : text, max);
}

/** Inline code when the value has no backtick to break it, else plain: both escaped. */
function code(raw: string, max: number): string {
  return raw.includes('`') || raw.length === 0 ? fitMrkdwn(raw, max) : `\`${fitMrkdwn(raw, max - 2)}\``;
}

// ---------------------------------------------------------------------------------------------
// Blocks

function mrkdwn(text: string, max: number): MrkdwnElement {
  // verbatim: Slack must not turn bare URLs or #channel names in user text (a job's name, its
  // output) into links; the links Sched means to show are written as <url|label> already.
  return { type: 'mrkdwn', text: clampMrkdwn(text.length === 0 ? ' ' : text, max), verbatim: true };
}

function section(text: string): SectionBlock {
  return { type: 'section', text: mrkdwn(text, SLACK_LIMITS.sectionText) };
}

function header(text: string): KnownBlock {
  return { type: 'header', text: { type: 'plain_text', text: clampPlain(text, SLACK_LIMITS.headerText), emoji: true } };
}

function context(parts: string[]): KnownBlock {
  const elements = parts.filter((part) => part.length > 0).slice(0, SLACK_LIMITS.contextElements);
  return { type: 'context', elements: (elements.length > 0 ? elements : [' ']).map((part) => mrkdwn(part, SLACK_LIMITS.contextText)) };
}

const divider: KnownBlock = { type: 'divider' };

function fieldText(field: ViewField): string {
  const value = field.code ? code(field.value, SLACK_LIMITS.fieldText - 200) : fitMrkdwn(field.value, SLACK_LIMITS.fieldText - 200);
  return `*${fitMrkdwn(field.label, 100)}*\n${value}`;
}

/** Fields two per row, at most ten per section, so any number of fields fits. */
function fieldSections(fields: ViewField[]): SectionBlock[] {
  const sections: SectionBlock[] = [];
  for (let i = 0; i < fields.length; i += SLACK_LIMITS.sectionFields) {
    const chunk = fields.slice(i, i + SLACK_LIMITS.sectionFields);
    sections.push({ type: 'section', fields: chunk.map((field) => mrkdwn(fieldText(field), SLACK_LIMITS.fieldText)) });
  }
  return sections;
}

/** Groups lines into as few sections as fit, each under the section text limit. */
function lineSections(lines: string[]): SectionBlock[] {
  const sections: SectionBlock[] = [];
  let current = '';
  for (const line of lines) {
    const fitted = clampMrkdwn(line, SLACK_LIMITS.sectionText);
    if (current.length > 0 && current.length + 1 + fitted.length > SLACK_LIMITS.sectionText) {
      sections.push(section(current));
      current = '';
    }
    current = current.length > 0 ? `${current}\n${fitted}` : fitted;
  }
  if (current.length > 0) sections.push(section(current));
  return sections;
}

/** A preformatted block per chunk of raw lines, each chunk under the section limit once escaped. */
function preformatted(raw: string): SectionBlock[] {
  const budget = SLACK_LIMITS.sectionText - 8;
  const sections: SectionBlock[] = [];
  let current = '';
  // A ``` inside the text would close the block early; a zero-width joiner keeps it visible.
  const lines = raw.replace(/```/g, '`\u200d``').split('\n');
  for (const line of lines) {
    const escaped = fitMrkdwn(line, budget);
    if (current.length > 0 && current.length + 1 + escaped.length > budget) {
      sections.push(section(`\`\`\`${current}\`\`\``));
      current = '';
    }
    current = current.length > 0 ? `${current}\n${escaped}` : escaped || ' ';
  }
  if (current.length > 0) sections.push(section(`\`\`\`${current}\`\`\``));
  return sections;
}

/** Appends blocks while they fit the budget, keeping room for a closing note. */
class BlockBudget {
  readonly blocks: KnownBlock[] = [];
  constructor(private readonly max: number) {}

  /** Adds all of `blocks` if they fit with `reserve` blocks to spare; otherwise none. */
  add(blocks: KnownBlock[], reserve = 1): boolean {
    if (this.blocks.length + blocks.length + reserve > this.max) return false;
    this.blocks.push(...blocks);
    return true;
  }
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

const STATUS_EMOJI: { readonly [S in JobStatus]: string } = {
  scheduled: ':calendar:',
  requested: ':hourglass_flowing_sand:',
  launching: ':rocket:',
  running: ':arrow_forward:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
};

const EVENT_EMOJI: { readonly [K in ViewEvent['kind']]: string } = {
  created: ':new:',
  requested: ':inbox_tray:',
  waiting: ':hourglass_flowing_sand:',
  'instance-type-changed': ':twisted_rightwards_arrows:',
  launching: ':rocket:',
  started: ':arrow_forward:',
  'interruption-notice': ':warning:',
  interrupted: ':zap:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
  callback: ':incoming_envelope:',
};

function eventEmoji(event: ViewEvent): string {
  return event.kind === 'callback' && event.tone === 'failure' ? ':warning:' : EVENT_EMOJI[event.kind];
}

function scheduleEmoji(view: ScheduleView): string {
  return view.status === 'active' ? ':repeat:' : ':no_entry_sign:';
}

function toneEmoji(tone: ViewTone): string {
  switch (tone) {
    case 'waiting':
      return ':hourglass_flowing_sand:';
    case 'active':
      return ':arrow_forward:';
    case 'success':
      return ':white_check_mark:';
    case 'failure':
      return ':x:';
    case 'muted':
      return ':no_entry_sign:';
    default:
      return assertNever(tone);
  }
}

/** A Slack user is mentioned; anyone else is named. */
function ownerText(owner: JobOwner): string {
  if (owner.kind === 'slack' && /^[UW][A-Z0-9]{1,20}$/.test(owner.id)) return `<@${owner.id}>`;
  const what = owner.kind === 'api' ? 'API client' : owner.kind === 'terminal' ? 'terminal user' : 'Slack user';
  return `${what} ${fitMrkdwn(owner.id, 100)}`;
}

function idCode(id: string): string {
  return code(id, 200);
}

function button(action: JobAction, id: string, subject: { kind: 'job' | 'schedule'; title: string }): Button {
  const base = {
    type: 'button' as const,
    action_id: ACTION_IDS[action],
    value: fitText(id, SLACK_LIMITS.buttonValue),
  };
  const text = (label: string) => ({ type: 'plain_text' as const, text: clampPlain(label, SLACK_LIMITS.buttonText), emoji: true });
  switch (action) {
    case 'cancel': {
      const title = fitText(subject.title, 120);
      return {
        ...base,
        text: text(subject.kind === 'schedule' ? 'Cancel schedule' : 'Cancel'),
        style: 'danger',
        confirm: {
          title: text(subject.kind === 'schedule' ? 'Cancel this schedule?' : 'Cancel this job?'),
          text: {
            type: 'plain_text',
            text: clampPlain(
              subject.kind === 'schedule'
                ? `No more jobs will start from "${title}" (${id}). Jobs it already started keep running.`
                : `"${title}" (${id}) will stop and its instance will be terminated.`,
              SLACK_LIMITS.confirmText,
            ),
          },
          confirm: { type: 'plain_text', text: subject.kind === 'schedule' ? 'Cancel schedule' : 'Cancel job' },
          deny: { type: 'plain_text', text: 'Keep it' },
          style: 'danger',
        },
      };
    }
    case 'retry':
      return { ...base, text: text('Retry'), style: 'primary' };
    case 'logs':
      return { ...base, text: text('Logs') };
    default:
      return assertNever(action);
  }
}

function actionsBlock(actions: readonly JobAction[], id: string, subject: { kind: 'job' | 'schedule'; title: string }): KnownBlock[] {
  if (actions.length === 0) return [];
  return [{ type: 'actions', elements: actions.map((action) => button(action, id, subject)) }];
}

/** `text` is mrkdwn too (Slack parses `<!channel>` in it, and notifications show it): escaped. */
function fallback(text: string): string {
  return fitMrkdwn(text.length === 0 ? 'Sched' : text, SLACK_LIMITS.fallbackText);
}

function statusLine(view: JobView): string {
  return `${STATUS_EMOJI[view.status]} *${fitMrkdwn(view.statusLabel, 2000)}*`;
}

function jobContext(view: JobView): KnownBlock {
  const parts = [idCode(view.id), `started by ${ownerText(view.owner)}`];
  if (view.scheduleId) parts.push(`from schedule ${idCode(view.scheduleId)}`);
  return context(parts);
}

function eventLine(event: ViewEvent, facts: string[] = []): string {
  const details = facts.length > 0 ? ` · ${fitMrkdwn(facts.join(' · '), 300)}` : '';
  return `${eventEmoji(event)} ${fitMrkdwn(event.text, 1500)}${details}`;
}

// ---------------------------------------------------------------------------------------------
// Messages

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
    return { text: fallback(`${view.title} (${view.id}): no output yet`), blocks: [section(`${title}\nNo output: ${why}.`)] };
  }
  const budget = new BlockBudget(SLACK_LIMITS.messageBlocks);
  budget.add([section(title)], 0);
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
