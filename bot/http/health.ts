import type { FastifyInstance } from 'fastify';
import { sendError } from './error-replies.js';

export interface HealthDeps {
  /** Prometheus text exposition; absent: no `/metrics` route answers. */
  metrics?: () => string | Promise<string>;
  /**
   * EC2 compute: may this deployment launch a worker (a DryRun RunInstances, see
   * bot/adapters/ec2-launch-check.ts)? Absent (local compute): `/healthz` has no `checks`.
   */
  launchPermission?: () => { state: 'ok' | 'refused' | 'unknown'; detail: string; checkedAt?: string };
}

/**
 * Unauthenticated on purpose: load balancers and Prometheus scrapers carry no token, and neither
 * answer carries a job's details (metrics are counts and timings, never ids or parameters).
 */
export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  // A refused launch permission is 503: every job would fail, and a deploy pipeline or load
  // balancer should see it. Unknown (not checked yet, or EC2 did not answer) stays 200.
  app.get('/healthz', async (_request, reply) => {
    if (deps.launchPermission === undefined) return { ok: true };
    const launch = deps.launchPermission();
    const ok = launch.state !== 'refused';
    if (!ok) void reply.code(503);
    return { ok, checks: { launch_permission: { state: launch.state, detail: launch.detail, checked_at: launch.checkedAt ?? null } } };
  });

  app.get('/metrics', async (_request, reply) => {
    if (deps.metrics === undefined) return sendError(reply, 404, 'no_metrics', 'metrics are not enabled');
    const text = await deps.metrics();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });
}
