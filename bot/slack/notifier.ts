// Over 300 lines: one job's message, thread, and failure handling share its pending state.
/**
 * The Slack side of the `Notifier` port: one live message per job in the channel it was started
 * from, edited in place, with a thread that carries every event.
 *
 * Slack allows about one message per second per channel and answers 429 with `Retry-After`
 * beyond that, while the engine may change hundreds of jobs in one pass. So nothing is sent from
 * `jobChanged`: it records the change and returns, and one worker per channel sends.
 *
 * - Coalescing, per job: the message only ever needs the latest state, so changes that arrive
 *   while a job waits for its turn cost nothing; events accumulate (none is dropped) and go out
 *   as one thread reply with all of them, in order.
 * - Pacing, per channel (channel-lanes.ts): one Web API call at a time, the next one at least
 *   `minIntervalMs` after the previous one ended, taking the channel's jobs in turn so a busy job
 *   cannot starve the others.
 * - A job's calls: `chat.postMessage` the first time (then `saveMessageRef`, so a restarted bot
 *   edits the same message through `job.origin.messageTs`), `chat.update` afterwards, and a
 *   `chat.postMessage` with `thread_ts` whenever events are waiting. The first post carries the
 *   job id in its metadata: if it timed out or failed as one that may have posted, the next turn
 *   looks for it (`conversations.history`, posted-message.ts) before posting again.
 * - Workspace: every call first takes its method's workspace-wide turn (workspace-pace.ts).
 * - 429: the whole channel waits out `Retry-After`, then the same job's call goes first.
 * - Other failures: back-off with jitter. An intermediate state is given up after a few tries (the
 *   job's next change brings a newer one; its events are kept for it). A terminal state is the
 *   one the user is left with, so it is retried until it succeeds or `finalStateRetryMs` passes.
 *   Errors that cannot succeed on retry (no access to the channel, bad arguments) drop the job's
 *   pending work at once.
 */
import type { webApi } from '@slack/bolt';
import type { Logger } from 'pino';
import { backoffDelayMs, Jitter } from '../core/backoff.js';
import { coerceError } from '../core/errors.js';
import { isTerminal, type Job, type JobEvent } from '../core/job.js';
import { systemClock } from '../clock.js';
import type { Clock, Notifier } from '../ports.js';
import { ChannelLanes, type Lane, type Turn } from './channel-lanes.js';
import { classifyCallFailure } from './web-api-errors.js';
import { WorkspacePace } from './workspace-pace.js';
import { historySince, jobMessageMetadata, jobMessageTs } from './posted-message.js';
import type { BucketLimit } from '../core/token-bucket.js';

/** What Slack shows: `text` is the notification and fallback, `blocks` the Block Kit layout. */
export interface SlackContent {
  text: string;
  blocks?: unknown[];
}

/** The pure Block Kit renderers the notifier sends (bot/slack/render.ts). */
export interface JobMessageRenderer {
  /** The job's live message, from its latest state. */
  jobMessage(job: Job): SlackContent;
  /**
   * The next thread reply for `events` (one or more, oldest first) of `job`, with `events`: how
   * many of them, from the first, it carries (all when absent; at least one). A long batch goes
   * out as several replies, each within Slack's limits.
   */
  threadReply(job: Job, events: JobEvent[]): SlackContent & { events?: number };
}

