/** Dispatches a parsed command to its use case; every refusal is an outcome, never a throw. */
import { canUse } from '../core/access.js';
import type { Command } from '../core/parsing/grammar.js';
import { NotFoundError, ValidationError } from '../core/errors.js';
import { cancel } from './cancel.js';
import { list } from './list.js';
import { retry } from './retry.js';
import { run } from './run.js';
import { logs, status } from './status.js';
import type { Actor, CommandDeps, CommandOutcome } from './types.js';
import { assertNever } from '../core/assert-never.js';

export async function executeCommand(command: Command, actor: Actor, deps: CommandDeps): Promise<CommandOutcome> {
  if (command.kind === 'help') return { kind: 'help', topic: command.topic };
  const access = canUse(deps.access, actor.userId, actor.channelId);
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
    // Domain refusals become answers; anything else is a bug and goes to the caller's error path.
    if (err instanceof ValidationError) return { kind: 'invalid', error: err.problems.join('; '), usage: '' };
    if (err instanceof NotFoundError) return { kind: 'invalid', error: err.message, usage: '' };
    throw err;
  }
}
