/**
 * `PUT /v1/notifications/<job-id>?status=…&attempt=<n>[&exit=<code>]`: the instance agent's
 * reports (docs/rest-api.md, "Instance notifications"). `output` (the tail of the output so far) is
 * stored on the job by `recordOutput`; the others go to the lifecycle through `agentReport`.
 *
 * Checks run cheapest and least revealing first: the query's syntax (400), then the token (401),
 * and only then the body (400) — an unauthenticated caller never gets its body parsed — and the
 * job service, whose answer says whether the job and attempt exist (404, 409).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { ConflictError } from '../core/errors.js';
import type { AgentStatus } from '../core/lifecycle/observation.js';
import type { AgentReport, AgentReportResult, JobService } from '../ports.js';
import { verifyNotificationToken } from '../security/hmac.js';
import { parseBearerToken } from './bearer.js';
import { sendError } from './error-replies.js';

export interface NotificationDeps {
  jobs: JobService;
  /** SCHED_SECRET, the key of the per-attempt tokens. */
  secret: string;
}

export const NOTIFICATION_BODY_LIMIT_BYTES = 64 * 1024;
/** The end of the container's output is what explains a failure; the rest is cut. */
export const LOG_TAIL_MAX_BYTES = 8 * 1024;

const AGENT_STATUSES: readonly AgentStatus[] = ['started', 'finished', 'interrupting', 'rebalance'];
/** Sched's addition: the tail of the output so far, while the container runs; stored, not decided on. */
const OUTPUT_STATUS = 'output';
type NotificationStatus = AgentStatus | typeof OUTPUT_STATUS;
export const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._:~-]{0,127}$/;
/** No leading zeros: one attempt has one spelling, the one its token was made for. */
export const ATTEMPT = /^[1-9][0-9]{0,8}$/;
const EXIT_CODE = /^(?:0|[1-9][0-9]{0,2})$/;
/** A year: longer than any job may run (timeouts stop at 30 days). */
const MAX_RAN_SECONDS = 366 * 86400;

/** The agent's own fields; unknown ones are ignored so a newer agent can add some. */
const NotificationBody = z.object({
  exitCode: z.number().int().min(0).max(255).optional(),
  logTail: z.string().optional(),
  /** `finished` only: the agent stopped the container at the job's timeout. */
  timedOut: z.boolean().optional(),
  /** How long the agent has run the job, by its own clock (`started` and `finished`). */
  ranSeconds: z.number().int().min(0).max(MAX_RAN_SECONDS).optional(),
});

interface NotificationQuery {
  status: NotificationStatus;
  attempt: number;
  exitCode?: number;
}

type NotificationRoute = { Params: { jobId: string }; Querystring: Record<string, unknown>; Body: Buffer | undefined };

export function registerNotificationRoutes(app: FastifyInstance, deps: NotificationDeps): void {
  // curl -X PUT without data says application/x-www-form-urlencoded; other agents may say nothing
  // or text/plain. Dropping the header before fastify looks at it makes every one of them (even a
  // malformed one) reach the raw-body parser below, which decides by content instead.
  app.addHook('onRequest', async (request) => {
    delete request.headers['content-type'];
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: NOTIFICATION_BODY_LIMIT_BYTES }, (_request, body, done) => {
    done(null, body);
  });

  app.put<NotificationRoute>(
    '/v1/notifications/:jobId',
    { bodyLimit: NOTIFICATION_BODY_LIMIT_BYTES },
    async (request, reply) => {
      const { jobId } = request.params;
      const query = parseNotificationQuery(jobId, request.query);
      if (!query.ok) return sendError(reply, 400, 'invalid', 'the notification is invalid', query.problems);

      const presented = parseBearerToken(request.headers.authorization);
      if (presented === undefined || !verifyNotificationToken(deps.secret, jobId, query.value.attempt, presented)) {
        return sendError(reply, 401, 'unauthorized', 'missing or invalid notification token');
      }

      const body = parseNotificationBody(request.body);
      if (!body.ok) return sendError(reply, 400, 'invalid', 'the notification body is invalid', body.problems);

      const exit = reconcileExitCode(query.value, body.value.exitCode);
      if (!exit.ok) return sendError(reply, 400, 'invalid', 'the notification is invalid', exit.problems);
      const extra = checkTimingFields(query.value.status, body.value);
      if (!extra.ok) return sendError(reply, 400, 'invalid', 'the notification is invalid', extra.problems);

      const { status, attempt } = query.value;
      if (status === OUTPUT_STATUS) {
        const { logTail } = body.value;
        if (logTail === undefined) return sendError(reply, 400, 'invalid', 'the notification is invalid', ['logTail: an output notification carries the output so far']);
        return answerReport(reply, jobId, () => deps.jobs.recordOutput({ jobId, attempt, logTail: keepTail(logTail, LOG_TAIL_MAX_BYTES) }), attempt);
      }
      const report: AgentReport = { jobId, status, attempt };
      if (exit.value !== undefined) report.exitCode = exit.value;
      if (body.value.logTail !== undefined) report.logTail = keepTail(body.value.logTail, LOG_TAIL_MAX_BYTES);
      if (body.value.timedOut === true) report.timedOut = true;
      if (body.value.ranSeconds !== undefined) report.ranSeconds = body.value.ranSeconds;

      return answerReport(reply, jobId, () => deps.jobs.agentReport(report), attempt);
    },
  );
}

