/**
 * How a batch of a job's events is cut into thread replies. Slack refuses a message of more than
 * 50 blocks, and — even when every block is within its own limit — one whose blocks hold too much
 * text in total (`msg_blocks_too_long`, around 12,000 characters, a figure Slack does not publish
 * exactly and counts with some of the block containers). So the events go out in order, as many
 * per reply as fit both budgets; an event too big to share a reply goes alone. Pure.
 */
import type { Job, JobEvent } from '../core/job.js';
import { jobView, viewEvent } from '../core/view/job-view.js';
import type { SlackContent } from './notifier.js';
import { renderJobEvent, SLACK_LIMITS } from './render.js';

export interface ReplyBudget {
  /** Most blocks in one message. */
  maxBlocks: number;
  /** Most characters of block JSON in one message (see `blocksSize`). */
  maxSize: number;
  /** Most characters of the joined `text` (Slack truncates past 40,000; it is the notification). */
  maxText: number;
}

/**
 * Within Slack's limits with room to spare: the size is measured on the blocks' JSON, which is
 * always more than the text Slack counts, so a reply within it is within Slack's own total.
 */
export const THREAD_REPLY_BUDGET: ReplyBudget = { maxBlocks: 50, maxSize: 11_000, maxText: 12_000 };

/** Characters of the blocks' JSON: their text, escapes and containers (more than Slack counts). */
export function blocksSize(blocks: readonly unknown[] | undefined): number {
  return blocks && blocks.length > 0 ? JSON.stringify(blocks).length : 0;
}

/**
 * How many of `parts` (one per event, oldest first) the next reply carries: at least one, then as
 * many more as keep the reply within `budget`.
 */
export function partsInFirstReply(parts: readonly SlackContent[], budget: ReplyBudget = THREAD_REPLY_BUDGET): number {
  let blocks = 0;
  let size = 0;
  let text = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const partBlocks = part.blocks?.length ?? 0;
    // Two arrays joined cost one comma fewer than their two brackets: never more than the sum.
    const partSize = blocksSize(part.blocks);
    // Joined with a newline.
    const partText = part.text.length + (i > 0 ? 1 : 0);
    if (i > 0 && (blocks + partBlocks > budget.maxBlocks || size + partSize > budget.maxSize || text + partText > budget.maxText)) return i;
    blocks += partBlocks;
    size += partSize;
    text += partText;
  }
  return parts.length;
}

/** One reply from consecutive parts: their texts one per line, their blocks one after another. */
export function joinReply(parts: readonly SlackContent[]): SlackContent {
  return { text: parts.map((p) => p.text).join('\n'), blocks: parts.flatMap((p) => p.blocks ?? []) };
}

/** The notifier's next reply in a job's thread: as many of `events` as fit, and how many. */
export function renderThreadReply(job: Job, events: readonly JobEvent[], now: Date): SlackContent & { events: number } {
  const view = jobView(job, now);
  const parts = events.map((event) => renderJobEvent(view, viewEvent(event, now)));
  const count = partsInFirstReply(parts);
  const reply = joinReply(parts.slice(0, count));
  return { ...reply, blocks: reply.blocks?.slice(0, SLACK_LIMITS.messageBlocks), events: count };
}
