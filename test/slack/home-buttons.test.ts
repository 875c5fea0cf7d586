/**
 * Buttons on the App Home tab, clicked as Slack sends them (`container.type: "view"`, a
 * `trigger_id`, no channel, no `response_url`) to the real Slack surface in HTTP mode, with an
 * in-memory engine whose notifier is the surface's and the fake Slack Web API on loopback. The
 * answers are modals (`views.open`) or the tab published again; nothing is left unanswered and
 * no listener fails.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { systemClock } from '../../bot/clock.js';
import type { SurfaceHost } from '../../bot/commands/types.js';
import type { AccessPolicy } from '../../bot/core/access.js';
import { JobStatus, type Job } from '../../bot/core/job.js';
import { createSlackSurface, type SlackSurface } from '../../bot/slack/app.js';
import { eventually } from '../harness/bot-process.js';
import { startFakeSlack, type FakeSlack } from '../harness/fake-slack.js';
import { memoryReplica } from '../harness/memory-engine.js';
import { homeButtonBody, signedPost } from '../harness/slack-requests.js';

const SECRET = 'home-buttons-signing-secret-0123456789';
const ALICE = 'UALICE';
const BOB = 'UBOB';
const JOBS = 'CJOBS';
const OTHER = 'COTHER';

let fake: FakeSlack;
let running: { surface: SlackSurface; server: Server } | undefined;
let failures: string[];

beforeEach(async () => {
  fake = await startFakeSlack();
  failures = [];
});

afterEach(async () => {
  if (running) {
    await running.surface.stop();
    running.server.closeAllConnections();
    await new Promise((resolve) => running!.server.close(resolve));
    running = undefined;
  }
  await fake.close();
});

/** The Slack surface in HTTP mode and an engine that notifies through it; errors it logs are kept. */
async function startSched(access: Partial<AccessPolicy> = {}) {
  const logs = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = JSON.parse(chunk.toString()) as { level: number; msg: string };
      if (line.level >= 50) failures.push(line.msg);
      done();
    },
  });
  const surface = createSlackSurface({
    botToken: 'xoxb-test',
    signingSecret: SECRET,
    apiUrl: fake.apiUrl,
    defaults: { instanceTypes: ['t3.micro'], interruptionsTolerated: 3 },
    logger: pino({ level: 'warn' }, logs),
    // Called only once jobs exist, after the replica below is built.
    saveMessageRef: (jobId, channel, ts) => replica.engine.recordChatMessage(jobId, channel, ts).then(() => undefined),
  });
  const replica = memoryReplica({ clock: systemClock, notifier: surface.notifier });
  await surface.start({ jobs: replica.engine, schedules: replica.scheduler, access: { allowedUsers: [], allowedChannels: [], admins: [], ...access }, clock: systemClock }, {} as SurfaceHost);
  const server = createServer((req, res) => surface.eventsListener!(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  running = { surface, server };
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  let clicks = 0;
  /** Clicks a button on `userId`'s Home tab; answers the trigger id the click carried. */
  const click = async (actionId: string, value: string, userId = ALICE): Promise<string> => {
    const triggerId = `trigger-${++clicks}`;
    const ack = await signedPost(url, SECRET, homeButtonBody({ actionId, value, userId, triggerId }));
    expect(ack.status).toBe(200);
    return triggerId;
  };
  const createJob = (channel: string, owner = ALICE): Promise<Job> =>
    replica.engine.createJob({
      spec: { image: 'alpine', command: ['true'], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 3 },
      runAt: new Date(Date.now() + 3_600_000).toISOString(),
      owner: { kind: 'slack', id: owner },
      origin: { surface: 'slack', channel },
    });
  return { engine: replica.engine, click, createJob };
}

/** The modal opened for a click, as text. */
async function modalFor(triggerId: string): Promise<string> {
  const modal = await eventually(async () => fake.modals().find((m) => m.triggerId === triggerId), `the modal for ${triggerId}`);
  expect(modal.view).toMatchObject({ type: 'modal', title: { type: 'plain_text', text: 'Sched' } });
  return JSON.stringify((modal.view as { blocks: unknown[] }).blocks);
}

const jobIdsIn = (text: string) => [...new Set(text.match(/j-[a-z2-7]{12}/g) ?? [])];

describe('App Home buttons', () => {
  test('Cancel: the job is cancelled and the tab is published again showing it so; no modal, no failure', async () => {
    const sched = await startSched();
    const job = await sched.createJob(JOBS);
    const trigger = await sched.click('job_cancel', job.id);
    await eventually(async () => ((await sched.engine.getJob(job.id))?.status === JobStatus.Cancelled ? true : undefined), 'the job cancelled');
    const home = await eventually(async () => fake.homeView(ALICE) as { type: string; blocks: unknown[] } | undefined, 'the Home tab published again');
    expect(home.type).toBe('home');
    expect(JSON.stringify(home.blocks)).toMatch(new RegExp(`Recent jobs.*${job.id}`));
    expect(fake.modals().filter((m) => m.triggerId === trigger)).toEqual([]);
    expect(failures).toEqual([]);
  });

  test('Cancel by someone else: refused in a modal, the job unchanged', async () => {
    const sched = await startSched();
    const job = await sched.createJob(JOBS);
    expect(await modalFor(await sched.click('job_cancel', job.id, BOB))).toMatch(/only its owner/);
    expect((await sched.engine.getJob(job.id))?.status).toBe(JobStatus.Scheduled);
    expect(failures).toEqual([]);
  });

  test('Logs: a modal with the job\'s output; for someone else, a refusal (the job\'s channel grants no sight from Home)', async () => {
    const sched = await startSched();
    const job = await sched.createJob(JOBS);
    const logs = await modalFor(await sched.click('job_logs', job.id));
    expect(logs).toContain(job.id);
    expect(logs).not.toMatch(/only its owner/);
    expect(await modalFor(await sched.click('job_logs', job.id, BOB))).toMatch(/only its owner, an admin/);
    expect(failures).toEqual([]);
  });

  test('Retry: the new job lives in the original job\'s channel, posts its live message there, and the modal says so', async () => {
    const sched = await startSched();
    const job = await sched.createJob(JOBS);
    await sched.engine.cancelJob(job.id, ALICE);
    const answer = await modalFor(await sched.click('job_retry', job.id));
    const [newId] = jobIdsIn(answer).filter((id) => id !== job.id);
    expect(newId).toBeDefined();
    expect(answer).toContain(`<#${JOBS}>`);
    expect((await sched.engine.getJob(newId!))?.origin).toMatchObject({ surface: 'slack', channel: JOBS });
    await eventually(async () => fake.messages(JOBS).find((m) => JSON.stringify(m).includes(newId!)), 'the retried job\'s live message in its channel');
    expect(JSON.stringify(fake.homeView(ALICE))).toContain(newId!);
    expect(failures).toEqual([]);
  });

  test('SCHED_ALLOWED_CHANNELS applies to the job\'s channel: a job of an allowed channel retries, one of another is refused', async () => {
    const sched = await startSched({ allowedChannels: [JOBS] });
    const allowed = await sched.createJob(JOBS);
    const elsewhere = await sched.createJob(OTHER);
    await sched.engine.cancelJob(allowed.id, ALICE);

    const ok = await modalFor(await sched.click('job_retry', allowed.id));
    const [newId] = jobIdsIn(ok).filter((id) => id !== allowed.id);
    expect((await sched.engine.getJob(newId!))?.origin?.channel).toBe(JOBS);

    expect(await modalFor(await sched.click('job_retry', elsewhere.id))).toMatch(/not enabled in this channel/);
    expect(await modalFor(await sched.click('job_cancel', elsewhere.id))).toMatch(/not enabled in this channel/);
    expect((await sched.engine.getJob(elsewhere.id))?.status).toBe(JobStatus.Scheduled);
    // No job was created for the refused retry: the other channel holds only the original's message.
    await running!.surface.notifier.flush();
    expect(fake.messages(OTHER).map((m) => jobIdsIn(JSON.stringify(m)))).toEqual([[elsewhere.id]]);
    expect(failures).toEqual([]);
  });
});
