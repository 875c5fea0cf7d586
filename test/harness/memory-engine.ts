/** An engine and scheduler wired to the in-memory twins, as main.ts wires the real ones. */
import { pino } from 'pino';
import { MemoryScheduleStore } from '../../bot/adapters/dynamo-schedules.js';
import { MemoryFleet } from '../../bot/adapters/memory-fleet.js';
import { MemoryJobStore } from '../../bot/adapters/memory-store.js';
import { Engine } from '../../bot/engine/engine.js';
import { Scheduler } from '../../bot/engine/scheduler.js';
import type { Clock, JobStore, Notifier, ScheduleStore } from '../../bot/ports.js';
import { activeJobsCapReached } from '../../bot/commands/caps.js';
import type { CommandDeps } from '../../bot/commands/types.js';
import type { JobOwner } from '../../bot/core/job.js';
import type { GuardRails } from '../../bot/core/request/guard-rails.js';

export function memoryReplica(opts: {
  clock: Clock;
  store?: JobStore;
  schedules?: ScheduleStore;
  fleet?: MemoryFleet;
  allowedInstanceTypes?: string[];
  guardRails?: GuardRails;
  /** The per-person cap on a schedule's firings (as main.ts wires it). */
  caps?: Pick<CommandDeps, 'access' | 'limits'>;
  notifier?: Notifier;
  publicUrl?: string;
}) {
  const { clock } = opts;
  const store = opts.store ?? new MemoryJobStore();
  const fleet = opts.fleet ?? new MemoryFleet();
  const logger = pino({ level: 'silent' });
  const scheduler: Scheduler = new Scheduler({ store: opts.schedules ?? new MemoryScheduleStore(), createJob: (input, id) => engine.createJob(input, id),
    clock,
    logger,
    ...(opts.caps && { capReached: (owner: JobOwner) => activeJobsCapReached(owner, { jobs: engine, ...opts.caps! }) }),
  });
  const engine: Engine = new Engine({
    store,
    fleet,
    callbacks: { send: async () => ({ ok: true, statusCode: 200 }) },
    notifier: opts.notifier ?? { jobChanged: async () => undefined },
    clock,
    logger,
    scheduler,
    secret: 'memory-replica-secret-0123456789abcdefghij',
    publicUrl: opts.publicUrl ?? 'http://127.0.0.1:9',
    pollSeconds: 30,
    ...(opts.allowedInstanceTypes && { allowedInstanceTypes: opts.allowedInstanceTypes }),
    ...(opts.guardRails && { guardRails: opts.guardRails }),
  });
  return { engine, scheduler, fleet, store };
}
