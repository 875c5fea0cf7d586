/**
 * "Run on-demand" on a job's Slack message: shown while the job waits on spot capacity, pressed
 * through the same button listener Bolt calls (built arguments, an in-memory engine), and refused
 * for someone who is neither the job's owner nor an admin.
 */
import { describe, expect, test } from 'vitest';
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { JobStatus, type Job } from '../../bot/core/job.js';
import { jobView } from '../../bot/core/view/job-view.js';
import { LaunchError } from '../../bot/ports.js';
import { buttonListener, BUTTON_ACTION_IDS } from '../../bot/slack/listeners/actions.js';
import type { SlackContext } from '../../bot/slack/listeners/context.js';
import { renderJobMessage, type SlackMessage } from '../../bot/slack/render.js';
import type { UserZones } from '../../bot/slack/user-zones.js';
import { FakeClock } from '../harness/clock.js';
import { makeJob } from '../harness/jobs.js';
import { memoryReplica } from '../harness/memory-engine.js';

const NOW = new Date('2026-01-15T10:05:00.000Z');
const ALICE = 'UALICE';
const BOB = 'UBOB';
const ADMIN = 'UADMIN';

function buttonsOf(message: SlackMessage): { action_id: string; value?: string; text: { text: string } }[] {
  return (message.blocks ?? []).flatMap((block) => (block.type === 'actions' ? (block.elements as unknown as { action_id: string; value?: string; text: { text: string } }[]) : []));
}

const waiting = (over: Partial<Job> = {}) =>
  makeJob({ status: JobStatus.Requested, attempt: 1, market: 'spot', requestedAt: NOW.toISOString(), capacityRefusedSince: NOW.toISOString(), ...over });

describe('the "Run on-demand" button', () => {
  test('is on the message while the job waits on spot capacity, and only then', () => {
    const shown = buttonsOf(renderJobMessage(jobView(waiting(), NOW)));
    expect(shown.map((b) => [b.action_id, b.text.text])).toContainEqual(['job_run_on_demand', 'Run on-demand']);
    const held = waiting({ capacityRefusedSince: undefined, spotRequestId: 'sir-1', spotState: 'open', spotStatusCode: 'capacity-not-available' });
    expect(buttonsOf(renderJobMessage(jobView(held, NOW))).map((b) => b.action_id)).toContain('job_run_on_demand');

    for (const job of [
      waiting({ market: 'on-demand', capacityRefusedSince: undefined }),
      waiting({ capacityRefusedSince: undefined }),
      waiting({ status: JobStatus.Running, instanceId: 'i-1', capacityRefusedSince: undefined }),
      waiting({ compute: 'local' }),
      makeJob({ status: JobStatus.Failed, attempt: 1 }),
    ]) {
      expect(buttonsOf(renderJobMessage(jobView(job, NOW))).map((b) => b.action_id)).not.toContain('job_run_on_demand');
    }
    expect(BUTTON_ACTION_IDS).toContain('job_run_on_demand');
  });

  test('pressed by the owner: the attempt launches on-demand now and the button is gone; a stranger is refused', async () => {
    const clock = new FakeClock(NOW);
    const { engine, scheduler, fleet } = memoryReplica({ clock });
    fleet.failNextRequest = new LaunchError('InsufficientInstanceCapacity', 'no spot capacity in t3.micro/memory-1a', false, { capacity: true, refused: [{ instanceType: 't3.micro', zone: 'memory-1a' }] });
    const created = await engine.createJob({
      spec: { image: 'alpine', command: [], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 3 },
      runAt: NOW.toISOString(),
      owner: { kind: 'slack', id: ALICE },
      origin: { surface: 'slack', channel: 'CJOBS' },
    });
    expect(created.capacityRefusedSince).toBeDefined();
    expect(buttonsOf(renderJobMessage(jobView(created, NOW))).map((b) => b.action_id)).toContain('job_run_on_demand');

    const audit: string[] = [];
    const ctx: SlackContext = {
      deps: { jobs: engine, schedules: scheduler, access: { allowedUsers: [], allowedChannels: [], admins: [ADMIN] }, clock },
      defaults: { instanceTypes: ['t3.micro'], interruptionsTolerated: 3 },
      zones: {} as UserZones,
      rememberResponder: () => undefined,
      audit: (entry) => audit.push(`${entry.command} ${entry.user} ${entry.outcome}`),
    };
    const press = async (userId: string): Promise<string> => {
      const replies: { text: string }[] = [];
      let acked = false;
      const args = {
        ack: async () => {
          acked = true;
        },
        body: { user: { id: userId }, channel: { id: 'CJOBS' } },
        action: { action_id: 'job_run_on_demand', value: created.id },
        respond: async (message: { text: string }) => {
          replies.push(message);
        },
      } as unknown as SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
      await buttonListener(ctx)(args);
      expect(acked).toBe(true);
      return replies.map((r) => r.text).join('\n');
    };

    expect(await press(BOB)).toMatch(/you cannot run .* on-demand: only its owner \(&lt;@UALICE&gt;\) or an admin may do that/);
    expect((await engine.getJob(created.id))?.market).toBe('spot');
    expect(fleet.plans.map((p) => p.market)).toEqual(['spot']);

    expect(await press(ALICE)).toMatch(new RegExp(`Job ${created.id} launches on-demand now`));
    const job = (await engine.getJob(created.id))!;
    expect(job.market).toBe('on-demand');
    expect(fleet.plans.map((p) => [p.market, p.clientToken])).toEqual([
      ['spot', `${created.id}.1.0`],
      ['on-demand', `${created.id}.1.0.od`],
    ]);
    expect(job.events.some((e) => e.kind === 'on-demand')).toBe(true);
    expect(buttonsOf(renderJobMessage(jobView(job, NOW))).map((b) => b.action_id)).not.toContain('job_run_on_demand');

    // Pressed again (an old message, a second admin): said, nothing launched.
    expect(await press(ADMIN)).toMatch(/is not waiting for spot capacity/);
    expect(fleet.plans).toHaveLength(2);
    expect(audit).toEqual(['button:on-demand UBOB denied', 'button:on-demand UALICE job-on-demand', 'button:on-demand UADMIN invalid']);
  });
});
