import type { FastifyInstance } from 'fastify';
import { HealthPart, type Degraded } from '../engine/health-state.js';
import { sendError } from './error-replies.js';

export interface HealthDeps {
  /** Prometheus text exposition; absent: no `/metrics` route answers. */
  metrics?: () => string | Promise<string>;
  /**
   * EC2 compute: may this deployment launch a worker (a DryRun RunInstances, see
   * bot/adapters/ec2-launch-check.ts)? Absent (local compute): `/healthz` has no `launch_permission`.
   */
  launchPermission?: () => { state: 'ok' | 'refused' | 'unknown'; detail: string; checkedAt?: string };
  /**
   * What is degraded now (bot/engine/health-state.ts: reported by the parts as they go, rechecked
   * cheaply while degraded); absent: nothing is ever reported degraded.
   */
  health?: { check(): Promise<Degraded[]> };
}

/** What /healthz answers: `ok`, each check by name, and what is degraded since when. */
export interface HealthBody {
  ok: boolean;
  checks?: Record<string, unknown>;
  degraded?: Degraded[];
}

/**
 * Unauthenticated on purpose: load balancers and Prometheus scrapers carry no token, and neither
 * answer carries a job's details (metrics are counts and timings, never ids or parameters).
 *
 * `/healthz` answers 200 `{ ok: true, checks }` when every check passes, and 503
 * `{ ok: false, checks, degraded: [{ part, since, detail }] }` while one does not (the job store
 * unreachable, …), so a load balancer or an Auto Scaling health check can act on the status alone.
 */
export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  // A refused launch permission is 503 too: every job would fail, and a deploy pipeline or load
  // balancer should see it. Unknown (not checked yet, or EC2 did not answer) stays 200.
  app.get('/healthz', async (_request, reply) => {
    const body: HealthBody = { ok: true };
    if (deps.health) {
      const degraded = await deps.health.check();
      body.checks = { store: degraded.some((d) => d.part === HealthPart.Store) ? 'degraded' : 'ok' };
      if (degraded.length > 0) {
        body.ok = false;
        body.degraded = degraded;
      }
    }
    if (deps.launchPermission) {
      const launch = deps.launchPermission();
      body.checks = { ...body.checks, launch_permission: { state: launch.state, detail: launch.detail, checked_at: launch.checkedAt ?? null } };
      if (launch.state === 'refused') body.ok = false;
    }
    return reply.code(body.ok ? 200 : 503).send(body);
  });

  app.get('/metrics', async (_request, reply) => {
    if (deps.metrics === undefined) return sendError(reply, 404, 'no_metrics', 'metrics are not enabled');
    const text = await deps.metrics();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });
}
