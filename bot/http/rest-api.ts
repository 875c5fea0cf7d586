/**
 * REST API v1, the original service's API behind a bearer token. Validation happens here, before
 * the job service is called, so a refused request never reaches it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { validateCallbackUrlSyntax } from '../core/callback.js';
import { parseJobRequest, type JobDefaults } from '../core/request/job-request.js';
import type { Clock, JobPlanner, JobService } from '../ports.js';
import { constantTimeEqual } from '../security/hmac.js';
import { parseBearerToken } from './bearer.js';
import { sendError } from './error-replies.js';
import { toPublicJob, toPublicPlan } from './public-job.js';

export interface RestApiDeps {
  jobs: JobService;
  /** Absent or empty: the API refuses every request (there is no anonymous mode). */
  apiToken?: string;
  defaults: JobDefaults;
  clock: Clock;
  /** Dry runs; absent: `"dry_run": true` is refused. */
  planner?: JobPlanner;
}

export const REST_BODY_LIMIT_BYTES = 256 * 1024;

/** Ids are opaque to the API; the bound only keeps absurd path segments from reaching the store. */
const MAX_JOB_ID_LENGTH = 128;

const API_OWNER = { kind: 'api', id: 'api' } as const;

const UpdateJobBody = z.strictObject({ callback: z.union([z.string(), z.null()]) });

type JobParams = { Params: { id: string } };

export function registerRestApi(app: FastifyInstance, deps: RestApiDeps): void {
  const configuredToken = deps.apiToken !== undefined && deps.apiToken !== '' ? deps.apiToken : undefined;

  // onRequest runs before the body is read: an unauthenticated client cannot make us parse it.
  app.addHook('onRequest', async (request, reply) => {
    if (configuredToken === undefined) {
      return refuse(reply, 'api_disabled', 'the REST API is disabled until SCHED_API_TOKEN is set');
    }
    const presented = parseBearerToken(request.headers.authorization);
    if (presented === undefined) return refuse(reply, 'unauthorized', 'send Authorization: Bearer <api token>');
    if (!constantTimeEqual(configuredToken, presented)) return refuse(reply, 'unauthorized', 'the API token is not valid');
    return undefined;
  });

  app.post('/v1/jobs', { bodyLimit: REST_BODY_LIMIT_BYTES }, async (request, reply) => {
    const parsed = parseJobRequest(request.body, { now: deps.clock.now(), defaults: deps.defaults });
    if (!parsed.ok) return sendError(reply, 400, 'invalid', 'the job request is invalid', parsed.problems);
    if (parsed.dryRun) {
      // A plan, not a job: 200, nothing stored, nothing launched.
      if (!deps.planner) return sendError(reply, 400, 'invalid', 'the job request is invalid', ['dry_run: dry runs are not available on this server']);
      const now = deps.clock.now();
      const when = Date.parse(parsed.runAt) > now.getTime() ? ({ kind: 'at', runAt: parsed.runAt, timezone: 'UTC' } as const) : ({ kind: 'now', runAt: now.toISOString() } as const);
      return reply.code(200).send(toPublicPlan(await deps.planner.plan(parsed.spec, when)));
    }
    const job = await deps.jobs.createJob({ spec: parsed.spec, runAt: parsed.runAt, owner: { ...API_OWNER } });
    return reply.code(201).header('location', `/v1/jobs/${encodeURIComponent(job.id)}`).send(toPublicJob(job));
  });

  app.get('/v1/jobs', async () => {
    const jobs = await deps.jobs.listRecentJobs();
    return { jobs: jobs.map(toPublicJob) };
  });

  app.get<JobParams>('/v1/jobs/:id', async (request, reply) => {
    if (!isPlausibleId(request.params.id)) return jobNotFound(request, reply);
    const job = await deps.jobs.getJob(request.params.id);
    if (job === undefined) return jobNotFound(request, reply);
    return toPublicJob(job);
  });

  app.put<JobParams>('/v1/jobs/:id', { bodyLimit: REST_BODY_LIMIT_BYTES }, async (request, reply) => {
    if (!isPlausibleId(request.params.id)) return jobNotFound(request, reply);
    const body = UpdateJobBody.safeParse(request.body);
    if (!body.success) {
      return sendError(reply, 400, 'invalid', 'the body must be { "callback": "<url>" | null }', [
        'the body must be a JSON object whose only field is "callback", a URL string or null',
      ]);
    }
    const url = body.data.callback;
    if (url !== null) {
      const problems = validateCallbackUrlSyntax(url);
      if (problems.length > 0) return sendError(reply, 400, 'invalid', 'the callback URL is invalid', problems);
    }
    const job = await deps.jobs.updateCallback(request.params.id, url ?? undefined);
    return toPublicJob(job);
  });

  app.delete<JobParams>('/v1/jobs/:id', async (request, reply) => {
    if (!isPlausibleId(request.params.id)) return jobNotFound(request, reply);
    const job = await deps.jobs.cancelJob(request.params.id, API_OWNER.id);
    return toPublicJob(job);
  });
}

function refuse(reply: FastifyReply, code: string, message: string): FastifyReply {
  return sendError(reply.header('www-authenticate', 'Bearer realm="sched"'), 401, code, message);
}

function isPlausibleId(id: string): boolean {
  return id.length > 0 && id.length <= MAX_JOB_ID_LENGTH;
}

function jobNotFound(request: FastifyRequest<JobParams>, reply: FastifyReply): FastifyReply {
  // The id is the caller's own input; JSON-quoting keeps control characters out of the message.
  return sendError(reply, 404, 'not_found', `no job ${JSON.stringify(request.params.id.slice(0, MAX_JOB_ID_LENGTH))}`);
}
