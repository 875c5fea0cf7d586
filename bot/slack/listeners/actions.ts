/**
 * The Cancel / Retry / Logs buttons on a job message: the same use cases as the commands; and
 * "Run on-demand", while the job waits on spot capacity (a button only).
 */
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { ACTION_IDS } from '../render.js';
import { renderOutcome } from '../reply.js';
import type { SlackContext } from './context.js';
import { runOnDemand } from '../../commands/on-demand.js';
import { afterAckOptions, answerAfterAck } from './execute.js';
import { executeCommand } from '../../commands/execute.js';
import { answerHomeClick } from './home-actions.js';

const COMMAND_OF: Record<string, 'cancel' | 'retry' | 'logs'> = {
  [ACTION_IDS.cancel]: 'cancel',
  [ACTION_IDS.retry]: 'retry',
  [ACTION_IDS.logs]: 'logs',
};

export const BUTTON_ACTION_IDS = [...Object.keys(COMMAND_OF), ACTION_IDS['on-demand']];

export function buttonListener(ctx: SlackContext) {
  return async ({ ack, body, action, respond, client }: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs): Promise<void> => {
    await ack();
    const kind = COMMAND_OF[action.action_id];
    const onDemand = action.action_id === ACTION_IDS['on-demand'];
    const target = action.value ?? '';
    if ((!kind && !onDemand) || !target) return;
    // App Home (or a modal): no channel, no response_url, so no `respond`; answered in a modal.
    if (body.container?.type === 'view' || !respond) {
      await answerHomeClick(ctx, client, { kind: kind ?? 'on-demand', target, userId: body.user.id, triggerId: body.trigger_id });
      return;
    }
    await answerAfterAck(afterAckOptions(ctx, respond), async ({ deps, answer, name }) => {
      name(`${kind ?? 'on-demand'} ${target.slice(0, 60)}`);
      const actor = { surface: 'slack' as const, userId: body.user.id, channelId: body.channel?.id };
      const outcome = kind ? await executeCommand({ kind, target }, actor, deps) : await runOnDemand({ target }, actor, deps);
      ctx.audit({ user: body.user.id, channel: body.channel?.id, command: `button:${kind ?? 'on-demand'}`, target, outcome: outcome.kind });
      if (outcome.kind === 'job-created') ctx.rememberResponder(outcome.job.id, respond);
      const message = renderOutcome(outcome, { now: deps.clock.now() });
      await answer({ response_type: 'ephemeral', replace_original: false, ...message } as Parameters<typeof respond>[0]);
    });
  };
}
