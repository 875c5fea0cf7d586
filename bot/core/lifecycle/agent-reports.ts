/**
 * What the instance agent says about the current attempt: the container `started` or `finished`,
 * AWS's two-minute notice (`interrupting`) and its rebalance recommendation. Reports of a replaced
 * attempt still at work go to draining.ts. Part of `decide` (lifecycle.ts).
 */
import { JobStatus } from '../job.js';
import { isLegacyEvent } from '../job-event.js';
import { assertNever } from '../assert-never.js';
import type { Observation } from './observation.js';
import { finish, interrupt, releaseDraining } from './attempts.js';
import { onDrainingAgent, replaceEarly } from './draining.js';
import type { Transition } from './transition.js';

export function onAgent(t: Transition, obs: Extract<Observation, { kind: 'agent' }>): void {
  const job = t.job;
  if (job.draining && obs.attempt === job.draining.attempt) return onDrainingAgent(t, obs);
  if (obs.attempt !== job.attempt || job.status === JobStatus.Scheduled) return;
  switch (obs.status) {
    case 'started':
      if (job.status === JobStatus.Running) return;
      if (job.status === JobStatus.Requested) t.set({ launchedAt: t.nowIso });
      // The agent's own clock: a report delayed (the bot was down) does not count the delay.
      t.set({ status: JobStatus.Running, startedAt: agentStartIso(t, obs.ranSeconds) });
      t.event({ kind: 'started', attempt: job.attempt });
      releaseDraining(t, 'replacement-started');
      return;
    case 'interrupting':
      if (replaceEarly(t, 'notice')) return;
      if (!job.interruptionNoticeAt) {
        t.set({ interruptionNoticeAt: t.nowIso });
        t.event({ kind: 'interruption-notice', source: 'agent' });
      }
      return;
    case 'rebalance':
      if (job.spec.onRebalance === 'replace' && replaceEarly(t, 'rebalance')) return;
      // An early warning for the thread, once per attempt; nothing else changes.
      if (!job.events.some((e) => !isLegacyEvent(e) && e.kind === 'rebalance-recommended' && e.attempt === job.attempt)) {
        t.event({ kind: 'rebalance-recommended', attempt: job.attempt });
      }
      return;
    case 'finished': {
      const exitCode = obs.exitCode ?? 255;
      // --retry-exit: a transient exit code is an interruption of its own, within the same retries.
      if (exitCode !== 0 && job.spec.retryExitCodes?.includes(exitCode) && job.interruptions < job.spec.interruptionsTolerated) {
        t.set({ logTail: obs.logTail });
        interrupt(t, { cause: 'retry-exit', exitCode });
        return;
      }
      t.set({ exitCode, logTail: obs.logTail });
      // The run time is the container's as the agent measured it, not the time until this report.
      if (obs.ranSeconds !== undefined) t.set({ startedAt: agentStartIso(t, obs.ranSeconds) });
      else if (!job.startedAt) t.set({ startedAt: t.nowIso });
      if (obs.timedOut) finish(t, JobStatus.Failed, { reason: 'timeout', seconds: job.spec.timeoutSeconds ?? obs.ranSeconds ?? 0 });
      else if (exitCode === 0) finish(t, JobStatus.Succeeded);
      else finish(t, JobStatus.Failed, { reason: 'exit-code', exitCode });
      return;
    }
    default:
      return assertNever(obs.status);
  }
}


/** When the agent started the job, by its own count of seconds since: now less `ranSeconds`. */
function agentStartIso(t: Transition, ranSeconds: number | undefined): string {
  return new Date(t.now.getTime() - Math.max(0, ranSeconds ?? 0) * 1000).toISOString();
}
