/**
 * The Block Kit pieces Slack messages are made of (bot/slack/render.ts assembles them): Slack's
 * limits, sections, fields, context lines and buttons fitted to them, a block budget, and the
 * emoji and wording shared by every message.
 */
import type { types } from '@slack/bolt';
import type { JobAction, JobView, ScheduleView, ViewEvent, ViewField, ViewTone } from '../core/view/job-view.js';
import type { JobOwner, JobStatus } from '../core/job.js';
import { assertNever } from '../core/assert-never.js';
import { clampMrkdwn, clampPlain, code, fitMrkdwn, fitText } from './mrkdwn.js';

export type KnownBlock = types.KnownBlock;
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
  'on-demand': 'job_run_on_demand',
};


function mrkdwn(text: string, max: number): MrkdwnElement {
  // verbatim: Slack must not turn bare URLs or #channel names in user text (a job's name, its
  // output) into links; the links Sched means to show are written as <url|label> already.
  return { type: 'mrkdwn', text: clampMrkdwn(text.length === 0 ? ' ' : text, max), verbatim: true };
}

export function section(text: string): SectionBlock {
  return { type: 'section', text: mrkdwn(text, SLACK_LIMITS.sectionText) };
}

export function header(text: string): KnownBlock {
  return { type: 'header', text: { type: 'plain_text', text: clampPlain(text, SLACK_LIMITS.headerText), emoji: true } };
}

export function context(parts: string[]): KnownBlock {
  const elements = parts.filter((part) => part.length > 0).slice(0, SLACK_LIMITS.contextElements);
  return { type: 'context', elements: (elements.length > 0 ? elements : [' ']).map((part) => mrkdwn(part, SLACK_LIMITS.contextText)) };
}

export const divider: KnownBlock = { type: 'divider' };

function fieldText(field: ViewField): string {
  const value = field.code ? code(field.value, SLACK_LIMITS.fieldText - 200) : fitMrkdwn(field.value, SLACK_LIMITS.fieldText - 200);
  return `*${fitMrkdwn(field.label, 100)}*\n${value}`;
}

/** Fields two per row, at most ten per section, so any number of fields fits. */
export function fieldSections(fields: ViewField[]): SectionBlock[] {
  const sections: SectionBlock[] = [];
  for (let i = 0; i < fields.length; i += SLACK_LIMITS.sectionFields) {
    const chunk = fields.slice(i, i + SLACK_LIMITS.sectionFields);
    sections.push({ type: 'section', fields: chunk.map((field) => mrkdwn(fieldText(field), SLACK_LIMITS.fieldText)) });
  }
  return sections;
}

/** Groups lines into as few sections as fit, each under the section text limit. */
export function lineSections(lines: string[]): SectionBlock[] {
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
export function preformatted(raw: string): SectionBlock[] {
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
export class BlockBudget {
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

export const STATUS_EMOJI: { readonly [S in JobStatus]: string } = {
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
  'on-demand': ':moneybag:',
  launching: ':rocket:',
  started: ':arrow_forward:',
  'interruption-notice': ':warning:',
  'rebalance-recommended': ':warning:',
  interrupted: ':zap:',
  replacing: ':zap:',
  'replacement-launched': ':rocket:',
  'finished-after-all': ':checkered_flag:',
  'drain-released': ':wastebasket:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':no_entry_sign:',
  callback: ':incoming_envelope:',
};

function eventEmoji(event: ViewEvent): string {
  return event.kind === 'callback' && event.tone === 'failure' ? ':warning:' : EVENT_EMOJI[event.kind];
}

export function scheduleEmoji(view: ScheduleView): string {
  return view.status === 'active' ? ':repeat:' : ':no_entry_sign:';
}

export function toneEmoji(tone: ViewTone): string {
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
export function ownerText(owner: JobOwner): string {
  if (owner.kind === 'slack' && /^[UW][A-Z0-9]{1,20}$/.test(owner.id)) return `<@${owner.id}>`;
  const what = owner.kind === 'api' ? 'API client' : owner.kind === 'terminal' ? 'terminal user' : 'Slack user';
  return `${what} ${fitMrkdwn(owner.id, 100)}`;
}

export function idCode(id: string): string {
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
    case 'on-demand':
      return { ...base, text: text('Run on-demand') };
    default:
      return assertNever(action);
  }
}

export function actionsBlock(actions: readonly JobAction[], id: string, subject: { kind: 'job' | 'schedule'; title: string }): KnownBlock[] {
  if (actions.length === 0) return [];
  return [{ type: 'actions', elements: actions.map((action) => button(action, id, subject)) }];
}

/** `text` is mrkdwn too (Slack parses `<!channel>` in it, and notifications show it): escaped. */
export function fallback(text: string): string {
  return fitMrkdwn(text.length === 0 ? 'Sched' : text, SLACK_LIMITS.fallbackText);
}

export function statusLine(view: JobView): string {
  return `${STATUS_EMOJI[view.status]} *${fitMrkdwn(view.statusLabel, 2000)}*`;
}

export function jobContext(view: JobView): KnownBlock {
  const parts = [idCode(view.id), `started by ${ownerText(view.owner)}`];
  if (view.scheduleId) parts.push(`from schedule ${idCode(view.scheduleId)}`);
  return context(parts);
}

export function eventLine(event: ViewEvent, facts: string[] = []): string {
  const details = facts.length > 0 ? ` · ${fitMrkdwn(facts.join(' · '), 300)}` : '';
  return `${eventEmoji(event)} ${fitMrkdwn(event.text, 1500)}${details}`;
}
