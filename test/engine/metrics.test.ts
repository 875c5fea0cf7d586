/**
 * /metrics after some activity, parsed as Prometheus reads it: the engine's figures move, the
 * names dashboards use are kept, and no label carries a job id or a parameter.
 */
import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { pino } from 'pino';
import { MemoryFleet } from '../../bot/adapters/memory-fleet.js';
import { MemoryJobStore } from '../../bot/adapters/memory-store.js';
import type { NewJob } from '../../bot/core/job.js';
import { Engine } from '../../bot/engine/engine.js';
import { EngineMetrics } from '../../bot/engine/metrics.js';
import { buildHttpServer } from '../../bot/http/server.js';
import { countedClient } from '../../bot/slack/counted-client.js';
import { FakeClock } from '../harness/clock.js';
import { startFakeSlack, type FakeSlack } from '../harness/fake-slack.js';
import { parsePrometheusText } from '../harness/prom-text.js';

const SECRET = 'metrics-test-secret-0123456789abcdefghijkl';

const newJob = (): NewJob => ({
  spec: { image: 'alpine:3.20', command: ['echo', 'SECRET-ARG'], env: { TOKEN: 'SECRET-ENV' }, instanceTypes: ['t3.micro'], interruptionsTolerated: 2, callbackUrl: 'https://example.com/cb' },
  runAt: '2026-01-01T00:00:00.000Z',
  owner: { kind: 'api', id: 'api' },
});

let slack: FakeSlack;
beforeAll(async () => {
  slack = await startFakeSlack();
});
afterAll(async () => {
  await slack?.close();
});

describe('/metrics', () => {
  test('after jobs, agent reports, a callback and a pass, the scrape shows each figure moved', async () => {
    const clock = new FakeClock();
    const metrics = new EngineMetrics({ processMetrics: true });
    const callbackOutcomes = [{ ok: false, statusCode: 503, error: 'HTTP 503', permanent: false }];
    const engine = new Engine({
      store: new MemoryJobStore(),
      fleet: new MemoryFleet(),
      callbacks: { send: async () => callbackOutcomes.shift() ?? { ok: true, statusCode: 200 } },
      notifier: { jobChanged: async () => undefined },
      clock,
      logger: pino({ level: 'silent' }),
      secret: SECRET,
      publicUrl: 'http://127.0.0.1:9',
      pollSeconds: 30,
      metrics,
    });
    expect(engine.metrics).toBe(metrics);
    const http = buildHttpServer({ jobs: engine, secret: SECRET, defaults: { instanceTypes: ['t3.micro'], interruptionsTolerated: 3 }, clock, logger: pino({ level: 'silent' }), metrics: () => metrics.render() });
    const scrape = async () => {
      const res = await http.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      return { text: res.body, ...parsePrometheusText(res.body) };
    };

    const before = await scrape();
    expect(before.sum('sched_reconcile_passes_total')).toBe(0);
    expect(before.sum('sched_callbacks_total', { outcome: 'failed' })).toBe(0);
    // Process metrics, from this registry.
    expect(before.has('process_cpu_user_seconds_total')).toBe(true);
    expect(before.has('nodejs_eventloop_lag_seconds')).toBe(true);

    const a = await engine.createJob(newJob());
    const b = await engine.createJob(newJob());
    await engine.reconcileOnce();
    await engine.agentReport({ jobId: a.id, status: 'started', attempt: 1 });
    await engine.agentReport({ jobId: a.id, status: 'finished', attempt: 1, exitCode: 0 });
    await engine.reconcileOnce();
    clock.advance(10);
    await engine.reconcileOnce();

    const after = await scrape();
    expect(after.types.get('sched_reconcile_pass_duration_seconds')).toBe('histogram');
    expect(after.sum('sched_reconcile_passes_total')).toBe(3);
    expect(after.sum('sched_reconcile_pass_duration_seconds_count')).toBe(3);
    expect(after.sum('sched_reconcile_pass_duration_seconds_bucket', { le: '+Inf' })).toBe(3);
    expect(after.sum('sched_jobs_created_total')).toBe(2);
    expect(after.sum('sched_spot_requests_total')).toBe(2);
    expect(after.sum('sched_agent_reports_total')).toBe(2);
    expect(after.sum('sched_job_transitions_total', { status: 'succeeded' })).toBe(1);
    expect(after.sum('sched_callbacks_total', { outcome: 'failed' })).toBe(1);
    expect(after.sum('sched_callbacks_total', { outcome: 'ok' })).toBe(1);
    // Jobs by status from the last pass: b still waits on its instance; every status has a row.
    const active = await engine.listActiveJobs();
    expect(active.map((j) => j.id)).toContain(b.id);
    expect(after.sum('sched_jobs', { status: (await engine.getJob(b.id))!.status })).toBeGreaterThanOrEqual(1);
    expect(after.samples.filter((s) => s.name === 'sched_jobs')).toHaveLength(7);
    expect(after.sum('sched_jobs')).toBe(after.sum('sched_reconcile_last_pass_jobs'));

    // Labels are bounded sets: no job id, image, argument or env value anywhere.
    for (const secret of [a.id, b.id, 'SECRET-ARG', 'SECRET-ENV', 'alpine', 'example.com']) expect(after.text).not.toContain(secret);
    await http.close();
    await engine.stop();
  });

  test('two engines in one process keep their own figures (no global registry)', async () => {
    const one = new EngineMetrics();
    const two = new EngineMetrics();
    one.recordPass(12, 4);
    const [a, b] = await Promise.all([one.render(), two.render()]);
    expect(parsePrometheusText(a).sum('sched_reconcile_passes_total')).toBe(1);
    expect(parsePrometheusText(b).sum('sched_reconcile_passes_total')).toBe(0);
    expect(parsePrometheusText(b).has('process_cpu_user_seconds_total')).toBe(false);
  });

  test('Slack Web API calls are counted by method and outcome: ok, rate-limited (429), transient (5xx)', async () => {
    const metrics = new EngineMetrics();
    const client = countedClient(new webApi.WebClient('xoxb-test', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true }), metrics);
    await client.apiCall('chat.postMessage', { channel: 'C1', text: 'job j-abc started' });
    const limit = slack.rateLimit({ method: 'chat.update', retryAfterSeconds: 3 });
    await expect(client.apiCall('chat.update', { channel: 'C1', ts: '1.1', text: 'x' })).rejects.toThrow();
    limit.lift();
    slack.failNext('chat.postMessage', 503);
    await expect(client.apiCall('chat.postMessage', { channel: 'C1', text: 'y' })).rejects.toThrow();
    const scrape = parsePrometheusText(await metrics.render());
    expect(scrape.sum('sched_slack_calls_total', { method: 'chat.postMessage', outcome: 'ok' })).toBe(1);
    expect(scrape.sum('sched_slack_calls_total', { method: 'chat.update', outcome: 'rate-limited' })).toBe(1);
    expect(scrape.sum('sched_slack_calls_total', { method: 'chat.postMessage', outcome: 'transient' })).toBe(1);
    expect(await metrics.render()).not.toMatch(/j-abc|C1/);
  });
});
