/**
 * The benchmarks that need the real bot as its own process (`npm start`, test/harness/bot-process.ts)
 * on loopback, with EC2 on moto:
 * - `slash_ack` (item 3): signed `/sched run --in 2h …` over HTTP at 20 and 100 requests a second
 *   (an open loop), fake Slack Web API: ack p50, p99. Target: p99 ≤ 100 ms (Slack allows 3,000).
 * - `notification_endpoint` (item 4): `PUT /v1/notifications/<job>?status=started` repeated (the
 *   agent's report, idempotent) — the saturation rate (a closed loop), then p99 at half that rate,
 *   on the embedded store and on DynamoDB (moto). Target: p99 ≤ 50 ms at half saturation.
 * - `bot_memory` (item 7): resident memory of the bot's node process at idle and tracking 10,000
 *   active jobs (made through the REST API, due in two hours, after a reconcile pass has listed
 *   them) on the embedded store. Target: ≤ 200 MB.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { notificationToken } from '../bot/security/hmac.js';
import { startNotificationReceiver } from '../test/harness/agent.js';
import { eventually, reconcilePasses, startBot, type BotProcess } from '../test/harness/bot-process.js';
import { startFakeSlack } from '../test/harness/fake-slack.js';
import { startMoto, type Moto } from '../test/harness/moto.js';
import { signedPost, slashCommandBody } from '../test/harness/slack-requests.js';
import { closedLoop, openLoop, residentMiB } from './load.js';
import { percentile, round, type BenchResult } from './report.js';
import { BENCH_AMI, BENCH_SECRET } from './world.js';

const SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';
const API_TOKEN = 'bench-api-token-0123456789abcdefghijkl';

export function botEnv(moto: Moto, extra: Record<string, string>): Record<string, string> {
  return {
    SCHED_COMPUTE: 'ec2',
    AWS_ENDPOINT_URL: moto.endpoint,
    SCHED_AMI: BENCH_AMI,
    SCHED_SECRET: BENCH_SECRET,
    SCHED_API_TOKEN: API_TOKEN,
    SCHED_DEPLOYMENT: 'bench',
    SCHED_INSTANCE_TYPES: 't3.micro',
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** `datetime` as the REST API takes it: "YYYY-MM-DD HH:MM:SS", UTC. */
function restTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

