/**
 * The shapes every surface renders (bot/core/view/job-view.ts builds them): a job, a schedule, a list,
 * their fields, events, tones and actions, and the limits the views keep to.
 */
import type { Schedule } from '../schedule.js';
import type { JobEventKind, JobOwner, JobStatus } from '../job.js';

/** How a status or event feels; renderers pick colours and emoji from it. */
export const ViewTone = {
  Waiting: 'waiting',
  Active: 'active',
  Success: 'success',
  Failure: 'failure',
  Muted: 'muted',
} as const;
export type ViewTone = (typeof ViewTone)[keyof typeof ViewTone];

export interface ViewField {
  label: string;
  value: string;
  /** A literal the user typed or a machine id (image, argv, cron expression): shown monospaced. */
  code?: boolean;
}

export interface ViewEvent {
  /** ISO UTC. */
  at: string;
  /** `at` for people: "15:04:05 UTC" today, "2026-03-04 15:04 UTC" another day. */
  time: string;
  kind: JobEventKind;
  text: string;
  tone: ViewTone;
}

/** Buttons in Slack, suggested commands in the terminal. */
/** `on-demand`: "Run on-demand", offered while the job waits on spot capacity (a button only: no subcommand). */
export type JobAction = 'cancel' | 'retry' | 'logs' | 'on-demand';

export interface JobView {
  kind: 'job';
  id: string;
  /** The job's name, else its image. */
  title: string;
  status: JobStatus;
  /** "Running on i-0abc (t3.micro), attempt 2". */
  statusLabel: string;
  tone: ViewTone;
  /** One line: title, id and status label; for lists and notification text. */
  summary: string;
  fields: ViewField[];
  /** The most recent events, oldest first. */
  events: ViewEvent[];
  /** The end of the container's output, printable, lines kept. */
  logTail?: string;
  /** `logs` only (logs-view.ts): what `logTail` is when it is not the final output, or why there is none. */
  outputNote?: string;
  actions: JobAction[];
  owner: JobOwner;
  scheduleId?: string;
}

/** What `list` shows: the caller's (or with `all`, everyone's) jobs and schedules. */
export interface ListView {
  jobs: JobView[];
  schedules: ScheduleView[];
  /** `list --all`: everyone's, not only the caller's. */
  all: boolean;
}

export const JOB_VIEW_LIMITS = {
  events: 10,
  nextFirings: 3,
  /** Characters of output kept; more than any renderer shows. */
  logTail: 8000,
} as const;

export interface ScheduleView {
  kind: 'schedule';
  id: string;
  title: string;
  status: Schedule['status'];
  statusLabel: string;
  tone: ViewTone;
  summary: string;
  fields: ViewField[];
  /** The next firings, ISO UTC; empty once cancelled. */
  nextFirings: string[];
  /** Cancelling a schedule goes through the same `cancel` as a job (the id tells them apart). */
  actions: Extract<JobAction, 'cancel'>[];
  owner: JobOwner;
}
