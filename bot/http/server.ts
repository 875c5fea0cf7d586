/**
 * The HTTP surface: instance notifications, the agent's job, REST API v1, health and metrics. Built, not started:
 * the composition root listens, tests `inject()`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { JobDefaults } from '../core/request/job-request.js';
import type { Clock, JobPlanner, JobService } from '../ports.js';
import { handleHttpError, handleUnknownRoute, RouteTable } from './error-replies.js';
import { registerAgentJobRoute } from './agent-job.js';
import { registerHealthRoutes, type HealthDeps } from './health.js';
import { registerNotificationRoutes } from './notifications.js';
import { REST_BODY_LIMIT_BYTES, registerRestApi } from './rest-api.js';

export interface HttpServerDeps {
  jobs: JobService;
  /** SCHED_SECRET: the key of the instance notification tokens. */
  secret: string;
  /** SCHED_API_TOKEN; absent: the REST API refuses every request. */
  apiToken?: string;
  defaults: JobDefaults;
  clock: Clock;
  logger: Logger;
  /** Prometheus text exposition for `GET /metrics`; absent: 404. */
  metrics?: () => string | Promise<string>;
  /** EC2 compute: the launch permission check's latest answer, for `/healthz`. */
  launchPermission?: HealthDeps['launchPermission'];
  /** What `GET /healthz` reports degraded; absent: always 200. */
  health?: HealthDeps['health'];
  /** Dry runs (`"dry_run": true`); absent: refused with 400. */
  planner?: JobPlanner;
  /**
   * Paths served by a plain Node listener before fastify sees the request (Slack's HTTP mode:
   * Bolt verifies the signature over the raw body, so nothing may parse it first).
   */
  rawRoutes?: Record<string, (req: IncomingMessage, res: ServerResponse) => void>;
}

/**
 * Paths redacted in every log line. fastify's request serializer does not log headers today;
 * this keeps a token out of the logs even if a serializer or a handler ever logs them.
 */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'request.headers.authorization',
  'headers.authorization',
  'authorization',
];

export function buildHttpServer(deps: HttpServerDeps): FastifyInstance {
  // An empty key would make every notification token forgeable; refuse to start rather than serve.
  if (deps.secret === '') throw new TypeError('the notification secret must not be empty');

  // Typed as fastify's logger interface so the instance is the plain FastifyInstance callers expect.
  const logger: FastifyBaseLogger = deps.logger.child(
    { component: 'http' },
    { redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } },
  );
  const rawRoutes = deps.rawRoutes ?? {};
  const app = Fastify({
    serverFactory: (handler) =>
      createServer((req, res) => {
        const path = (req.url ?? '/').split('?')[0]!;
        const raw = Object.hasOwn(rawRoutes, path) ? rawRoutes[path] : undefined;
        if (raw) raw(req, res);
        else handler(req, res);
      }),
    loggerInstance: logger,
    bodyLimit: REST_BODY_LIMIT_BYTES,
    // Job ids are bounded at 128 characters; fastify's default (100) would turn longer ones into
    // a misleading "no route" before our own checks could answer.
    routerOptions: { maxParamLength: 256 },
    frameworkErrors: (error, request, reply) => handleHttpError(error, request, reply),
  });

  app.setErrorHandler((error, request, reply) => handleHttpError(error, request, reply));
  const routes = new RouteTable();
  app.addHook('onRoute', (route) => routes.add(route.url, route.method));
  app.setNotFoundHandler((request, reply) => handleUnknownRoute(request, reply, routes.methodsFor(request.url.split('?')[0] ?? '')));

  // Each group in its own encapsulated scope: the notification route's permissive body parser
  // and the API's token hook must not leak into the other routes.
  void app.register(async (scope) => registerNotificationRoutes(scope, { jobs: deps.jobs, secret: deps.secret }));
  void app.register(async (scope) => registerAgentJobRoute(scope, { jobs: deps.jobs, secret: deps.secret }));
  void app.register(async (scope) =>
    registerRestApi(scope, { jobs: deps.jobs, apiToken: deps.apiToken, defaults: deps.defaults, clock: deps.clock, ...(deps.planner && { planner: deps.planner }) }),
  );
  void app.register(async (scope) => registerHealthRoutes(scope, { metrics: deps.metrics, ...(deps.health && { health: deps.health }), ...(deps.launchPermission && { launchPermission: deps.launchPermission }) }));

  return app;
}
