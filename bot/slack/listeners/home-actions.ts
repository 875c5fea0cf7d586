/**
 * A button pressed on the App Home tab (or in a modal). Slack sends such a click with
 * `container.type: "view"`, a `trigger_id`, and no `response_url` and no channel: there is no
 * ephemeral reply to give (Bolt passes no `respond`). So the answer is a modal (`views.open` with
 * the trigger, which Slack honours for 3 seconds), and after a Cancel the tab itself, published
 * again with the job in its new state.
 *
 * The click comes from no channel, so the job's own channel stands in for it: that is the channel
 * `SCHED_ALLOWED_CHANNELS` is checked against, and where a retried job posts its live message.
 * It grants no sight of the job, though: Logs from Home is for the job's owner or an admin, as a
 * click names any job id it likes.
 */
import type { RespondFn, webApi } from '@slack/bolt';
import { confirmJob } from '../../commands/confirm.js';
import { policyFor } from '../../commands/policy.js';
import { runOnDemand } from '../../commands/on-demand.js';
import type { Actor, CommandOutcome } from '../../commands/types.js';
import { canUse } from '../../core/access.js';
import { fallback, section, toneEmoji } from '../blocks.js';
import { fitMrkdwn, renderNotice, type SlackMessage } from '../render.js';
import { renderOutcome } from '../reply.js';
import type { SlackContext } from './context.js';
import { afterAckOptions, answerAfterAck } from './execute.js';
import { executeCommand } from '../../commands/execute.js';
import { publishHome } from './home.js';

export interface HomeClick {
  kind: 'cancel' | 'retry' | 'logs' | 'on-demand';
  target: string;
  userId: string;
  triggerId: string;
}

type Client = Pick<webApi.WebClient, 'views'>;

/** Slack's conversation ids: only these are written into a `<#…>` mention. */
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,30}$/;

/** Most blocks a modal holds (Block Kit: 100). */
const MODAL_BLOCKS = 100;

export async function answerHomeClick(ctx: SlackContext, client: Client, click: HomeClick): Promise<void> {
  const { kind, target, userId } = click;
  const openModal = (message: Parameters<RespondFn>[0]) => client.views.open({ trigger_id: click.triggerId, view: modalOf(typeof message === 'string' ? renderNotice(message) : (message as Partial<SlackMessage>)) });
  // A trigger lives 3 seconds: a failure told later goes on the tab itself, until it is opened again.
  const onTheTab = (message: Parameters<RespondFn>[0]) => client.views.publish({ user_id: userId, view: { type: 'home', blocks: modalOf(message as Partial<SlackMessage>).blocks } });
  await answerAfterAck(afterAckOptions(ctx, openModal, onTheTab), async ({ deps: tracked, answer, name }) => {
    name(`${kind} ${target.slice(0, 60)}`);
    const channel = await channelOf(tracked, target);
    const access = canUse(policyFor({ surface: 'slack', userId }, tracked.access), userId, channel);
    if (!access.allowed) {
      ctx.audit({ user: userId, command: `home:${kind}`, target, outcome: 'denied' });
      await answer(renderNotice(access.reason, 'failure'));
      return;
    }
    // The channel list was applied to the job's channel just above; the use case must not apply it
    // again to the click's (absent) one.
    const deps = { ...tracked, access: { ...tracked.access, allowedChannels: [] } };
    const actor: Actor = { surface: 'slack', userId, ...(kind === 'retry' && channel !== undefined && { channelId: channel }) };
    const outcome = kind === 'on-demand' ? await runOnDemand({ target }, actor, deps) : await executeCommand({ kind, target }, actor, deps);
    ctx.audit({ user: userId, channel, command: `home:${kind}`, target, outcome: outcome.kind, ...(outcome.kind === 'job-created' && { id: outcome.job.id }) });
    // A cancelled job is seen cancelled on the tab itself; anything else is told in a modal.
    if (outcome.kind !== 'job-cancelled' && outcome.kind !== 'schedule-cancelled') await answer(homeAnswer(outcome, ctx.deps.clock.now()));
    if (changesTheTab(outcome)) await publishHome({ ...ctx, deps: tracked }, client, userId);
  });
}

/** The channel a job or schedule lives in: its live message's, if it was started from Slack. */
async function channelOf(deps: SlackContext['deps'], target: string): Promise<string | undefined> {
  const subject = target.startsWith('s-') ? await deps.schedules.getSchedule(target) : await deps.jobs.getJob(target);
  return subject?.origin?.surface === 'slack' ? subject.origin.channel : undefined;
}

function changesTheTab(outcome: CommandOutcome): boolean {
  return outcome.kind === 'job-cancelled' || outcome.kind === 'schedule-cancelled' || outcome.kind === 'job-created' || outcome.kind === 'job-on-demand';
}

/** The outcome in a modal's words: a retried job says where its updates go. */
export function homeAnswer(outcome: CommandOutcome, now: Date): SlackMessage {
  if (outcome.kind !== 'job-created') return renderOutcome(outcome, { now });
  const channel = outcome.job.origin?.surface === 'slack' ? outcome.job.origin.channel : undefined;
  const confirm = confirmJob(outcome.job, undefined, now);
  if (channel && CHANNEL_ID.test(channel)) {
    // A channel mention is the one piece of mrkdwn meant as such: Slack shows the channel's name.
    const where = `Its updates follow in <#${channel}>, where the job it retries lived.`;
    return { text: fallback(`${confirm} Its updates follow in the channel where the job it retries lived.`), blocks: [section(`${toneEmoji('success')} ${fitMrkdwn(confirm, 2500)} ${where}`)] };
  }
  const nowhere = `The job it retries was not started in a Slack channel, so its updates are posted nowhere: follow it with \`/sched status ${outcome.job.id}\`.`;
  return renderNotice(`${confirm} ${nowhere}`, 'success');
}

/** A message as a modal with only a Close button: Sched's answer to a click on a view. */
export function modalOf(message: Partial<SlackMessage>) {
  return {
    type: 'modal' as const,
    title: { type: 'plain_text' as const, text: 'Sched' },
    close: { type: 'plain_text' as const, text: 'Close' },
    blocks: message.blocks && message.blocks.length > 0 ? message.blocks.slice(0, MODAL_BLOCKS) : renderNotice(message.text ?? '').blocks,
  };
}
