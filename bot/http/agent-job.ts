/**
 * `GET /v1/agent/<job-id>?attempt=<n>`: the instance agent fetches what to run — the job's image,
 * argv, env, GPUs and timeout — with its attempt's token (docs/rest-api.md, "The agent's job"), so
 * none of it sits in EC2 user data. Same token and checks as the notifications, in the same order:
 * the query (400), the token (401, constant time, for this job and attempt only), then the job
 * (404 unknown, 409 an attempt neither current nor draining, 410 a job that has ended).
 *
 * The answer holds the job's env values: `Cache-Control: no-store`, and neither it nor the token
 * is ever logged (fastify logs the URL, which holds only the job id and attempt).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { answerAgentJob } from '../core/agent-spec.js';
import type { JobService } from '../ports.js';
import { verifyNotificationToken } from '../security/hmac.js';
import { parseBearerToken } from './bearer.js';
import { sendError } from './error-replies.js';
import { ATTEMPT, JOB_ID } from './notifications.js';

export interface AgentJobDeps {
  jobs: Pick<JobService, 'getJob'>;
  /** SCHED_SECRET, the key of the per-attempt tokens. */
  secret: string;
}

type AgentJobRoute = { Params: { jobId: string }; Querystring: Record<string, unknown> };

export function registerAgentJobRoute(app: FastifyInstance, deps: AgentJobDeps): void {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  app.get<AgentJobRoute>('/v1/agent/:jobId', async (request, reply) => {
    const { jobId } = request.params;
    const { attempt } = request.query;
    const problems: string[] = [];
    if (!JOB_ID.test(jobId)) problems.push('job id: not a job id');
    // A repeated parameter arrives as an array: ambiguous, so refused.
    if (typeof attempt !== 'string' || !ATTEMPT.test(attempt)) problems.push('attempt: must be a positive integer');
    if (problems.length > 0) return sendError(reply, 400, 'invalid', 'the request is invalid', problems);

    const presented = parseBearerToken(request.headers.authorization);
    if (presented === undefined || !verifyNotificationToken(deps.secret, jobId, Number(attempt), presented)) {
      return sendError(reply, 401, 'unauthorized', 'missing or invalid notification token');
    }
    return answer(reply, jobId, Number(attempt), answerAgentJob(await deps.jobs.getJob(jobId), Number(attempt)));
  });
}

function answer(reply: FastifyReply, jobId: string, attempt: number, result: ReturnType<typeof answerAgentJob>) {
  switch (result.kind) {
    case 'job':
      return reply.code(200).type('application/json; charset=utf-8').send(result.body);
    case 'not_found':
      return sendError(reply, 404, 'not_found', `no job ${JSON.stringify(jobId)}`);
    case 'stale_attempt':
      return sendError(reply, 409, 'stale_attempt', `attempt ${attempt} is no longer the job's current attempt`);
    case 'ended':
      return sendError(reply, 410, 'ended', `job ${JSON.stringify(jobId)} has ended (${result.status}): nothing more runs for it`);
    default: {
      const unexpected: never = result;
      throw new Error(`unexpected agent job answer ${String(unexpected)}`);
    }
  }
}