export interface SlackNotifierOptions {
  /**
   * A `WebClient` built with `retryConfig: { retries: 0 }` and `rejectRateLimitedCalls: true`:
   * this class does its own retrying, per channel, and must see every 429. Give it a `timeout`
   * too: a call that never answers holds up its channel.
   */
  client: Pick<webApi.WebClient, 'apiCall'>;
  render: JobMessageRenderer;
  /** Persists the job message's ts (into `job.origin.messageTs`) so restarts edit, not repost. */
  saveMessageRef(jobId: string, channel: string, ts: string): Promise<void>;
  logger: Logger;
  /** Least time between the end of one call and the start of the next, per channel. Default 1000. */
  minIntervalMs?: number;
  retry?: {
    /** First back-off delay; doubles per failure, with jitter. Default 1000. */
    baseMs?: number;
    /** Default 60 000. */
    maxMs?: number;
    /** Tries after the first before an intermediate state is given up. Default 3. */
    intermediateRetries?: number;
    /** How long a terminal state keeps being retried. Default 10 minutes. */
    finalStateRetryMs?: number;
  };
  /**
   * Workspace-wide pace per Web API method, in front of the channels' (workspace-pace.ts;
   * `SLACK_WORKSPACE_LIMITS` in production). Absent: only a 429's Retry-After is shared.
   */
  workspaceLimits?: Readonly<Record<string, BucketLimit>>;
  /** Default: the system clock. */
  clock?: Clock;
  /**
   * Told when Slack refuses a job's updates for good (the bot is not in the channel, the channel
   * is gone): the caller can still tell the person who started the job some other way.
   */
  onUndeliverable?: (job: Job, error: string) => void;
}

/** Counters for metrics and tests. */
export interface SlackNotifierStats {
  /** Web API calls made, refused ones included. */
  calls: number;
  rateLimited: number;
  /** Calls that failed for another reason. */
  failed: number;
  /** Pending states given up (intermediate after retries, or any after a permanent error). */
  dropped: number;
}

type Operation = 'post' | 'update' | 'reply';

function methodOf(operation: Operation): string {
  return operation === 'update' ? 'chat.update' : 'chat.postMessage';
}

/** A job with something left to send. */
interface PendingJob extends Turn {
  jobId: string;
  /** Latest state seen. */
  job: Job;
  /** Bumped on every change, so a call can tell whether it sent the latest state. */
  revision: number;
  /** The message does not show `job` yet. */
  messageStale: boolean;
  /** Events not yet in the thread, oldest first. */
  events: JobEvent[];
  lastOperation?: Operation;
  /** Gave up after failures; nothing is sent until the job changes again. */
  parked: boolean;
  failures: number;
  firstFailureAt?: number;
  /** A message Slack said is gone: never edit it again. */
  goneTs?: string;
  /**
   * A first post failed in a way that may have posted it (timeout, `fatal_error`): when it was
   * tried (ms since the epoch). The next post looks for the message first (posted-message.ts).
   */
  uncertainPostAt?: number;
  /**
   * After `msg_blocks_too_long`: the most events the next reply may carry (halved on each refusal),
   * then, for a single event, its text without blocks. Cleared by the next call that succeeds.
   */
  tooLong?: { maxEvents: number; textOnly: boolean };
}

const DEFAULT_MIN_INTERVAL_MS = 1000;
/** Refs kept in memory; older ones come back from the store through `job.origin.messageTs`. */
const MAX_REMEMBERED_REFS = 10_000;

export class SlackNotifier implements Notifier {
  private readonly lanes: ChannelLanes<PendingJob>;
  private readonly workspace: WorkspacePace;
  /** Wakes the calls waiting for the workspace's turn, at stop. */
  private readonly sleepers = new Set<() => void>();
  private readonly messageRefs = new Map<string, string>();
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly intermediateRetries: number;
  private readonly finalStateRetryMs: number;
  private readonly clock: Clock;
  readonly stats: SlackNotifierStats = { calls: 0, rateLimited: 0, failed: 0, dropped: 0 };

  constructor(private readonly options: SlackNotifierOptions) {
    this.retryBaseMs = options.retry?.baseMs ?? 1000;
    this.retryMaxMs = options.retry?.maxMs ?? 60_000;
    this.intermediateRetries = options.retry?.intermediateRetries ?? 3;
    this.finalStateRetryMs = options.retry?.finalStateRetryMs ?? 10 * 60_000;
    this.clock = options.clock ?? systemClock;
    this.workspace = new WorkspacePace(options.workspaceLimits ?? {});
    this.lanes = new ChannelLanes({
      minIntervalMs: options.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS,
      clock: this.clock,
      logger: options.logger,
      takeTurn: (lane, pending) => this.sendNext(lane, pending),
    });
  }

