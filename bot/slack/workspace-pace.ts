/**
 * Workspace-wide pacing for the Slack notifier, in front of its per-channel lanes. Slack limits
 * each Web API method per app per workspace as well as per channel ("per API method per
 * workspace per app"): `chat.update` is Tier 3 (50+ a minute), `chat.postMessage` is special (about
 * one a second per channel, with a workspace-wide limit besides), `conversations.history` is
 * Tier 3. Channels paced one by one can still together outrun the workspace's limit; so every
 * call books a token of its method's bucket first (token-bucket.ts: first come, first served) and
 * goes at the time booked. A 429 (its Retry-After) pauses the method for every channel, and the
 * bucket starts empty after it, so the channels do not all come back at once — except a 429 of
 * `chat.postMessage` in one channel, which is that channel's own limit (the notifier pauses the
 * channel): only when a second channel draws one within the first's pause is it the workspace's.
 */
import { reserve, type BucketLevel, type BucketLimit } from '../core/token-bucket.js';

/**
 * Within Slack's published tiers, which are floors ("50+ per minute"): a bucket pays out at most
 * its capacity plus a minute's refill in any minute, so chat.update and conversations.history
 * (Tier 3) get 5 + 45 = 50; chat.postMessage 10 + 290 = 300 (Slack publishes no figure for its
 * workspace-wide limit; each channel is held to one a second besides).
 */
export const SLACK_WORKSPACE_LIMITS: Readonly<Record<string, BucketLimit>> = {
  'chat.postMessage': { capacity: 10, refillPerSecond: 290 / 60 },
  'chat.update': { capacity: 5, refillPerSecond: 45 / 60 },
  'conversations.history': { capacity: 5, refillPerSecond: 45 / 60 },
};

/** Methods Slack also limits per channel (chat.postMessage: about one a second in each). */
const PER_CHANNEL_METHODS: ReadonlySet<string> = new Set(['chat.postMessage']);

export class WorkspacePace {
  private readonly levels = new Map<string, BucketLevel>();
  private readonly pausedUntil = new Map<string, number>();
  /** Per method limited per channel too: the last channel a 429 paused, and until when. */
  private readonly channelPauses = new Map<string, { channel: string; untilMs: number }>();

  constructor(private readonly limits: Readonly<Record<string, BucketLimit>> = SLACK_WORKSPACE_LIMITS) {}

  /** Books one call of `method`: the time (ms since the epoch) it may be sent, `nowMs` or later. */
  book(method: string, nowMs: number): number {
    const from = Math.max(nowMs, this.pausedUntil.get(method) ?? 0);
    const limit = this.limits[method];
    if (!limit) return from;
    const { sendAtMs, levels } = reserve([{ limit, level: this.levels.get(method), cost: 1 }], from);
    this.levels.set(method, levels[0]!);
    return sendAtMs;
  }

  /** Until when `method` is paused for every channel (0: not paused). */
  pausedTill(method: string): number {
    return this.pausedUntil.get(method) ?? 0;
  }

  /**
   * Slack answered 429 with a Retry-After in `channel` at `nowMs`: nothing of `method` goes before
   * `untilMs` (in every channel, unless it is one channel's own limit), then it starts over empty.
   */
  rateLimited(method: string, channel: string, nowMs: number, untilMs: number): void {
    if (PER_CHANNEL_METHODS.has(method)) {
      const last = this.channelPauses.get(method);
      this.channelPauses.set(method, { channel, untilMs });
      if (!last || last.channel === channel || last.untilMs <= nowMs) return;
    }
    if (untilMs <= this.pausedTill(method)) return;
    this.pausedUntil.set(method, untilMs);
    const level = this.levels.get(method);
    if (this.limits[method] && (!level || level.atMs < untilMs)) this.levels.set(method, { tokens: 0, atMs: untilMs });
  }
}
