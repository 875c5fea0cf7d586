/**
 * `/sched`: acknowledge at once (Slack's 3-second deadline), then parse, run the use case and
 * answer with an ephemeral reply, a failure too (`answerAfterAck`). The job's own message is posted
 * by the notifier.
 */
import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { executeCommand } from '../../commands/execute.js';
import { parseCommand, type Command } from '../../core/parsing/grammar.js';
import { unescapeSlackText } from '../render.js';
import { renderOutcome, withNote } from '../reply.js';
import type { SlackContext } from './context.js';
import { afterAckOptions, answerAfterAck } from './execute.js';

export function slashCommandListener(ctx: SlackContext) {
  return async ({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    await answerAfterAck(afterAckOptions(ctx, respond), async ({ deps, answer, name }) => {
      const now = deps.clock.now();
      const { zone, unknown: zoneUnknown } = await ctx.zones.lookup(command.user_id);
      // Slack escapes &, <, > and sends links as <url|label>: the grammar wants what the user typed.
      const parsed = parseCommand(unescapeSlackText(command.text ?? ''), { now, userTimezone: zone, defaults: ctx.defaults });
      if (parsed.ok) name(labelOf(parsed.command));
      const actor = { surface: 'slack' as const, userId: command.user_id, channelId: command.channel_id };
      const outcome = parsed.ok ? await executeCommand(parsed.command, actor, deps) : ({ kind: 'invalid', error: parsed.error, usage: parsed.usage } as const);
      ctx.audit({ user: command.user_id, channel: command.channel_id, command: parsed.ok ? parsed.command.kind : 'unparsed', target: parsed.ok && 'target' in parsed.command ? parsed.command.target : undefined, outcome: outcome.kind, id: idOf(outcome) });
      const when = parsed.ok && parsed.command.kind === 'run' ? parsed.command.when : undefined;
      const rendered = renderOutcome(outcome, { now, when, help: ctx.defaults });
      // A time read without the user's zone is UTC: say so rather than let it pass for theirs.
      const message = zoneUnknown && when && when.kind !== 'now' && when.timezone === 'UTC' && !/--tz\b/.test(command.text ?? '') ? withNote(rendered, ZONE_UNKNOWN_NOTE) : rendered;
      if (outcome.kind === 'job-created') ctx.rememberResponder(outcome.job.id, respond);
      await answer({ response_type: 'ephemeral', replace_original: false, ...message } as Parameters<typeof respond>[0]);
    });
  };
}

/** A command as a failure names it: its kind and target, never its spec (env values). */
export function labelOf(command: Command): string {
  const target = 'target' in command && typeof command.target === 'string' ? ` ${command.target.slice(0, 60)}` : '';
  return `${command.kind}${target}`;
}

export const ZONE_UNKNOWN_NOTE = 'Slack did not tell me your time zone in time, so times here are UTC. Add `--tz ZONE` (for example `--tz Europe/Paris`) to choose one.';

function idOf(outcome: { kind: string; job?: { id: string }; schedule?: { id: string } }): string | undefined {
  return outcome.job?.id ?? outcome.schedule?.id;
}
