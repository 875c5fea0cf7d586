/**
 * What the instance agent runs, as the bot hands it over: `GET /v1/agent/<job-id>?attempt=<n>`
 * (docs/rest-api.md, "The agent's job"). The user data carries only the job id, the attempt, the
 * bot's URL and the attempt's token, so EC2 read access reveals no image, argv or env value; the
 * agent fetches them with the token.
 *
 * The answer is JSON in one fixed shape, every string base64 of its UTF-8:
 * `{"image":"…","argv":["…",…],"env":["<base64 of K=V>",…],"gpus":"all"|"<n>"|"","timeoutSeconds":<n>|0}`.
 * The agent is bash without jq: it checks the whole body against one pattern of base64 strings
 * (bot/core/agent-script.ts, `fetch_job`), so a value can never become shell code, and a field
 * added here must be added there in the same place.
 */
import { agentSpecProblems, type AgentSpec } from './agent-script.js';
import { ValidationError } from './errors.js';
import { isTerminal, type Job } from './job.js';

/** What the endpoint answers for a job and attempt whose token was already checked. */
export type AgentJobAnswer =
  | { kind: 'job'; body: string }
  | { kind: 'not_found' }
  /** Neither the job's current attempt nor the one draining after AWS's notice (409). */
  | { kind: 'stale_attempt' }
  /** The job ended (cancelled, or finished by another attempt): nothing more runs for it (410). */
  | { kind: 'ended'; status: Job['status'] };

export function agentSpecOf(job: Job): AgentSpec {
  const { image, command, env, timeoutSeconds, gpus } = job.spec;
  return { image, command, env, ...(timeoutSeconds !== undefined && { timeoutSeconds }), ...(gpus !== undefined && { gpus }) };
}

/** The answer body; throws `ValidationError` for a spec the agent could not run (checked at creation too). */
export function renderAgentSpec(spec: AgentSpec): string {
  const problems = agentSpecProblems(spec);
  if (problems.length > 0) throw new ValidationError(problems);
  // Key order is the agent's pattern's; JSON.stringify keeps insertion order.
  return JSON.stringify({
    image: base64(spec.image),
    argv: spec.command.map(base64),
    env: Object.entries(spec.env).map(([key, value]) => base64(`${key}=${value}`)),
    gpus: spec.gpus === undefined ? '' : String(spec.gpus),
    timeoutSeconds: spec.timeoutSeconds ?? 0,
  });
}

/** The job to hand to `attempt`, or why not. Pure: the caller has read the job. */
export function answerAgentJob(job: Job | undefined, attempt: number): AgentJobAnswer {
  if (!job) return { kind: 'not_found' };
  if (attempt !== job.attempt && attempt !== job.draining?.attempt) return { kind: 'stale_attempt' };
  if (isTerminal(job.status)) return { kind: 'ended', status: job.status };
  return { kind: 'job', body: renderAgentSpec(agentSpecOf(job)) };
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
