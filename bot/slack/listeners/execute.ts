/**
 * Runs a use case for a listener. A failure that is not the user's (a store that does not answer,
 * a bug) is still answered, ephemerally and in the terminal's words, before it goes on to Bolt's
 * error handler, which logs it: a command is never left without a reply.
 */
import type { RespondFn } from '@slack/bolt';
import { executeCommand } from '../../commands/execute.js';
import type { Actor, CommandDeps, CommandOutcome } from '../../commands/types.js';
import type { Command } from '../../core/parsing/grammar.js';
import { renderFailure } from '../reply.js';

/** Where the failure is told: Bolt's `respond`, or a modal for a click that has none. */
type Answer = (message: Parameters<RespondFn>[0]) => Promise<unknown>;

export function executeOrExplain(command: Command, actor: Actor, deps: CommandDeps, respond: Answer): Promise<CommandOutcome> {
  return answerOrExplain(() => executeCommand(command, actor, deps), respond);
}

/** The same, for a use case that is not a parsed command (the "Run on-demand" button). */
export async function answerOrExplain(useCase: () => Promise<CommandOutcome>, respond: Answer): Promise<CommandOutcome> {
  try {
    return await useCase();
  } catch (err) {
    await respond({ response_type: 'ephemeral', replace_original: false, ...renderFailure(err) } as Parameters<RespondFn>[0]).catch(() => undefined);
    throw err;
  }
}
