/**
 * Finding a job's message after a first post whose outcome is unknown. `chat.postMessage` has no
 * idempotency key, and a post that timed out or answered `fatal_error` (which Slack documents as
 * "the server could not complete your operation(s) without encountering a catastrophic error") may
 * still have been posted. So every job message carries its job id in Slack's message metadata
 * (`metadata.event_type` / `event_payload`), and before posting again the notifier reads the
 * channel's messages since the uncertain attempt (`conversations.history` with
 * `include_all_metadata`) and adopts the one it finds. Pure: arguments in, arguments out.
 */

/** The metadata event type of a job's live message. */
export const JOB_MESSAGE_EVENT = 'sched_job';

/** Read from this long before the attempt: Slack's clock and ours need not agree. */
const CLOCK_SKEW_MS = 60_000;

/** Most messages read back: the channel's messages since a post a few seconds ago. */
const HISTORY_LIMIT = 200;

/** The `metadata` argument of a job's first post. */
export function jobMessageMetadata(jobId: string): { event_type: string; event_payload: { job_id: string } } {
  return { event_type: JOB_MESSAGE_EVENT, event_payload: { job_id: jobId } };
}

/** `conversations.history` arguments: the channel's messages since the uncertain post (ms since the epoch). */
export function historySince(channel: string, sinceMs: number): Record<string, unknown> {
  return { channel, oldest: ((sinceMs - CLOCK_SKEW_MS) / 1000).toFixed(6), include_all_metadata: true, limit: HISTORY_LIMIT };
}

/** The ts of the job's message in a `conversations.history` answer, if it is there. */
export function jobMessageTs(history: unknown, jobId: string): string | undefined {
  const messages = (history as { messages?: unknown } | undefined)?.messages;
  if (!Array.isArray(messages)) return undefined;
  for (const message of messages as { ts?: unknown; thread_ts?: unknown; metadata?: { event_type?: unknown; event_payload?: { job_id?: unknown } } }[]) {
    if (message.metadata?.event_type !== JOB_MESSAGE_EVENT || message.metadata.event_payload?.job_id !== jobId) continue;
    if (typeof message.ts === 'string' && message.ts.length > 0) return message.ts;
  }
  return undefined;
}