async function answerReport(reply: FastifyReply, jobId: string, deliver: () => Promise<AgentReportResult>, attempt: number) {
  let result;
  try {
    result = await deliver();
  } catch (thrown) {
    // A lost conditional write is transient. 409 would tell the agent its attempt is stale and
    // make it stop reporting; 503 makes it retry, and the retry is idempotent.
    if (thrown instanceof ConflictError) {
      return sendError(reply.header('retry-after', '1'), 503, 'busy', 'the job changed concurrently; retry');
    }
    throw thrown;
  }
  switch (result) {
    case 'ok':
      return reply.code(200).send({ ok: true });
    case 'not_found':
      return sendError(reply, 404, 'not_found', `no job ${JSON.stringify(jobId)}`);
    case 'stale_attempt':
      return sendError(reply, 409, 'stale_attempt', `attempt ${attempt} is no longer the job's current attempt`);
    default: {
      const unexpected: never = result;
      throw new Error(`unexpected agent report result ${String(unexpected)}`);
    }
  }
}

type Parsed<T> = { ok: true; value: T } | { ok: false; problems: string[] };

export function parseNotificationQuery(jobId: string, query: Record<string, unknown>): Parsed<NotificationQuery> {
  const problems: string[] = [];
  if (!JOB_ID.test(jobId)) problems.push('job id: not a job id');
  const { status, attempt, exit } = query;
  // A repeated parameter arrives as an array: ambiguous, so refused.
  if (typeof status !== 'string' || !([...AGENT_STATUSES, OUTPUT_STATUS] as readonly string[]).includes(status)) {
    problems.push(`status: must be one of ${[...AGENT_STATUSES, OUTPUT_STATUS].join(', ')}`);
  }
  if (typeof attempt !== 'string' || !ATTEMPT.test(attempt)) problems.push('attempt: must be a positive integer');
  let exitCode: number | undefined;
  if (exit !== undefined) {
    if (typeof exit !== 'string' || !EXIT_CODE.test(exit) || Number(exit) > 255) {
      problems.push('exit: must be an integer from 0 to 255');
    } else if (status !== 'finished') {
      problems.push('exit: only a finished notification carries an exit code');
    } else {
      exitCode = Number(exit);
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  const value: NotificationQuery = { status: status as NotificationStatus, attempt: Number(attempt) };
  if (exitCode !== undefined) value.exitCode = exitCode;
  return { ok: true, value };
}

export function parseNotificationBody(raw: Buffer | undefined): Parsed<z.infer<typeof NotificationBody>> {
  const text = raw === undefined ? '' : raw.toString('utf8');
  if (text.trim() === '') return { ok: true, value: {} };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problems: ['the body is not valid JSON'] };
  }
  const parsed = NotificationBody.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      problems: [`the body must be a JSON object { "exitCode"?: integer 0..255, "logTail"?: string, "timedOut"?: boolean, "ranSeconds"?: integer 0..${MAX_RAN_SECONDS} }`],
    };
  }
  return { ok: true, value: parsed.data };
}

/** `timedOut` only ends a run (`finished`); `ranSeconds` only means something on `started` and `finished`. */
function checkTimingFields(status: NotificationStatus, body: z.infer<typeof NotificationBody>): Parsed<undefined> {
  const problems: string[] = [];
  if (body.timedOut !== undefined && status !== 'finished') problems.push('timedOut: only a finished notification says it timed out');
  if (body.ranSeconds !== undefined && status !== 'started' && status !== 'finished') problems.push('ranSeconds: only started and finished carry a run time');
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: undefined };
}

/** `finished` needs an exit code from the query or the body; when both are given they must agree. */
function reconcileExitCode(query: NotificationQuery, bodyExitCode: number | undefined): Parsed<number | undefined> {
  if (query.status !== 'finished') {
    return bodyExitCode === undefined
      ? { ok: true, value: undefined }
      : { ok: false, problems: ['exitCode: only a finished notification carries an exit code'] };
  }
  if (query.exitCode !== undefined && bodyExitCode !== undefined && query.exitCode !== bodyExitCode) {
    return { ok: false, problems: [`exit (${query.exitCode}) and exitCode (${bodyExitCode}) disagree`] };
  }
  const exitCode = query.exitCode ?? bodyExitCode;
  if (exitCode === undefined) return { ok: false, problems: ['exit: a finished notification needs an exit code'] };
  return { ok: true, value: exitCode };
}

/** The last `maxBytes` of UTF-8, starting on a character boundary. */
export function keepTail(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  let start = bytes.length - maxBytes;
  // Skip continuation bytes (10xxxxxx) so the kept part does not begin mid-character.
  while (start < bytes.length && ((bytes[start] ?? 0) & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString('utf8');
}
