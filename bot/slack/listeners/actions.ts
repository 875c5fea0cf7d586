/** The Cancel / Retry / Logs buttons on a job message: the same use cases as the commands. */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Command } from '../../core/parsing/grammar.js';
import { ACTION_IDS } from '../render.js';
import { renderOutcome } from '../reply.js';
import type { SlackContext } from './context.js';
import { executeOrExplain } from './execute.js';

const COMMAND_OF: Record<string, 'cancel' | 'retry' | 'logs'> = {
  [ACTION_IDS.cancel]: 'cancel',
  [ACTION_IDS.retry]: 'retry',
  [ACTION_IDS.logs]: 'logs',
};

export const BUTTON_ACTION_IDS = Object.keys(COMMAND_OF);

export function buttonListener(ctx: SlackContext) {
  return async ({ ack, body, action, respond }: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const kind = COMMAND_OF[action.action_id];
    const target = action.value ?? '';
    if (!kind || !target) return;
    const command: Command = { kind, target };
    const actor = { surface: 'slack' as const, userId: body.user.id, channelId: body.channel?.id };
    const outcome = await executeOrExplain(command, actor, ctx.deps, respond);
    ctx.audit({ user: body.user.id, channel: body.channel?.id, command: `button:${kind}`, target, outcome: outcome.kind });
    if (outcome.kind === 'job-created') ctx.rememberResponder(outcome.job.id, respond);
    const message = renderOutcome(outcome, { now: ctx.deps.clock.now() });
    await respond({ response_type: 'ephemeral', replace_original: false, ...message } as Parameters<typeof respond>[0]);
  };
}