  /** Records the change and returns; the channel's worker sends it. Never throws. */
  async jobChanged(job: Job, events: JobEvent[]): Promise<void> {
    if (this.lanes.isStopped) return;
    const channel = job.origin?.surface === 'slack' ? job.origin.channel : undefined;
    if (!channel) return;
    const lane = this.lanes.laneFor(channel);
    let pending = lane.items.get(job.id);
    if (!pending) {
      pending = { jobId: job.id, job, revision: 0, messageStale: true, events: [], queued: false, parked: false, failures: 0, notBefore: 0 };
      lane.items.set(job.id, pending);
    }
    pending.job = job;
    pending.revision += 1;
    pending.messageStale = true;
    pending.events.push(...events);
    if (pending.parked) {
      pending.parked = false;
      pending.failures = 0;
      pending.firstFailureAt = undefined;
    }
    this.lanes.enqueue(lane, pending);
  }

  /**
   * Resolves when every channel has sent everything it can (parked jobs wait for a change). A
   * final state that keeps failing holds this up to `finalStateRetryMs`: bound it at shutdown.
   */
  flush(): Promise<void> {
    return this.lanes.flush();
  }

  /** Stops sending: a call in flight completes, nothing else goes out; pending work is lost. */
  stop(): Promise<void> {
    const stopped = this.lanes.stop();
    for (const wake of this.sleepers) wake();
    return stopped;
  }

  private nextOperation(pending: PendingJob): Operation | undefined {
    if (pending.parked) return undefined;
    const updateDue = pending.messageStale;
    const replyDue = pending.events.length > 0;
    if (!updateDue && !replyDue) return undefined;
    if (!this.messageTsOf(pending)) return 'post';
    if (updateDue && replyDue) {
      // Alternate, so neither the message nor the thread of a job that keeps changing falls behind.
      return pending.lastOperation === 'post' || pending.lastOperation === 'update' ? 'reply' : 'update';
    }
    return updateDue ? 'update' : 'reply';
  }

  private messageTsOf(pending: PendingJob): string | undefined {
    const ts = this.messageRefs.get(pending.jobId) ?? pending.job.origin?.messageTs;
    return ts === pending.goneTs ? undefined : ts;
  }

  private async sendNext(lane: Lane<PendingJob>, pending: PendingJob): Promise<void> {
    const operation = this.nextOperation(pending);
    if (!operation) {
      this.settle(lane, pending);
      return;
    }
    if (operation === 'post' && pending.uncertainPostAt !== undefined) {
      await this.findUncertainPost(lane, pending, pending.uncertainPostAt);
      return;
    }
    // The workspace's turn for this method (a wait holds this channel only, which could not send anyway).
    if (!(await this.workspaceTurn(methodOf(operation)))) return;
    const job = pending.job;
    const revision = pending.revision;
    const events = pending.events.slice(0, pending.tooLong?.maxEvents);
    const ts = this.messageTsOf(pending);
    let args: Record<string, unknown>;
    /** Events the reply carries. */
    let carried = 0;
    try {
      if (operation === 'reply') {
        const { events: count, ...content } = this.options.render.threadReply(job, events);
        carried = Math.max(1, Math.min(events.length, count ?? events.length));
        args = { channel: lane.channel, thread_ts: ts, ...content };
      } else {
        const where = operation === 'update' ? { ts } : { metadata: jobMessageMetadata(job.id) };
        args = { channel: lane.channel, ...where, ...this.options.render.jobMessage(job) };
      }
      // Slack refused the blocks even within our budget: the words alone beat nothing.
      if (pending.tooLong?.textOnly) delete args.blocks;
    } catch (err) {
      this.options.logger.error({ err: coerceError(err), jobId: job.id, operation }, 'rendering a slack message failed; dropping it');
      this.drop(lane, pending);
      return;
    }

    this.stats.calls += 1;
    const startedAt = this.now();
    try {
      const result = await this.options.client.apiCall(methodOf(operation), args);
      lane.lastCallEndedAt = this.now();
      pending.failures = 0;
      pending.firstFailureAt = undefined;
      pending.tooLong = undefined;
      pending.lastOperation = operation;
      if (operation === 'reply') {
        pending.events.splice(0, carried);
      } else {
        if (pending.revision === revision) pending.messageStale = false;
        if (operation === 'post') await this.rememberMessage(lane.channel, job.id, (result as { ts?: unknown }).ts);
      }
    } catch (thrown) {
      lane.lastCallEndedAt = this.now();
      // A first post may have landed although it failed this way: look before posting again.
      if (operation === 'post' && classifyCallFailure(thrown).kind === 'transient') pending.uncertainPostAt ??= startedAt;
      this.handleFailure(lane, pending, operation, thrown, carried);
      return;
    }
    this.settle(lane, pending);
  }

