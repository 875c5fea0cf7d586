/**
 * Runs the effects `decide` asks for, each idempotent, and turns each outcome into the
 * observation the lifecycle decides on next (a placed request, a refused launch, a callback's
 * answer). Failures of cancel and terminate are only logged: the next pass or the orphan sweep
 * sees the resource again and repeats them.
 */
import type { Logger } from 'pino';
import { renderAgentScript } from '../core/agent-script.js';
import { agentSpecOf, renderAgentSpec } from '../core/agent-spec.js';
import { buildCallbackPayload } from '../core/callback.js';
import { coerceError, ValidationError } from '../core/errors.js';
import type { Job } from '../core/job.js';
import type { Effect, LaunchPool, Observation } from '../core/lifecycle/observation.js';
import { notificationToken } from '../security/hmac.js';
import type { CallbackOutcome, CallbackSender, Fleet } from '../ports.js';
import type { EngineMetrics } from './metrics.js';
import { assertNever } from '../core/assert-never.js';

export interface EffectRunnerDeps {
  fleet: Fleet;
  callbacks: CallbackSender;
  logger: Logger;
  metrics: EngineMetrics;
  /** HMAC secret: instance notification tokens. */
  secret: string;
  /** Base URL instances use to reach the notification endpoint. */
  publicUrl: string;
}

/** Every effect but `notify`, which the driver gathers and sends once per change. */
export type ActionEffect = Exclude<Effect, { kind: 'notify' }>;

export class EffectRunner {
  constructor(private readonly deps: EffectRunnerDeps) {}

  /** Runs one effect; returns what its outcome means for the job, if anything. */
  async run(job: Job, effect: ActionEffect): Promise<Observation | undefined> {
    const { fleet, logger } = this.deps;
    switch (effect.kind) {
      case 'launch':
        return this.launch(job, effect);
      case 'cancelSpotRequest':
        await fleet.cancelRequest(effect.requestId).catch((err) => logger.warn({ err, jobId: job.id }, 'cancelling a spot request failed; the sweep retries'));
        return undefined;
      case 'terminateInstance':
        await fleet.terminateInstance(effect.instanceId).catch((err) => logger.warn({ err, jobId: job.id }, 'terminating an instance failed; the next pass retries'));
        return undefined;
      case 'sendCallback':
        return this.sendCallback(job, effect);
      default:
        return assertNever(effect, 'effect');
    }
  }

  private async launch(job: Job, effect: Extract<Effect, { kind: 'launch' }>): Promise<Observation> {
    try {
      // The agent fetches the job itself (GET /v1/agent/<job-id>): checked here so a job it could
      // not run fails now, for good, rather than on the instance.
      renderAgentSpec(agentSpecOf(job));
      const userData = renderAgentScript({
        jobId: job.id,
        attempt: effect.attempt,
        notifyBaseUrl: this.deps.publicUrl,
        token: notificationToken(this.deps.secret, job.id, effect.attempt),
      });
      const placed = await this.deps.fleet.launch({
        jobId: job.id,
        attempt: effect.attempt,
        market: effect.market,
        pools: effect.pools,
        ...(effect.avoid && { avoid: effect.avoid }),
        maxPrice: job.spec.maxPrice,
        userData,
        clientToken: effect.clientToken,
        ...(job.spec.gpus !== undefined && { gpus: job.spec.gpus }),
      });
      this.deps.metrics.spotRequests++;
      return {
        kind: 'spotRequested',
        attempt: effect.attempt,
        ...(placed.requestId !== undefined && { requestId: placed.requestId }),
        ...(placed.instanceId !== undefined && { instanceId: placed.instanceId }),
        pool: placed.pool,
        ...(placed.pricePerHour !== undefined && { pricePerHour: placed.pricePerHour }),
        ...(placed.onDemandPricePerHour !== undefined && { onDemandPricePerHour: placed.onDemandPricePerHour }),
        ...(placed.refused.length > 0 && { refused: placed.refused }),
      };
    } catch (thrown) {
      const err = coerceError(thrown) as Error & { code?: string; permanent?: boolean; capacity?: boolean; refused?: LaunchPool[] };
      this.deps.logger.warn({ err, jobId: job.id, attempt: effect.attempt }, 'launch failed');
      const permanent = err instanceof ValidationError || err.permanent === true;
      return {
        kind: 'spotRequestFailed',
        attempt: effect.attempt,
        code: err.code ?? err.name,
        message: err.message,
        permanent,
        capacity: err.capacity === true,
        ...(err.refused?.length && { refused: err.refused }),
      };
    }
  }

  private async sendCallback(job: Job, effect: Extract<Effect, { kind: 'sendCallback' }>): Promise<Observation> {
    const outcome: CallbackOutcome = await this.deps.callbacks
      .send(effect.url, buildCallbackPayload(job), effect.idempotencyKey)
      .catch((err: unknown) => ({ ok: false, error: coerceError(err).message, permanent: false }));
    this.deps.metrics.callbacks(outcome.ok);
    return outcome.ok
      ? { kind: 'callbackResult', tryNumber: effect.tryNumber, ok: true, statusCode: outcome.statusCode, permanent: false }
      : { kind: 'callbackResult', tryNumber: effect.tryNumber, ok: false, statusCode: outcome.statusCode, error: outcome.error, permanent: outcome.permanent };
  }
}
