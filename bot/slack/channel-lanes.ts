/**
 * Per-channel pacing for the Slack notifier: one lane per channel, one worker per lane, one call
 * at a time, the next at least `minIntervalMs` after the previous one ended, taking the lane's
 * items in turn so a busy one cannot starve the others. An item may wait (`notBefore`, its own
 * back-off) and a lane may be paused (`pausedUntil`, a 429's Retry-After); the worker sleeps
 * until the first one is due, or until new work arrives. What a turn sends is the caller's.
 */
import type { Logger } from 'pino';
import { coerceError } from '../core/errors.js';
import type { Clock } from '../ports.js';

/** What the lanes need of an item. */
export interface Turn {
  /** In the lane's turn order (at most once). */
  queued: boolean;
  /** Milliseconds since the epoch before which it is not taken. */
  notBefore: number;
}

/** One channel: its items, their turn order and its single worker. */
export interface Lane<T extends Turn> {
  channel: string;
  /** Items with something left to send, by the caller's key. */
  items: Map<string, T>;
  turns: T[];
  pausedUntil: number;
  lastCallEndedAt: number;
  worker?: Promise<void>;
  wake?: () => void;
}

export interface ChannelLanesOptions<T extends Turn> {
  /** Least time between the end of one call and the start of the next, per channel. */
  minIntervalMs: number;
  clock: Clock;
  logger: Logger;
  /** One turn of `item`; must not throw (the lane logs it and stops if it does). */
  takeTurn(lane: Lane<T>, item: T): Promise<void>;
}

export class ChannelLanes<T extends Turn> {
  private readonly lanes = new Map<string, Lane<T>>();
  private readonly idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(private readonly options: ChannelLanesOptions<T>) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  laneFor(channel: string): Lane<T> {
    let lane = this.lanes.get(channel);
    if (!lane) {
      lane = { channel, items: new Map(), turns: [], pausedUntil: 0, lastCallEndedAt: -Infinity };
      this.lanes.set(channel, lane);
    }
    return lane;
  }

  /** Puts `item` in turn order (at the front when `first`) and makes sure the lane's worker runs. */
  enqueue(lane: Lane<T>, item: T, first = false): void {
    if (first && item.queued) lane.turns.splice(lane.turns.indexOf(item), 1);
    if (first || !item.queued) {
      item.queued = true;
      if (first) lane.turns.unshift(item);
      else lane.turns.push(item);
    }
    if (lane.worker) {
      lane.wake?.();
      return;
    }
    // Started on a microtask so `lane.worker` is set before the worker can possibly finish.
    lane.worker = Promise.resolve()
      .then(() => this.runLane(lane))
      .catch((err: unknown) => {
        // Unreachable by design (every call's failure is handled); kept so a bug cannot go silent.
        this.options.logger.error({ err: coerceError(err), channel: lane.channel }, 'slack notifier worker died');
      });
  }

  /** Takes `item` out of the lane: out of turn order, and forgotten if it is the one under `key`. */
  remove(lane: Lane<T>, key: string, item: T): void {
    if (lane.items.get(key) === item) lane.items.delete(key);
    const index = lane.turns.indexOf(item);
    if (index >= 0) lane.turns.splice(index, 1);
    item.queued = false;
  }

  /** Resolves when every lane's worker has finished. */
  flush(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** A turn in progress completes, nothing else is taken; queued items are lost. */
  async stop(): Promise<void> {
    this.stopped = true;
    const workers = [...this.lanes.values()].map((lane) => {
      lane.wake?.();
      return lane.worker;
    });
    await Promise.all(workers);
    this.lanes.clear();
    this.resolveIdleWaiters();
  }

  private async runLane(lane: Lane<T>): Promise<void> {
    try {
      while (!this.stopped) {
        const now = this.options.clock.now().getTime();
        const openAt = Math.max(lane.pausedUntil, lane.lastCallEndedAt + this.options.minIntervalMs);
        if (openAt > now) {
          await this.sleep(lane, openAt - now);
          continue;
        }
        const item = this.nextInTurn(lane, now);
        if (item) {
          await this.options.takeTurn(lane, item);
          continue;
        }
        if (lane.turns.length === 0) break;
        // Everyone left is backing off: sleep until the first is due, or until new work arrives.
        const dueAt = lane.turns.reduce((earliest, p) => Math.min(earliest, p.notBefore), Infinity);
        await this.sleep(lane, dueAt - now);
      }
    } finally {
      // The lane itself stays: its pause and last call time must outlive an idle moment.
      lane.worker = undefined;
      if (this.isIdle()) this.resolveIdleWaiters();
    }
  }

  /** The first item in turn order that may go now, taken out of the order. */
  private nextInTurn(lane: Lane<T>, now: number): T | undefined {
    const index = lane.turns.findIndex((p) => p.notBefore <= now);
    if (index < 0) return undefined;
    const [item] = lane.turns.splice(index, 1);
    if (item) item.queued = false;
    return item;
  }

  private sleep(lane: Lane<T>, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (lane.wake === done) lane.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      lane.wake = done;
    });
  }

  private isIdle(): boolean {
    for (const lane of this.lanes.values()) if (lane.worker) return false;
    return true;
  }

  private resolveIdleWaiters(): void {
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
