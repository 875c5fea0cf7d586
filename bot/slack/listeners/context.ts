/** What every Slack listener needs, built once by the Slack surface. */
import type { CommandDeps } from '../../commands/types.js';
import type { JobDefaults } from '../../core/request/job-request.js';
import type { UserZones } from '../user-zones.js';

export interface SlackContext {
  deps: CommandDeps;
  defaults: JobDefaults;
  zones: UserZones;
  /**
   * Keeps the reply channel of the command that created a job for a while (Slack's response_url
   * lives 30 minutes), so a job whose channel refuses the bot can still be explained to its owner.
   */
  rememberResponder(jobId: string, respond: (message: { text: string; response_type: 'ephemeral' }) => Promise<unknown>): void;
  /** Who did what, where: one log line per command and button. Never the command's text (it may carry env values). */
  audit(entry: { user: string; channel?: string; command: string; target?: string; outcome: string; id?: string }): void;
  /** Logs a command that failed after its ack (the person is told that it did, not how). Default: nowhere. */
  logFailure?(err: unknown, what: string): void;
  /** How long a command's work may take before it is answered as failed; default 10 s (`COMMAND_DEADLINE_MS`). */
  commandDeadlineMs?: number;
}
