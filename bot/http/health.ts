import type { FastifyInstance } from 'fastify';
import { sendError } from './error-replies.js';

export interface HealthDeps {
  /** Prometheus text exposition; absent: no `/metrics` route answers. */
  metrics?: () => string | Promise<string>;
}

/**
 * Unauthenticated on purpose: load balancers and Prometheus scrapers carry no token, and neither
 * answer carries a job's details (metrics are counts and timings, never ids or parameters).
 */
export function registerHealthRoutes(app: FastifyInstance, deps: HealthDeps): void {
  app.get('/healthz', async () => ({ ok: true }));

  app.get('/metrics', async (_request, reply) => {
    if (deps.metrics === undefined) return sendError(reply, 404, 'no_metrics', 'metrics are not enabled');
    const text = await deps.metrics();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });
}
