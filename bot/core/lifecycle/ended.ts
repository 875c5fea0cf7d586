/** The lifecycle of a job that has ended: it only converges (instance gone, callback delivered). */
import { CallbackState } from '../job.js';
import { LIVE_INSTANCE_STATES, type Observation } from './observation.js';
import { callbackRetryDelaySeconds } from '../callback.js';
import { stableFraction } from '../backoff.js';
import { assertNever } from '../assert-never.js';
import { sendCallback } from './attempts.js';
import { REQUEST_OVER_STATES, type Transition } from './transition.js';

/** Terminal jobs only converge: the instance must go, the callback must be delivered. */
export function decideTerminal(t: Transition, obs: Observation): void {
  const job = t.job;
  switch (obs.kind) {
    case 'tick': {
      const cb = job.callback;
      if (cb?.state === CallbackState.Pending && t.secondsSince(cb.nextAt) >= 0) sendCallback(t);
      if (!job.cleanedUp && !job.instanceId && !job.spotRequestId) t.set({ cleanedUp: true });
      return;
    }
    case 'instance':
      if (obs.instance.instanceId !== job.instanceId && obs.instance.attempt !== job.attempt) return;
      if (LIVE_INSTANCE_STATES.has(obs.instance.state)) {
        t.effect({ kind: 'terminateInstance', instanceId: obs.instance.instanceId });
      } else if (obs.instance.instanceId === job.instanceId) {
        t.set({ cleanedUp: true });
      }
      return;
    case 'spot':
      if (obs.request.requestId !== job.spotRequestId) return;
      if (obs.request.instanceId && obs.request.instanceId !== job.instanceId) {
        // The request launched an instance after the job ended (or we never saw it): it must go.
        t.effect({ kind: 'terminateInstance', instanceId: obs.request.instanceId });
        if (!job.instanceId) t.set({ instanceId: obs.request.instanceId, cleanedUp: false });
        return;
      }
      if (!job.instanceId && REQUEST_OVER_STATES.has(obs.request.state)) {
        t.set({ cleanedUp: true });
      }
      return;
    case 'callbackResult':
      return onCallbackResult(t, obs);
    case 'spotRequested':
      // A launch placed for a job that has ended in the meantime: withdraw it.
      if (obs.requestId !== undefined) t.effect({ kind: 'cancelSpotRequest', requestId: obs.requestId });
      if (obs.instanceId) t.effect({ kind: 'terminateInstance', instanceId: obs.instanceId });
      return;
    case 'spotRequestFailed':
    case 'agent':
    case 'cancel':
    case 'runOnDemand':
      return;
    default:
      return assertNever(obs);
  }
}

function onCallbackResult(t: Transition, obs: Extract<Observation, { kind: 'callbackResult' }>): void {
  const cb = t.job.callback;
  // A result for a try other than the next one is a repeat: it was counted already.
  if (!cb || cb.state !== CallbackState.Pending || obs.tryNumber !== cb.attempts + 1) return;
  const attempts = cb.attempts + 1;
  if (obs.ok) {
    t.set({ callback: { state: CallbackState.Delivered, attempts, lastStatusCode: obs.statusCode } });
    t.event({ kind: 'callback', delivered: true, statusCode: obs.statusCode });
    return;
  }
  const delay = obs.permanent ? undefined : callbackRetryDelaySeconds(attempts);
  if (delay === undefined) {
    t.set({ callback: { state: CallbackState.Failed, attempts, lastStatusCode: obs.statusCode, lastError: obs.error } });
    t.event({ kind: 'callback', delivered: false, attempts, statusCode: obs.statusCode, error: obs.error });
    return;
  }
  // Equal jitter, fixed by the job and the try: the jobs of one receiver that went down together
  // do not all come back to it in the same second, and never later than the table says.
  const jitteredMs = Math.round(delay * 1000 * (0.5 + stableFraction(`${t.job.id}.${attempts}`) / 2));
  const nextAt = new Date(t.now.getTime() + jitteredMs).toISOString();
  t.set({ callback: { state: CallbackState.Pending, attempts, nextAt, lastStatusCode: obs.statusCode, lastError: obs.error } });
}