  /**
   * A turn that reads the channel for the job's message, posted by an attempt that seemed to fail:
   * found, its ts is the job's (saved, then edited as usual); not found, the post goes again. If
   * the channel cannot be read (no `channels:history`), it is posted again too: two messages beat
   * none. A 429 waits and looks again.
   */
  private async findUncertainPost(lane: Lane<PendingJob>, pending: PendingJob, sinceMs: number): Promise<void> {
    if (!(await this.workspaceTurn('conversations.history'))) return;
    this.stats.calls += 1;
    const context = { channel: lane.channel, jobId: pending.jobId };
    try {
      const history = await this.options.client.apiCall('conversations.history', historySince(lane.channel, sinceMs));
      lane.lastCallEndedAt = this.now();
      pending.uncertainPostAt = undefined;
      const ts = jobMessageTs(history, pending.jobId);
      this.options.logger.info({ ...context, found: ts !== undefined }, 'looked for a job message whose post seemed to fail');
      if (ts) await this.rememberMessage(lane.channel, pending.jobId, ts);
    } catch (thrown) {
      lane.lastCallEndedAt = this.now();
      const failure = classifyCallFailure(thrown);
      if (failure.kind === 'rate-limited') {
        this.stats.rateLimited += 1;
        lane.pausedUntil = Math.max(lane.pausedUntil, this.now() + failure.retryAfterMs);
        this.lanes.enqueue(lane, pending, true);
        return;
      }
      this.stats.failed += 1;
      pending.uncertainPostAt = undefined;
      this.options.logger.warn({ ...context, error: failure.error }, 'could not look for a job message whose post seemed to fail; posting again');
    }
    this.settle(lane, pending);
  }

  private async rememberMessage(channel: string, jobId: string, ts: unknown): Promise<void> {
    if (typeof ts !== 'string' || ts.length === 0) {
      this.options.logger.error({ jobId, channel }, 'chat.postMessage answered without a ts');
      return;
    }
    this.messageRefs.delete(jobId);
    this.messageRefs.set(jobId, ts);
    if (this.messageRefs.size > MAX_REMEMBERED_REFS) {
      const oldest = this.messageRefs.keys().next().value;
      if (oldest !== undefined) this.messageRefs.delete(oldest);
    }
    try {
      await this.options.saveMessageRef(jobId, channel, ts);
    } catch (err) {
      // Still remembered here; only a restart before the next save would post a second message.
      this.options.logger.warn({ err: coerceError(err), jobId, channel }, 'saving the slack message ref failed');
    }
  }