export async function createJob(bot: BotProcess, runAtMs: number, name: string, callback?: string): Promise<string> {
  const res = await fetch(`${bot.url}/v1/jobs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ docker_image: 'alpine:3.20', datetime: restTime(runAtMs), name, ...(callback !== undefined && { callback }) }),
  });
  const body = (await res.json()) as { id?: string; job_id?: string };
  if (res.status !== 201) throw new Error(`POST /v1/jobs answered ${res.status}: ${JSON.stringify(body)}`);
  return (body.id ?? body.job_id)!;
}

export async function benchSlashAck(rates: readonly number[], seconds: number): Promise<BenchResult[]> {
  const [moto, slack, responses] = await Promise.all([startMoto(), startFakeSlack(), startNotificationReceiver()]);
  let bot: BotProcess | undefined;
  try {
    bot = await startBot(botEnv(moto, { SCHED_STORE: 'dynamodb', SCHED_CHAT: 'slack', SLACK_BOT_TOKEN: 'xoxb-bench-token', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: slack.apiUrl }), { readyTimeoutMs: 60_000 });
    const url = `${bot.url}/slack/events`;
    let n = 0;
    const send = async () => {
      const i = ++n;
      const body = slashCommandBody({ text: `run --in 2h --name load-${i} alpine true`, userId: 'ULOAD', channelId: 'CJOBS', responseUrl: `${responses.url}/response/${i}` });
      return (await signedPost(url, SIGNING_SECRET, body)).status === 200;
    };
    await openLoop(5, 1, send); // warm-up: the first commands load code paths
    const results: BenchResult[] = [];
    for (const rate of rates) {
      const load = await openLoop(rate, seconds, send);
      const p99 = percentile(load.latencies, 99);
      results.push({
        bench: 'slash_ack',
        figures: { rate_per_s: rate, requests: load.sent, errors: load.errors, ack_p50_ms: round(percentile(load.latencies, 50), 1), ack_p99_ms: round(p99, 1), ack_max_ms: round(Math.max(...load.latencies), 1) },
        target: 'ack p99 <= 100 ms (Slack allows 3,000)',
        met: p99 <= 100 && load.errors === 0,
      });
    }
    return results;
  } finally {
    await bot?.stop();
    await Promise.all([moto.stop(), slack.close(), responses.close()]);
  }
}

export async function benchNotificationEndpoint(seconds: number): Promise<BenchResult[]> {
  const moto = await startMoto();
  const results: BenchResult[] = [];
  try {
    for (const store of ['embedded', 'dynamodb'] as const) {
      const dataDir = await mkdtemp(join(tmpdir(), 'sched-bench-'));
      let bot: BotProcess | undefined;
      try {
        bot = await startBot(botEnv(moto, { SCHED_STORE: store, SCHED_DATA_DIR: dataDir, SCHED_TABLE: `bench-notify-${store}` }), { readyTimeoutMs: 60_000 });
        const ids: string[] = [];
        for (let i = 0; i < 10; i++) ids.push(await createJob(bot, Date.now(), `notify-${i}`));
        const target = bot.url;
        const send = async (i: number) => {
          const id = ids[i % ids.length]!;
          const res = await fetch(`${target}/v1/notifications/${id}?status=started&attempt=1`, { method: 'PUT', headers: { authorization: `Bearer ${notificationToken(BENCH_SECRET, id, 1)}` } });
          await res.arrayBuffer();
          return res.status === 200;
        };
        await closedLoop(4, 1, send); // warm-up
        const saturated = await closedLoop(32, seconds, send);
        const saturation = saturated.latencies.length / saturated.seconds;
        const half = await openLoop(saturation / 2, seconds, send);
        const p99 = percentile(half.latencies, 99);
        results.push({
          bench: 'notification_endpoint',
          figures: {
            store: store === 'embedded' ? 'embedded (dynalite)' : 'dynamodb (moto)',
            saturation_per_s: round(saturation),
            saturation_p99_ms: round(percentile(saturated.latencies, 99), 1),
            half_rate_per_s: round(saturation / 2),
            half_rate_p50_ms: round(percentile(half.latencies, 50), 1),
            half_rate_p99_ms: round(p99, 1),
            errors: saturated.errors + half.errors,
          },
          target: 'p99 <= 50 ms at half the saturation rate',
          met: p99 <= 50 && saturated.errors + half.errors === 0,
        });
      } finally {
        await bot?.stop();
        await rm(dataDir, { recursive: true, force: true });
      }
    }
  } finally {
    await moto.stop();
  }
  return results;
}

export async function benchBotMemory(jobs: number): Promise<BenchResult> {
  const moto = await startMoto();
  const dataDir = await mkdtemp(join(tmpdir(), 'sched-bench-'));
  let bot: BotProcess | undefined;
  try {
    bot = await startBot(botEnv(moto, { SCHED_STORE: 'embedded', SCHED_DATA_DIR: dataDir, SCHED_POLL_SECONDS: '5' }), { readyTimeoutMs: 60_000 });
    const running = bot;
    await eventually(async () => ((await reconcilePasses(running.url)) >= 1 ? true : undefined), 'a first reconcile pass', 30_000);
    const idleMiB = residentMiB(bot.pid, 'main.ts');
    const created = performance.now();
    const due = Date.now() + 2 * 3600_000;
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < jobs) await createJob(running, due, `mem-${next++}`);
      }),
    );
    const createS = (performance.now() - created) / 1000;
    const passes = await reconcilePasses(bot.url);
    await eventually(async () => ((await reconcilePasses(running.url)) >= passes + 2 ? true : undefined), 'two reconcile passes over every job', 120_000);
    const trackingMiB = residentMiB(bot.pid, 'main.ts');
    return {
      bench: 'bot_memory',
      figures: { active_jobs: jobs, idle_rss_mb: idleMiB, tracking_rss_mb: trackingMiB, per_1000_jobs_mb: round(((trackingMiB - idleMiB) * 1000) / jobs, 1), create_s: round(createS, 1) },
      target: `resident memory tracking ${jobs.toLocaleString('en')} active jobs <= 200 MB`,
      met: trackingMiB <= 200,
    };
  } finally {
    await bot?.stop();
    await moto.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
