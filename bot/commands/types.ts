/**
 * The `/sched` use cases, shared by every chat surface: a parsed `Command` in, an outcome out.
 * Surfaces only acknowledge, parse, call `executeCommand` and render the outcome.
 */
import type { AccessPolicy } from '../core/access.js';
import type { Job } from '../core/job.js';
import type { ListView } from '../core/view/job-view.js';
import type { Schedule } from '../core/schedule.js';
import type { RunPlan } from '../core/plan.js';
import type { Clock, JobPlanner, JobService, Notifier, OutputTail, ScheduleService } from '../ports.js';

/** Who is asking, and from where. */
export interface Actor {
  surface: 'slack' | 'terminal';
  userId: string;
  /** Slack channel the command came from. */
  channelId?: string;
  /**
   * The person at the machine Sched runs on (the terminal's user): may use Sched and see and
   * manage every job, as an admin may. The per-person caps still apply to them.
   */
  operator?: boolean;
}

/** Built once by `main` and handed to whichever chat surface is configured. */
export interface CommandDeps {
  jobs: JobService;
  schedules: ScheduleService;
  access: AccessPolicy;
  clock: Clock;
  /** Per-person caps (admins are exempt): every job is a paid instance. Absent: no caps. */
  limits?: { activeJobsPerUser: number; schedulesPerUser: number };
  /** `run --dry-run`; absent: a dry run is refused as unavailable. */
  planner?: JobPlanner;
}

export type CommandOutcome =
  /** A job was created (or retried): the surface shows it and follows its updates. */
  | { kind: 'job-created'; job: Job }
  | { kind: 'schedule-created'; schedule: Schedule }
  /** `run --dry-run`: what would happen. Nothing was stored or launched. */
  | { kind: 'run-plan'; plan: RunPlan }
  | { kind: 'job-status'; job: Job }
  | { kind: 'schedule-status'; schedule: Schedule }
  /** `output`: what the job printed so far (`JobService.outputSoFar`), when it has no final output. */
  | { kind: 'job-logs'; job: Job; output?: OutputTail }
  | { kind: 'job-cancelled'; job: Job }
  /** "Run on-demand" was accepted: the job's attempt launches on-demand now. */
  | { kind: 'job-on-demand'; job: Job }
  | { kind: 'schedule-cancelled'; schedule: Schedule }
  | { kind: 'list'; jobs: Job[]; schedules: Schedule[]; all: ListView['all'] }
  | { kind: 'help'; topic?: string }
  /** The input was wrong: say what, show the usage line. Nothing changed. */
  | { kind: 'invalid'; error: string; usage: string }
  /** Not allowed: say why. Nothing changed. */
  | { kind: 'denied'; reason: string }
  /** Someone else changed the item first (a lost conditional write): nothing changed; asking again may work. */
  | { kind: 'conflict'; reason: string };

/** What runs where: the terminal's banner shows it. */
export interface HostFacts {
  /** `engineProblem`: the CLI is there but its engine does not answer (no Docker daemon, say). */
  compute: { kind: 'local'; containerCli?: string; engineProblem?: string } | { kind: 'ec2'; region?: string };
  store: { kind: 'embedded'; path: string } | { kind: 'dynamodb'; table: string };
  /** Base URL of the HTTP server (REST API, /healthz). */
  apiUrl: string;
  apiTokenSet: boolean;
  /** Where the JSON log goes while the terminal owns stdout. */
  logFile?: string;
}

/** What the running bot tells and offers a chat surface as it starts it. */
export interface SurfaceHost {
  facts: HostFacts;
  /** Stops Sched as SIGTERM would (the terminal's interactive `exit`). */
  requestStop(reason: string): void;
}

/** A chat surface (Slack, the terminal): its notifier is the engine's, its commands the use cases. */
export interface ChatSurface {
  readonly notifier: Notifier;
  /** Starts taking commands, answered through `deps`. */
  start(deps: CommandDeps, host: SurfaceHost): Promise<void>;
  /** Stops taking commands and lets the notifications still pending out. */
  stop(): Promise<void>;
}
