/**
 * One Sched per data folder, as a user meets it: a second `npm start` in the same folder says who
 * has it and exits cleanly; after a crash (SIGKILL) the next start takes the folder over and
 * reconciles at once, without waiting out the dead process's lease.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually, reconcilePasses, startBot, type BotProcess } from '../harness/bot-process.js';

let scratch: string;
const bots: BotProcess[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sched-data-dir-'));
});

afterAll(async () => {
  for (const bot of bots) await bot.stop();
  await rm(scratch, { recursive: true, force: true });
});

async function start(): Promise<BotProcess> {
  const bot = await startBot({ SCHED_POLL_SECONDS: '30' }, { bareIn: scratch });
  bots.push(bot);
  return bot;
}

test('a second start in the same folder names the running one and exits 1 without a stack trace', async () => {
  const first = await start();
  const pid = Number((await readFile(join(scratch, '.sched', 'lock'), 'utf8')).trim());
  let refusal = '';
  await start().catch((err: unknown) => {
    refusal = String(err);
  });
  expect(refusal).toContain('bot exited with 1');
  expect(refusal).toContain(`sched: Sched is already running from this folder (.sched, pid ${pid}). Stop it first, or start this one with another SCHED_DATA_DIR.`);
  expect(refusal).not.toMatch(/\bat .*\.(ts|js):\d+/);
  expect(refusal).not.toContain('Database is closed');
  // The first one is untouched.
  expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
  await first.stop();
  // A clean exit gives the folder up.
  await expect(readFile(join(scratch, '.sched', 'lock'), 'utf8')).rejects.toThrow(/ENOENT/);
}, 90_000);

test('after SIGKILL the next start takes the folder over and reconciles at once, not after the dead lease', async () => {
  const crashed = await start();
  await eventually(async () => ((await reconcilePasses(crashed.url)) >= 1 ? true : undefined), 'the first pass');
  await crashed.crash();
  // Another port, as a restart may get: the lease must not depend on it.
  const restarted = await start();
  expect(restarted.port).not.toBe(crashed.port);
  const tookOverAfter = performance.now();
  await eventually(async () => ((await reconcilePasses(restarted.url)) >= 1 ? true : undefined), 'a pass after the restart', 10_000);
  // The dead process's lease would have held the pass back for 3 poll intervals (90 s).
  expect(performance.now() - tookOverAfter).toBeLessThan(10_000);
}, 90_000);
