/**
 * Cron schedules: each firing starts one job. A firing's job id is derived from (schedule, firing
 * time) and created with a conditional write, so a firing seen by a timer, by the reconcile pass,
 * by a second replica or again after a restart still starts exactly one job.
 *
 * Level-triggered like the jobs: every pass fires whatever is due (`nextRunAt <= now`) and moves
 * `nextRunAt` past now. After downtime only the latest missed firing runs, not a backlog: each
 * firing is a spot instance, and a burst of stale ones is rarely what anyone wants.
 */
import schedule from 'node-schedule';
import type { Logger } from 'pino';
import { firingJobId, nextFiring } from '../core/cron.js';
import { coerceError, ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import type { Compute, Job, JobOwner, NewJob } from '../core/job.js';
import { randomId } from './ids.js';
import { retryOnConflict } from './retry-on-conflict.js';
import type { NewSchedule, Schedule } from '../core/schedule.js';
import { systemClock } from '../clock.js';
import type { Clock, ScheduleService, ScheduleStore } from '../ports.js';

export interface SchedulerDeps {
  store: ScheduleStore;
  /** Creates a job with a given id; throws ConflictError when it exists. */
  createJob(input: NewJob, id: string): Promise<Job>;
  /**
   * Why the owner may not start another job now (`SCHED_MAX_ACTIVE_JOBS_PER_USER`); undefined when
   * they may. A firing over the cap starts nothing, moves the schedule on and records why.
   */
  capReached?(owner: JobOwner): Promise<string | undefined>;
  /** Refuses (`ValidationError`) a callback URL no firing could call; see `Engine.checkCallback`. */
  checkCallback?(url: string | undefined): Promise<void>;
  clock: Clock;
  logger: Logger;
  /** Where the firings' jobs run (the fleet in use), recorded on each new schedule. */
  compute?: Compute;
}

export class Scheduler implements ScheduleService {
  private readonly timers = new Map<string, { job: schedule.Job; at: string }>();

  constructor(private readonly deps: SchedulerDeps) {}

  async start(): Promise<void> {
    for (const active of await this.deps.store.listActiveSchedules()) this.arm(active);
  }

  stop(): void {
    for (const timer of this.timers.values()) timer.job.cancel();
    this.timers.clear();
  }

  async createSchedule(input: NewSchedule): Promise<Schedule> {
    await this.deps.checkCallback?.(input.spec.callbackUrl);
    const now = this.deps.clock.now();
    let next: Date | undefined;
    try {
      next = nextFiring(input.expression, input.timezone, now);
    } catch (err) {
      throw new ValidationError([`cron expression "${input.expression}": ${coerceError(err).message}`]);
    }
    if (!next) throw new ValidationError([`cron expression "${input.expression}" never fires`]);
    const created: Schedule = {
      id: `s-${randomId()}`,
      version: 1,
      status: 'active',
      expression: input.expression,
      timezone: input.timezone,
      spec: input.spec,
      owner: input.owner,
      ...(input.origin && { origin: input.origin }),
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      nextRunAt: next.toISOString(),
      ...(this.deps.compute && { compute: this.deps.compute }),
    };
    await this.deps.store.createSchedule(created);
    this.arm(created);
    return created;
  }

  getSchedule(id: string): Promise<Schedule | undefined> {
    return this.deps.store.getSchedule(id);
  }

  async listSchedules(): Promise<Schedule[]> {
    return this.deps.store.listActiveSchedules();
  }

  async cancelSchedule(id: string, by: string): Promise<Schedule> {
    return retryOnConflict(
      async () => {
        const found = await this.deps.store.getSchedule(id);
        if (!found) throw new NotFoundError(`no schedule ${id}`);
        if (found.status === 'cancelled') throw new ValidationError([`schedule ${id} is already cancelled`]);
        const next: Schedule = { ...found, version: found.version + 1, status: 'cancelled', cancelledBy: by, nextRunAt: undefined, updatedAt: this.deps.clock.now().toISOString() };
        await this.deps.store.updateSchedule(next);
        this.timers.get(id)?.job.cancel();
        this.timers.delete(id);
        return next;
      },
      {
        exhausted: () => {
          throw new ConflictError(`schedule ${id} kept changing; try again`);
        },
      },
    );
  }

  /** Fires every due schedule once; the reconcile pass calls this. Returns the jobs started. */
  async fireDue(): Promise<number> {
    let started = 0;
    const now = this.deps.clock.now().getTime();
    // The list says which are due; only those are read again (consistently) and fired. The others
    // get a timer if this replica has none for them yet (one created on another replica).
    const due: Schedule[] = [];
    for (const listed of await this.deps.store.listActiveSchedules()) {
      if (listed.nextRunAt !== undefined && Date.parse(listed.nextRunAt) <= now) due.push(listed);
      else this.arm(listed);
    }
    for (const schedule of due) {
      try {
        if (await this.fireIfDue(schedule.id)) started++;
      } catch (err) {
        this.deps.logger.error({ err: coerceError(err), scheduleId: schedule.id }, 'schedule firing failed; the next pass retries');
      }
    }
    return started;
  }

  private fireIfDue(id: string): Promise<boolean> {
    return retryOnConflict(
      async () => {
        const current = await this.deps.store.getSchedule(id);
        if (!current || current.status !== 'active' || !current.nextRunAt) return false;
        const now = this.deps.clock.now();
        if (Date.parse(current.nextRunAt) > now.getTime()) {
          this.arm(current);
          return false;
        }
        const firing = latestFiring(current, now);
        // Start the job first: if the bot dies before the schedule moves on, the next try finds the
        // job already there (ConflictError) and only moves the schedule on.
        let started = false;
        const skipped = await this.deps.capReached?.(current.owner);
        if (skipped) this.deps.logger.warn({ scheduleId: current.id, firing: firing.toISOString(), reason: skipped }, 'schedule firing skipped: its owner is at the cap');
        else try {
          await this.deps.createJob({ spec: current.spec, runAt: firing.toISOString(), owner: current.owner, origin: current.origin, scheduleId: current.id }, firingJobId(current.id, firing));
          started = true;
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
        }
        const next = nextFiring(current.expression, current.timezone, now);
        const moved: Schedule = {
          ...current,
          version: current.version + 1,
          ...(skipped ? { lastSkipped: { at: firing.toISOString(), reason: skipped } } : { lastFiredAt: firing.toISOString() }),
          nextRunAt: next?.toISOString(),
          status: next ? 'active' : 'cancelled',
          updatedAt: now.toISOString(),
        };
        await this.deps.store.updateSchedule(moved);
        this.arm(moved);
        return started;
      },
      { exhausted: () => false },
    );
  }

  private arm(target: Schedule): void {
    const armed = this.timers.get(target.id);
    if (armed && armed.at === target.nextRunAt && target.status === 'active') return;
    armed?.job.cancel();
    this.timers.delete(target.id);
    if (target.status !== 'active' || !target.nextRunAt) return;
    const delayMs = Math.max(0, Date.parse(target.nextRunAt) - this.deps.clock.now().getTime());
    // As in due-timers.ts: node-schedule reads the system clock, so the delay lands on that clock.
    const timer = schedule.scheduleJob(new Date(systemClock.now().getTime() + delayMs + 5), () => {
      this.timers.delete(target.id);
      this.fireIfDue(target.id).catch((err) => this.deps.logger.error({ err: coerceError(err), scheduleId: target.id }, 'schedule firing failed; the poller retries'));
    });
    if (timer) this.timers.set(target.id, { job: timer, at: target.nextRunAt });
  }
}

/** The last firing at or before `now`, counting from the stored next firing (bounded walk). */
function latestFiring(target: Schedule, now: Date): Date {
  let firing = new Date(target.nextRunAt!);
  for (let steps = 0; steps < 100_000; steps++) {
    const after = nextFiring(target.expression, target.timezone, firing);
    if (!after || after.getTime() > now.getTime()) break;
    firing = after;
  }
  return firing;
}
