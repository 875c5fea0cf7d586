/** Counters the engine keeps, served at /metrics in Prometheus' text format. */
import type { JobStatus } from '../core/job.js';

export class EngineMetrics {
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
  private readonly transitions = new Map<JobStatus, number>();
  private readonly callbackOutcomes = { ok: 0, failed: 0 };

  transition(status: JobStatus): void {
    this.transitions.set(status, (this.transitions.get(status) ?? 0) + 1);
  }

  callbacks(ok: boolean): void {
    if (ok) this.callbackOutcomes.ok++;
    else this.callbackOutcomes.failed++;
  }

  recordPass(ms: number, jobs: number): void {
    this.passes++;
    this.lastPassMs = ms;
    this.lastPassJobs = jobs;
  }

  render(): string {
    const lines: string[] = [];
    const counter = (name: string, help: string, value: number, labels = '') => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name}${labels} ${value}`);
    };
    counter('sched_jobs_created_total', 'Jobs created.', this.jobsCreated);
    counter('sched_agent_reports_total', 'Instance agent notifications accepted.', this.agentReports);
    counter('sched_spot_requests_total', 'Spot requests placed.', this.spotRequests);
    counter('sched_store_write_conflicts_total', 'Conditional writes lost and retried.', this.writeConflicts);
    counter('sched_fleet_observe_errors_total', 'Reconcile passes that could not observe the fleet.', this.observeErrors);
    counter('sched_orphans_terminated_total', 'Instances terminated by the orphan sweep.', this.orphansTerminated);
    counter('sched_orphans_cancelled_total', 'Spot requests cancelled by the orphan sweep.', this.orphansCancelled);
    counter('sched_reconcile_passes_total', 'Reconcile passes run.', this.passes);
    lines.push('# HELP sched_job_transitions_total Jobs entering each status.', '# TYPE sched_job_transitions_total counter');
    for (const [status, n] of this.transitions) lines.push(`sched_job_transitions_total{status="${status}"} ${n}`);
    lines.push('# HELP sched_callbacks_total Callback delivery tries by outcome.', '# TYPE sched_callbacks_total counter');
    lines.push(`sched_callbacks_total{outcome="ok"} ${this.callbackOutcomes.ok}`, `sched_callbacks_total{outcome="failed"} ${this.callbackOutcomes.failed}`);
    lines.push('# HELP sched_reconcile_last_pass_seconds Duration of the last reconcile pass.', '# TYPE sched_reconcile_last_pass_seconds gauge');
    lines.push(`sched_reconcile_last_pass_seconds ${this.lastPassMs / 1000}`);
    lines.push('# HELP sched_reconcile_last_pass_jobs Jobs reconciled in the last pass.', '# TYPE sched_reconcile_last_pass_jobs gauge');
    lines.push(`sched_reconcile_last_pass_jobs ${this.lastPassJobs}`);
    return `${lines.join('\n')}\n`;
  }
}