  private handleFailure(lane: Lane<PendingJob>, pending: PendingJob, operation: Operation, thrown: unknown, carried: number): void {
    const { logger } = this.options;
    const failure = classifyCallFailure(thrown);
    const context = { channel: lane.channel, jobId: pending.jobId, operation, status: pending.job.status };
    switch (failure.kind) {
      case 'rate-limited': {
        this.stats.rateLimited += 1;
        lane.pausedUntil = Math.max(lane.pausedUntil, this.now() + failure.retryAfterMs);
        if (failure.announced) this.workspace.rateLimited(methodOf(operation), lane.channel, this.now(), lane.pausedUntil);
        logger.warn({ ...context, retryAfterMs: failure.retryAfterMs }, 'slack rate limit: pausing the channel');
        this.lanes.enqueue(lane, pending, true);
        return;
      }
      case 'message-gone': {
        this.stats.failed += 1;
        // Someone deleted the job's message: a new one (and thread) beats silence.
        pending.goneTs = this.messageTsOf(pending);
        this.messageRefs.delete(pending.jobId);
        pending.messageStale = true;
        logger.warn({ ...context, error: failure.error }, 'slack message gone; posting a new one');
        this.lanes.enqueue(lane, pending);
        return;
      }
      case 'too-long':
        // Fewer events per reply, down to one; then that one (or the job message) without its
        // blocks. A text alone cannot be refused for its blocks: if it is, it is permanent.
        if (!pending.tooLong?.textOnly) {
          this.stats.failed += 1;
          const textOnly = operation !== 'reply' || carried <= 1;
          pending.tooLong = { maxEvents: operation !== 'reply' ? Infinity : textOnly ? 1 : Math.floor(carried / 2), textOnly };
          logger.warn({ ...context, error: failure.error, ...pending.tooLong }, 'slack found the message too long; sending it in smaller parts');
          this.lanes.enqueue(lane, pending, true);
          return;
        }
        this.refuse(lane, pending, context, failure.error);
        return;
      case 'permanent':
        this.refuse(lane, pending, context, failure.error);
        return;
      case 'transient': {
        this.stats.failed += 1;
        const now = this.now();
        pending.failures += 1;
        pending.firstFailureAt ??= now;
        const terminal = isTerminal(pending.job.status);
        const giveUp = terminal ? now - pending.firstFailureAt >= this.finalStateRetryMs : pending.failures > this.intermediateRetries;
        if (!giveUp) {
          pending.notBefore = now + this.backoffMs(pending.failures);
          logger.warn({ ...context, error: failure.error, failures: pending.failures, retryInMs: pending.notBefore - now }, 'slack call failed; retrying');
          this.lanes.enqueue(lane, pending);
          return;
        }
        if (terminal) {
          logger.error({ ...context, error: failure.error, failures: pending.failures }, 'slack kept failing for the final state of a job; giving up');
          this.drop(lane, pending);
          return;
        }
        this.stats.dropped += 1;
        logger.warn({ ...context, error: failure.error, failures: pending.failures }, 'slack kept failing; skipping this update until the job changes');
        pending.parked = true;
        pending.notBefore = 0;
        return;
      }
      default: {
        const unreachable: never = failure;
        throw new Error(`unhandled failure ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** Waits for a workspace-wide token of `method`; false when the notifier stopped meanwhile. */
  private async workspaceTurn(method: string): Promise<boolean> {
    let at = this.workspace.book(method, this.now());
    while (!this.lanes.isStopped) {
      // A 429 elsewhere since the booking: book again, after the pause.
      if (this.workspace.pausedTill(method) > at) at = this.workspace.book(method, this.now());
      const waitMs = at - this.now();
      if (waitMs <= 0) return true;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.sleepers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, waitMs);
        this.sleepers.add(wake);
      });
    }
    return false;
  }

  /** Slack will never take this call: the job's pending work goes, and its owner is told. */
  private refuse(lane: Lane<PendingJob>, pending: PendingJob, context: Record<string, unknown>, error: string): void {
    this.stats.failed += 1;
    this.options.logger.error({ ...context, error }, 'slack refused the call; dropping the job\'s pending updates');
    this.drop(lane, pending);
    this.options.onUndeliverable?.(pending.job, error);
  }

  /** Exponential, capped, with equal jitter so channels that failed together do not retry together. */
  private backoffMs(failures: number): number {
    return Math.round(backoffDelayMs(failures, { baseMs: this.retryBaseMs, maxMs: this.retryMaxMs, jitter: Jitter.Equal }, Math.random));
  }

  /** Milliseconds since the epoch, by the clock. */
  private now(): number {
    return this.clock.now().getTime();
  }

  /** Back in turn order if it has more to send; forgotten if not. */
  private settle(lane: Lane<PendingJob>, pending: PendingJob): void {
    if (this.nextOperation(pending)) this.lanes.enqueue(lane, pending);
    else if (!pending.parked && lane.items.get(pending.jobId) === pending) lane.items.delete(pending.jobId);
  }

  private drop(lane: Lane<PendingJob>, pending: PendingJob): void {
    this.stats.dropped += 1;
    this.lanes.remove(lane, pending.jobId, pending);
  }

}
