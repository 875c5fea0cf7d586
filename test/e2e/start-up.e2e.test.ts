/**
 * Starting Sched as a user meets it. One Sched per data folder: a second `npm start` in the same
 * folder says who has it and exits cleanly; after a crash (SIGKILL) the next start takes the
 * folder over and reconciles at once, without waiting out the dead process's lease. A busy port
 * names the setting that moves it; the terminal mode's folder and log are owner-only.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually, freePort, reconcilePasses, startBot, type BotProcess } from '../harness/bot-process.js';

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

test('a busy port is refused with the setting that moves it', async () => {
  const holder = createServer();
  const port = await freePort();
  await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
  const elsewhere = await mkdtemp(join(tmpdir(), 'sched-busy-port-'));
  let refusal = '';
  try {
    await startBot({ SCHED_PORT: String(port), SCHED_HOST: '127.0.0.1' }, { bareIn: elsewhere }).catch((err: unknown) => {
      refusal = String(err);
    });
  } finally {
    holder.close();
    await rm(elsewhere, { recursive: true, force: true });
  }
  expect(refusal).toContain(`sched: port ${port} is in use by another program: set SCHED_PORT to a free port (or 0 for any)`);
}, 60_000);

test('the terminal mode keeps its folder and log owner-only', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sched-modes-'));
  const tsx = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
  const main = fileURLToPath(new URL('../../bot/main.ts', import.meta.url));
  const child = spawn(tsx, [main], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_EC2_METADATA_DISABLED: 'true', SCHED_CHAT: 'terminal', SCHED_PORT: '0', SCHED_HOST: '127.0.0.1' },
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  try {
    await eventually(async () => ((await readFile(join(dir, '.sched', 'sched.log'), 'utf8')).includes('sched is running') ? true : undefined), 'the log', 30_000);
    expect((await stat(join(dir, '.sched'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, '.sched', 'sched.log'))).mode & 0o777).toBe(0o600);
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
