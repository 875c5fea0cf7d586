/**
 * What is degraded now, and since when: the one small object /healthz reads. The parts that talk
 * to a dependency report into it as they go (the DynamoDB client middleware reports every store
 * call's outcome, aws-clients.ts), so a health check costs no call to the store and reflects what
 * the bot itself met: the reconcile pass, the REST API and the notifications all go through it.
 *
 * Reports alone would go quiet when nothing calls the store, and the reconcile loop backs off
 * after failures (minutes at the default interval): a part that is degraded may be given a
 * `recheck`, which a health check starts at most once per `recheckEveryMs` while the part is
 * degraded. Its outcome reaches this object the way every call's does (through the middleware);
 * the check does not wait for it longer than `recheckTimeoutMs`. A healthy part is never probed.
 */
import type { Clock } from '../ports.js';

export const HealthPart = {
  Store: 'store',
} as const;
export type HealthPart = (typeof HealthPart)[keyof typeof HealthPart];

export interface Degraded {
  part: HealthPart;
  /** ISO time of the first failure of this spell (when the failed call began). */
  since: string;
  /** What the last failure said (an error code or message: never a job id or a parameter). */
  detail: string;
}

export interface HealthStateOptions {
  clock: Clock;
  /** Default 5 000. */
  recheckEveryMs?: number;
  /** Default 2 000. */
  recheckTimeoutMs?: number;
}

interface PartState {
  degraded?: Degraded;
  /** The time (ms) of the report that set the state: an older call's report does not override it. */
  reportedAt: number;
  recheck?: () => Promise<unknown>;
  lastRecheckAt?: number;
  recheckRunning?: Promise<void>;
}

export class HealthState {
  private readonly parts = new Map<HealthPart, PartState>();

  constructor(private readonly options: HealthStateOptions) {}

  /** Milliseconds since the epoch by the state's clock: when a reporting call begins. */
  now(): number {
    return this.options.clock.now().getTime();
  }

  /** A call to `part` that began at `startedAt` (ms) succeeded: the part is reachable. */
  ok(part: HealthPart, startedAt: number): void {
    const state = this.state(part);
    // A call that began before the failure that degraded the part says nothing about now.
    if (state.degraded && startedAt < state.reportedAt) return;
    state.degraded = undefined;
    state.reportedAt = startedAt;
  }

  /** A call to `part` that began at `startedAt` (ms) failed in a way that means the part is unreachable. */
  failed(part: HealthPart, startedAt: number, detail: string): void {
    const state = this.state(part);
    if (!state.degraded && startedAt < state.reportedAt) return;
    state.degraded = { part, since: state.degraded?.since ?? new Date(startedAt).toISOString(), detail };
    state.reportedAt = Math.max(state.reportedAt, startedAt);
  }

  /** How to check `part` again while it is degraded (a cheap call through the reporting client). */
  setRecheck(part: HealthPart, recheck: () => Promise<unknown>): void {
    this.state(part).recheck = recheck;
  }

  /** The degraded parts now, without probing anything. */
  degraded(): Degraded[] {
    return [...this.parts.values()].flatMap((state) => (state.degraded ? [{ ...state.degraded }] : []));
  }

  /** The degraded parts, after rechecking those that may be rechecked (bounded by the timeout). */
  async check(): Promise<Degraded[]> {
    const now = this.now();
    const waits: Promise<void>[] = [];
    for (const state of this.parts.values()) {
      if (!state.degraded || !state.recheck) continue;
      if (!state.recheckRunning && (state.lastRecheckAt === undefined || now - state.lastRecheckAt >= (this.options.recheckEveryMs ?? 5_000))) {
        state.lastRecheckAt = now;
        const recheck = state.recheck;
        state.recheckRunning = recheck()
          .then(() => undefined, () => undefined)
          .finally(() => {
            state.recheckRunning = undefined;
          });
      }
      if (state.recheckRunning) waits.push(state.recheckRunning);
    }
    if (waits.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.options.recheckTimeoutMs ?? 2_000);
      });
      await Promise.race([Promise.all(waits), timeout]);
      clearTimeout(timer);
    }
    return this.degraded();
  }

  private state(part: HealthPart): PartState {
    let state = this.parts.get(part);
    if (!state) {
      state = { reportedAt: -Infinity };
      this.parts.set(part, state);
    }
    return state;
  }
}
