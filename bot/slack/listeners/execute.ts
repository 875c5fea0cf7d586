/**
 * The work a listener does after Slack got its ack, with one error path: whatever happens (a
 * store that throws or does not answer, a bug), the person gets an ephemeral answer saying that
 * it did not work and whether anything changed — never silence.
 *
 * The use case runs on job and schedule services that note each call (see {@link trackStore}),
 * so the answer knows what was written before the failure. The work has a deadline
 * ({@link COMMAND_DEADLINE_MS}): a store call that hangs is answered for well within the
 * 30 minutes a response_url lives, and the work's own reply, should it come later, is dropped so
 * the person is not told two things.
 */
import type { RespondFn } from '@slack/bolt';
import type { CommandDeps } from '../../commands/types.js';
import type { JobService, ScheduleService } from '../../ports.js';
import { renderFailure, type FailureFacts, type StoreWrite } from '../reply.js';
import type { SlackContext } from './context.js';

/** Where an answer goes: Bolt's `respond`, or a modal for a click that has none. */
export type Answer = (message: Parameters<RespondFn>[0]) => Promise<unknown>;

/** How long a command's work may take before the person is told it did not finish: 10 s. */
export const COMMAND_DEADLINE_MS = 10_000;

export interface AfterAckOptions {
  deps: CommandDeps;
  /** Where the work's reply and the failure's go. */
  answer: Answer;
  /** Where the failure goes if `answer` fails (a click's expired trigger); default: nowhere more. */
  fallback?: Answer;
  /** Default {@link COMMAND_DEADLINE_MS}. */
  deadlineMs?: number;
  /** Logs what failed: the person is only told that it did. */
  logFailure(err: unknown, what: string): void;
}

export interface Work {
  /** The services to run the use case on (they note what was written). */
  deps: CommandDeps;
  /** Answers the person; after the deadline it sends nothing. */
  answer: Answer;
  /** What the person asked, as the failure names it: `cancel j-…`, `list`. Never env values. */
  name(label: string): void;
}

/** The options a listener passes: its context's deadline and log, and where it answers. */
export function afterAckOptions(ctx: SlackContext, answer: Answer, fallback?: Answer): AfterAckOptions {
  return { deps: ctx.deps, answer, ...(fallback && { fallback }), ...(ctx.commandDeadlineMs !== undefined && { deadlineMs: ctx.commandDeadlineMs }), logFailure: (err, what) => ctx.logFailure?.(err, what) };
}

/** Runs `work` and makes sure the person hears back. Never throws. */
export async function answerAfterAck(opts: AfterAckOptions, work: (w: Work) => Promise<void>): Promise<void> {
  const store = trackStore(opts.deps);
  let label = 'that';
  let answered = false;
  let closed = false;
  const answer: Answer = async (message) => {
    if (closed) return undefined;
    const sent = await opts.answer(message);
    answered = true;
    return sent;
  };
  const deadlineMs = opts.deadlineMs ?? COMMAND_DEADLINE_MS;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ late: true }>((resolve) => {
    timer = setTimeout(() => resolve({ late: true }), deadlineMs);
  });
  const running = work({ deps: store.deps, answer, name: (l) => (label = l) }).then(
    () => ({ failed: false as const }),
    (err: unknown) => ({ failed: true as const, err }),
  );
  const result = await Promise.race([running, late]);
  clearTimeout(timer);
  if ('failed' in result && !result.failed) return;
  closed = true;
  if ('late' in result) {
    opts.logFailure(new Error(`no answer within ${deadlineMs} ms`), label);
    void running.then((r) => r.failed && opts.logFailure(r.err, label));
  } else {
    opts.logFailure(result.err, label);
    // The answer went out and something after it failed (a tab to refresh): nothing to correct.
    if (answered) return;
  }
  const facts: FailureFacts = { label, cause: 'late' in result ? { kind: 'late', seconds: Math.round(deadlineMs / 1000), store: store.pendingCalls() > 0 } : { kind: store.failedCall() ? 'store' : 'other' }, writes: store.writes() };
  const failure = { response_type: 'ephemeral', replace_original: false, ...renderFailure(facts) } as Parameters<RespondFn>[0];
  try {
    await opts.answer(failure);
  } catch (err) {
    opts.logFailure(err, `${label} (its failure could not be told)`);
    await opts.fallback?.(failure).catch((e: unknown) => opts.logFailure(e, `${label} (its failure could not be told)`));
  }
}

const JOB_WRITES = ['createJob', 'cancelJob', 'runOnDemand', 'retryJob'] as const;
const SCHEDULE_WRITES = ['createSchedule', 'cancelSchedule'] as const;

/**
 * `deps` with job and schedule services that note every call: which writes began and which
 * finished (with the id they wrote), whether any call failed, and how many have not answered yet.
 */
export function trackStore(deps: CommandDeps): { deps: CommandDeps; writes(): StoreWrite[]; failedCall(): boolean; pendingCalls(): number } {
  const writes: StoreWrite[] = [];
  let failed = false;
  let pending = 0;
  function wrap<T extends object>(service: T, writing: readonly string[]): T {
    return new Proxy(service, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const write: StoreWrite | undefined = typeof property === 'string' && writing.includes(property) ? { call: property as StoreWrite['call'], arg: typeof args[0] === 'string' ? args[0] : undefined, state: 'started' } : undefined;
          if (write) writes.push(write);
          pending++;
          const finish = (ok: boolean, written?: unknown) => {
            pending--;
            if (!ok) failed = true;
            if (!write) return;
            write.state = ok ? 'done' : 'failed';
            const id = (written as { id?: unknown } | undefined)?.id;
            if (ok && typeof id === 'string') write.id = id;
          };
          let result: unknown;
          try {
            result = (value as (...a: unknown[]) => unknown).apply(target, args);
          } catch (err) {
            finish(false);
            throw err;
          }
          if (!(result instanceof Promise)) {
            finish(true, result);
            return result;
          }
          return result.then(
            (written: unknown) => {
              finish(true, written);
              return written;
            },
            (err: unknown) => {
              finish(false);
              throw err;
            },
          );
        };
      },
    });
  }
  return {
    deps: { ...deps, jobs: wrap<JobService>(deps.jobs, JOB_WRITES), schedules: wrap<ScheduleService>(deps.schedules, SCHEDULE_WRITES) },
    writes: () => writes.map((w) => ({ ...w })),
    failedCall: () => failed,
    pendingCalls: () => pending,
  };
}
