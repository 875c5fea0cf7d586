/**
 * Issue 14, item 9: the bot SIGKILLed with jobs in flight (test/harness/bot-process.ts `crash()`),
 * its state on moto's DynamoDB, EC2 on moto. Before the crash: `jobs` jobs launched, half of them
 * finished by their agent with a callback that the receiver refuses (503), so those callbacks are
 * pending when the bot dies. Then the receiver accepts, the bot is started again, and the clock
 * runs from that start until (a) a reconcile pass has gone over every job and (b) every pending
 * callback has been delivered. Target: both ≤ 30 s after the restart.
 */
import { notificationToken } from '../bot/security/hmac.js';
import { startNotificationReceiver } from '../test/harness/agent.js';
import { eventually, reconcilePasses, startBot, type BotProcess } from '../test/harness/bot-process.js';
import { startMoto } from '../test/harness/moto.js';
import { botEnv, createJob } from './bot-load.js';
import { round, type BenchResult } from './report.js';
import { BENCH_SECRET } from './world.js';

async function report(bot: BotProcess, id: string, query: string): Promise<void> {
  const res = await fetch(`${bot.url}/v1/notifications/${id}?${query}&attempt=1`, { method: 'PUT', headers: { authorization: `Bearer ${notificationToken(BENCH_SECRET, id, 1)}` } });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`notification ${query} for ${id} answered ${res.status}`);
}

export async function benchCrashRecovery(jobs: number): Promise<BenchResult> {
  const [moto, receiver] = await Promise.all([startMoto(), startNotificationReceiver()]);
  const env = botEnv(moto, { SCHED_STORE: 'dynamodb', SCHED_TABLE: 'bench-crash', SCHED_POLL_SECONDS: '2', SCHED_CALLBACK_ALLOW_PRIVATE: 'true' });
  let bot: BotProcess | undefined;
  try {
    bot = await startBot(env, { readyTimeoutMs: 60_000 });
    receiver.respondWith(503);
    const ids: string[] = [];
    for (let i = 0; i < jobs; i++) ids.push(await createJob(bot, Date.now(), `crash-${i}`, `${receiver.url}/callback/${i}`));
    const finished = ids.slice(0, Math.floor(jobs / 2));
    for (const id of ids) await report(bot, id, 'status=started');
    for (const id of finished) await report(bot, id, 'status=finished&exit=0');
    const refusedPaths = new Set(finished.map((_, i) => `/callback/${i}`));
    // Each callback refused once at least: pending, with a retry booked, when the bot dies.
    await eventually(async () => ([...refusedPaths].every((p) => receiver.requests.some((r) => r.path === p)) ? true : undefined), 'a first attempt of every callback', 60_000);
    await bot.crash();

    receiver.respondWith(200);
    const before = receiver.requests.length;
    const restarted = performance.now();
    bot = await startBot(env, { readyTimeoutMs: 60_000 });
    const readyS = (performance.now() - restarted) / 1000;
    const running = bot;
    await eventually(async () => ((await reconcilePasses(running.url)) >= 1 ? true : undefined), 'a reconcile pass after the restart', 120_000);
    const reconciledS = (performance.now() - restarted) / 1000;
    const delivered = () => new Set(receiver.requests.slice(before).filter((r) => refusedPaths.has(r.path)).map((r) => r.path));
    let callbacksS = Number.NaN;
    try {
      await eventually(async () => (delivered().size === refusedPaths.size ? true : undefined), 'every pending callback', 120_000);
      callbacksS = (performance.now() - restarted) / 1000;
    } catch {
      // reported below as the callbacks still pending
    }
    const slowest = Math.max(reconciledS, Number.isNaN(callbacksS) ? Infinity : callbacksS);
    return {
      bench: 'crash_recovery',
      figures: {
        jobs,
        callbacks_pending_at_crash: refusedPaths.size,
        ready_after_restart_s: round(readyS, 1),
        all_reconciled_after_s: round(reconciledS, 1),
        all_callbacks_sent_after_s: Number.isNaN(callbacksS) ? null : round(callbacksS, 1),
        callbacks_still_pending: refusedPaths.size - delivered().size,
      },
      target: 'every job reconciled and every pending callback sent <= 30 s after the restart',
      met: slowest <= 30,
    };
  } finally {
    await bot?.stop();
    await Promise.all([moto.stop(), receiver.close()]);
  }
}
