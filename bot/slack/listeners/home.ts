/** App Home: the user's active and recent jobs and schedules, rendered when they open the tab. */
import type { AllMiddlewareArgs, SlackEventMiddlewareArgs, webApi } from '@slack/bolt';
import { list } from '../../commands/list.js';
import { canUse } from '../../core/access.js';
import { jobView, scheduleView } from '../../core/view/job-view.js';
import { renderHome } from '../render.js';
import type { SlackContext } from './context.js';

export function homeListener(ctx: SlackContext) {
  return async ({ event, client }: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs): Promise<void> => {
    if (event.tab !== 'home') return;
    // The Home tab is in no channel: only the user list applies.
    if (!canUse({ ...ctx.deps.access, allowedChannels: [] }, event.user, undefined).allowed) return;
    await publishHome(ctx, client, event.user);
  };
}

/** Renders the user's tab and publishes it: when they open it, and after a click there changed it. */
export async function publishHome(ctx: SlackContext, client: Pick<webApi.WebClient, 'views'>, userId: string): Promise<void> {
  const outcome = await list({ all: false }, { surface: 'slack', userId }, ctx.deps);
  if (outcome.kind !== 'list') return;
  const now = ctx.deps.clock.now();
  const view = renderHome({ jobs: outcome.jobs.map((job) => jobView(job, now)), schedules: outcome.schedules.map((s) => scheduleView(s, now)) });
  await client.views.publish({ user_id: userId, view });
}
