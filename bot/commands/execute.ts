/**
 * Dispatches a parsed command to its use case; every refusal is an outcome, never a throw. The
 * domain errors a use case throws are mapped here, once, so every surface says the same thing.
 */
import { canUse } from '../core/access.js';
import type { Command } from '../core/parsing/grammar.js';
import { ConflictError, NotFoundError, ValidationError, coerceError } from '../core/errors.js';
import { cancel } from './cancel.js';
import { list } from './list.js';
import { retry } from './retry.js';
import { run } from './run.js';
import { logs, status } from './status.js';
import { policyFor } from './policy.js';
import type { Actor, CommandDeps, CommandOutcome } from './types.js';
import { assertNever } from '../core/assert-never.js';

export async function executeCommand(command: Command, actor: Actor, deps: CommandDeps): Promise<CommandOutcome> {
  if (command.kind === 'help') return { kind: 'help', topic: command.topic };
  const access = canUse(policyFor(actor, deps.access), actor.userId, actor.channelId);
  if (!access.allowed) return { kind: 'denied', reason: access.reason };
  try {
    switch (command.kind) {
      case 'run':
        return await run(command, actor, deps);
      case 'list':
        return await list(command, actor, deps);
      case 'status':
        return await status(command, actor, deps);
      case 'logs':
        return await logs(command, actor, deps);
      case 'cancel':
        return await cancel(command, actor, deps);
      case 'retry':
        return await retry(command, actor, deps);
      default:
        return assertNever(command, 'command');
    }
  } catch (err) {
    const refusal = outcomeOfError(err, command);
    if (refusal) return refusal;
    throw err;
  }
}

/**
 * A domain error as the answer to the command that met it; `undefined` for anything else (a bug,
 * a store that does not answer), which goes to the surface's error path and `failureText`.
 */
export function outcomeOfError(thrown: unknown, command: Command): CommandOutcome | undefined {
  if (thrown instanceof ValidationError) return { kind: 'invalid', error: thrown.problems.join('; '), usage: '' };
  if (thrown instanceof NotFoundError) return { kind: 'invalid', error: thrown.message, usage: '' };
  if (thrown instanceof ConflictError) {
    // The stored message speaks of versions; the person asked about a job or a schedule.
    const what = 'target' in command ? `${command.target} changed` : 'another change came first';
    return { kind: 'conflict', reason: `${what} while Sched was answering, so nothing was done; try again` };
  }
  return undefined;
}

/** What every chat surface says when a command fails for a reason that is not the user's. */
export function failureText(thrown: unknown, audience: 'operator' | 'member'): string {
  // Only the operator (the terminal) sees the message: it can name tables, hosts and addresses.
  if (audience === 'member') return 'Sched could not do that: something failed inside Sched (its log says what); try again in a moment';
  return `Sched could not do that: ${coerceError(thrown).message}`;
}
