/**
 * The `/sched` use cases, shared by every chat surface: a parsed `Command` in, an outcome out.
 * Surfaces only acknowledge, parse, call `executeCommand` and render the outcome.
 */
import type { AccessPolicy } from '../core/access.js';
import type { Job } from '../core/job.js';
import type { ListView } from '../core/job-view.js';
import type { Schedule } from '../core/schedule.js';
import type { Clock, JobService, ScheduleService } from '../ports.js';

/** Who is asking, and from where. */
export interface Actor {
  surface: 'slack' | 'terminal';
  userId: string;
  /** Slack channel the command came from. */
  channelId?: string;
}

export interface CommandDeps {
  jobs: JobService;
  schedules: ScheduleService;
  access: AccessPolicy;
  clock: Clock;
  /** Per-person caps (admins are exempt): every job is a paid instance. Absent: no caps. */
  limits?: { activeJobsPerUser: number; schedulesPerUser: number };
}

export type CommandOutcome =
  /** A job was created (or retried): the surface shows it and follows its updates. */
  | { kind: 'job-created'; job: Job }
  | { kind: 'schedule-created'; schedule: Schedule }
  | { kind: 'job-status'; job: Job }
  | { kind: 'schedule-status'; schedule: Schedule }
  | { kind: 'job-logs'; job: Job }
  | { kind: 'job-cancelled'; job: Job }
  | { kind: 'schedule-cancelled'; schedule: Schedule }
  | { kind: 'list'; jobs: Job[]; schedules: Schedule[]; all: ListView['all'] }
  | { kind: 'help'; topic?: string }
  /** The input was wrong: say what, show the usage line. Nothing changed. */
  | { kind: 'invalid'; error: string; usage: string }
  /** Not allowed: say why. Nothing changed. */
  | { kind: 'denied'; reason: string };
