/** What every Slack listener needs, built once by the Slack surface. */
import type { CommandDeps } from '../../commands/types.js';
import type { UserZones } from '../user-zones.js';

export interface SlackContext {
  deps: CommandDeps;
  defaults: { instanceTypes: string[]; maxRetries: number; maxPrice?: string };
  zones: UserZones;
  /** Who did what, where: one log line per command and button. Never the command's text (it may carry env values). */
  audit(entry: { user: string; channel?: string; command: string; target?: string; outcome: string; id?: string }): void;
}
