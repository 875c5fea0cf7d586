/**
 * The one error path of the HTTP surface. Every 4xx/5xx body has the same shape,
 * `{ error: { code, message, problems? } }`, whether it comes from a route, from a domain error
 * thrown by the job service, or from fastify itself (malformed JSON, a body too large).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, NotFoundError, SchedError, ValidationError, coerceError } from '../core/errors.js';

export interface ErrorBody {
  error: { code: string; message: string; problems?: string[] };
}

export function sendError(
  reply: FastifyReply,
  statusCode: number,
  code: string,
  message: string,
  problems?: string[],
): FastifyReply {
  const body: ErrorBody = { error: { code, message } };
  if (problems !== undefined && problems.length > 0) body.error.problems = problems;
  return reply.code(statusCode).type('application/json; charset=utf-8').send(body);
}

/** fastify's own client errors, by status, in words that do not depend on its wording. */
const FRAMEWORK_CLIENT_ERRORS: Record<number, { code: string; message: string }> = {
  400: { code: 'bad_request', message: 'the request is malformed' },
  413: { code: 'payload_too_large', message: 'the request body is too large' },
  415: { code: 'unsupported_media_type', message: 'send the body as application/json' },
};

/**
 * Maps anything a handler or fastify throws to an answer. Domain errors keep their message (they
 * are written for users); anything unexpected is logged in full and answered generically, so
 * internals (table names, stack traces) never reach a client.
 */
export function handleHttpError(thrown: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (thrown instanceof ValidationError) return sendError(reply, 400, thrown.code, 'the request is invalid', thrown.problems);
  if (thrown instanceof NotFoundError) return sendError(reply, 404, thrown.code, thrown.message || 'not found');
  if (thrown instanceof ConflictError) {
    return sendError(reply, 409, thrown.code, thrown.message || 'the job changed concurrently; try again');
  }

  const error = coerceError(thrown) as Partial<FastifyError> & Error;
  const status = error.statusCode;
  if (!(error instanceof SchedError) && status !== undefined && status >= 400 && status < 500) {
    request.log.info({ code: error.code, statusCode: status }, 'client error');
    if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      // fastify's JSON parser also refuses "__proto__" and "constructor.prototype" keys this way.
      return sendError(reply, 400, 'bad_json', 'the request body is not valid JSON (or uses a forbidden key such as __proto__)');
    }
    if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      return sendError(reply, 400, 'bad_json', 'the body is empty but the content type says JSON');
    }
    const known = FRAMEWORK_CLIENT_ERRORS[status];
    return sendError(reply, status, known?.code ?? 'bad_request', known?.message ?? 'the request cannot be served');
  }

  request.log.error({ err: error }, 'request failed');
  return sendError(reply, 500, 'internal', 'internal error; the details are in the server log');
}

/**
 * The answer for a request no route takes: 405 with `Allow` when the path exists under other
 * methods (`allowed` lists them), else 404.
 */
export function handleUnknownRoute(request: FastifyRequest, reply: FastifyReply, allowed: readonly string[] = []): FastifyReply {
  const path = request.url.split('?')[0] ?? '';
  if (allowed.length > 0) {
    void reply.header('allow', allowed.join(', '));
    return sendError(reply, 405, 'method_not_allowed', `${request.method} is not allowed on ${path}; use ${allowed.join(', ')}`);
  }
  return sendError(reply, 404, 'no_route', `no route ${request.method} ${path}`);
}

/**
 * The routes an app serves, collected as they are added, so an unknown method on a known path
 * can be told from an unknown path. Patterns are fastify's (`/v1/jobs/:id`).
 */
export class RouteTable {
  private readonly routes: { pattern: RegExp; method: string }[] = [];

  add(url: string, methods: string | string[]): void {
    const pattern = new RegExp(`^${url.split('/').map((part) => (part.startsWith(':') ? '[^/]+' : escapeRegExp(part))).join('/')}$`);
    for (const method of [methods].flat()) this.routes.push({ pattern, method });
  }

  /** The methods served on this path, in the order they were added. */
  methodsFor(path: string): string[] {
    return [...new Set(this.routes.filter((route) => route.pattern.test(path)).map((route) => route.method))];
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
