/**
 * The bot's metrics, served at /metrics in Prometheus' text format by prom-client, from a registry
 * of this object's own (never prom-client's global one: tests and several engines in one process
 * would share and collide on it).
 *
 * - The engine's counters stay plain numbers that the engine bumps and its tests read as they
 *   are; a scrape copies them into the registry under the names dashboards already use.
 * - Labelled figures are prom-client metrics: the reconcile pass duration histogram, AWS calls,
 *   retries and errors (by service, operation and error code: aws-clients.ts records them), Slack
 *   Web API calls by method and outcome (bot/slack/counted-client.ts), callback deliveries by
 *   outcome, and active jobs by status as of the last pass.
 * - Labels are bounded sets (statuses, outcomes, AWS operation names and error codes): never a job
 *   id, a parameter or a URL.
 * - Process metrics (CPU, memory, event loop, handles) only when asked: they keep observers alive
 *   for as long as the process, which the bot wants once and a test's hundred engines do not.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ALL_STATUSES, type Job, type JobStatus } from '../core/job.js';

/** What the AWS client middleware records of one SDK call (after the SDK's own retries). */
export interface AwsCallRecorder {
  awsCall(call: { service: string; operation: string; attempts: number; errorCode?: string }): void;
}

/** What the Slack Web API client wrapper records of one call. */
export interface SlackCallRecorder {
  slackCall(method: string, outcome: string): void;
}

export interface EngineMetricsOptions {
  /** prom-client's default process metrics (the bot: yes; tests: rarely). Default false. */
  processMetrics?: boolean;
}

/** Seconds: a pass over a few jobs takes milliseconds, over thousands (or through throttling) seconds. */
const PASS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class EngineMetrics implements AwsCallRecorder, SlackCallRecorder {
  jobsCreated = 0;
  agentReports = 0;
  spotRequests = 0;
  writeConflicts = 0;
  observeErrors = 0;
  orphansTerminated = 0;
  orphansCancelled = 0;
  passes = 0;
  lastPassMs = 0;
  lastPassJobs = 0;
  readonly registry = new Registry();
  private readonly transitions: Counter<'status'>;
  private readonly callbackDeliveries: Counter<'outcome'>;
  private readonly passSeconds: Histogram;
  private readonly jobsByStatus: Gauge<'status'>;
  private readonly awsCalls: Counter<'service' | 'operation'>;
  private readonly awsRetries: Counter<'service' | 'operation'>;
  private readonly awsErrors: Counter<'service' | 'operation' | 'code'>;
  private readonly slackCalls: Counter<'method' | 'outcome'>;

  constructor(options: EngineMetricsOptions = {}) {
    const registers = [this.registry];
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
    const counted: [name: string, help: string, read: () => number][] = [
      ['sched_jobs_created_total', 'Jobs created.', () => this.jobsCreated],
      ['sched_agent_reports_total', 'Instance agent notifications accepted.', () => this.agentReports],
      ['sched_spot_requests_total', 'Spot requests placed.', () => this.spotRequests],
      ['sched_store_write_conflicts_total', 'Conditional writes lost and retried.', () => this.writeConflicts],
      ['sched_fleet_observe_errors_total', 'Reconcile passes that could not observe the fleet.', () => this.observeErrors],
      ['sched_orphans_terminated_total', 'Instances terminated by the orphan sweep.', () => this.orphansTerminated],
      ['sched_orphans_cancelled_total', 'Spot requests cancelled by the orphan sweep.', () => this.orphansCancelled],
      ['sched_reconcile_passes_total', 'Reconcile passes run.', () => this.passes],
    ];
    for (const [name, help, read] of counted) {
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    }
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge('sched_reconcile_last_pass_seconds', 'Duration of the last reconcile pass.', () => this.lastPassMs / 1000);
    gauge('sched_reconcile_last_pass_jobs', 'Jobs reconciled in the last pass.', () => this.lastPassJobs);
    this.transitions = new Counter({ name: 'sched_job_transitions_total', help: 'Jobs entering each status.', labelNames: ['status'], registers });
    this.callbackDeliveries = new Counter({ name: 'sched_callbacks_total', help: 'Callback delivery tries by outcome.', labelNames: ['outcome'], registers });
    for (const outcome of ['ok', 'failed']) this.callbackDeliveries.inc({ outcome }, 0);
    this.passSeconds = new Histogram({ name: 'sched_reconcile_pass_duration_seconds', help: 'Reconcile pass duration.', buckets: PASS_BUCKETS, registers });
    this.jobsByStatus = new Gauge({ name: 'sched_jobs', help: 'Jobs the last reconcile pass worked on (active ones, and ended ones with a callback due), by status.', labelNames: ['status'], registers });
    this.awsCalls = new Counter({ name: 'sched_aws_calls_total', help: 'AWS API calls (each after the SDK retries) by service and operation.', labelNames: ['service', 'operation'], registers });
    this.awsRetries = new Counter({ name: 'sched_aws_retries_total', help: 'AWS API attempts the SDK retried, by service and operation.', labelNames: ['service', 'operation'], registers });
    this.awsErrors = new Counter({ name: 'sched_aws_errors_total', help: 'AWS API calls that failed (after the SDK retries) by service, operation and error code.', labelNames: ['service', 'operation', 'code'], registers });
    this.slackCalls = new Counter({ name: 'sched_slack_calls_total', help: 'Slack Web API calls by method and outcome.', labelNames: ['method', 'outcome'], registers });
  }

  transition(status: JobStatus): void {
    this.transitions.inc({ status });
  }

  callbacks(ok: boolean): void {
    this.callbackDeliveries.inc({ outcome: ok ? 'ok' : 'failed' });
  }

  /** One pass: its duration and the jobs it worked on (counted by status; ids never leave here). */
  recordPass(ms: number, jobs: number | readonly Pick<Job, 'status'>[]): void {
    this.passes++;
    this.lastPassMs = ms;
    this.passSeconds.observe(ms / 1000);
    if (typeof jobs === 'number') {
      this.lastPassJobs = jobs;
      return;
    }
    this.lastPassJobs = jobs.length;
    const counts = new Map<JobStatus, number>(ALL_STATUSES.map((status) => [status, 0]));
    for (const job of jobs) counts.set(job.status, (counts.get(job.status) ?? 0) + 1);
    for (const [status, n] of counts) this.jobsByStatus.set({ status }, n);
  }

  awsCall(call: { service: string; operation: string; attempts: number; errorCode?: string }): void {
    const labels = { service: call.service, operation: call.operation };
    this.awsCalls.inc(labels);
    if (call.attempts > 1) this.awsRetries.inc(labels, call.attempts - 1);
    if (call.errorCode !== undefined) this.awsErrors.inc({ ...labels, code: call.errorCode });
  }

  slackCall(method: string, outcome: string): void {
    this.slackCalls.inc({ method, outcome });
  }

  /** The Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The exposition's content type, as prom-client writes it. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
