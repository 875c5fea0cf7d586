/**
 * The AWS clients' one reporting middleware, through the fault proxy in front of moto: each call
 * counted once with its retries and error code, and every DynamoDB call telling the health state
 * whether the store answered — which /healthz reports (503, what and since when; 200 again after).
 */
import { DescribeInstancesCommand, RunInstancesCommand } from '@aws-sdk/client-ec2';
import { GetItemCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import { createDynamoClient, createEc2Client, reportAwsCalls } from '../../bot/adapters/aws-clients.js';
import { HealthState } from '../../bot/engine/health-state.js';
import { EngineMetrics } from '../../bot/engine/metrics.js';
import { buildHttpServer } from '../../bot/http/server.js';
import { systemClock } from '../../bot/clock.js';
import type { JobService } from '../../bot/ports.js';
import { motoBehindFaultProxy } from '../harness/fault-proxy.js';
import { parsePrometheusText } from '../harness/prom-text.js';

const world = motoBehindFaultProxy();

function clients(maxAttempts: number) {
  const { endpoint, region, credentials } = world.proxy.clientConfig;
  const metrics = new EngineMetrics();
  const health = new HealthState({ clock: systemClock });
  const ec2 = createEc2Client({ endpoint, region, credentials, maxAttempts, ec2RateLimit: false });
  const dynamo = createDynamoClient({ endpoint, region, credentials, maxAttempts, requestTimeoutMs: 2_000 });
  reportAwsCalls(ec2, { service: 'ec2', metrics });
  reportAwsCalls(dynamo, { service: 'dynamodb', metrics, health });
  return { ec2, dynamo, metrics, health };
}

describe('AWS call reporting', () => {
  test('EC2: a throttled call that succeeds is one call with its retries; one that fails for good counts its code', async () => {
    const { ec2, metrics } = clients(3);
    world.proxy.inject({ service: 'ec2', action: 'DescribeInstances', fault: { kind: 'throttle' }, times: 1 });
    await ec2.send(new DescribeInstancesCommand({}));
    world.proxy.inject({ service: 'ec2', action: 'RunInstances', fault: { kind: 'internal' } });
    await expect(ec2.send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1 }))).rejects.toThrow();
    const scrape = parsePrometheusText(await metrics.render());
    expect(scrape.sum('sched_aws_calls_total', { service: 'ec2', operation: 'DescribeInstances' })).toBe(1);
    expect(scrape.sum('sched_aws_retries_total', { service: 'ec2', operation: 'DescribeInstances' })).toBe(1);
    expect(scrape.sum('sched_aws_errors_total', { service: 'ec2', operation: 'DescribeInstances' })).toBe(0);
    expect(scrape.sum('sched_aws_calls_total', { service: 'ec2', operation: 'RunInstances' })).toBe(1);
    expect(scrape.sum('sched_aws_retries_total', { service: 'ec2', operation: 'RunInstances' })).toBe(2);
    expect(scrape.sum('sched_aws_errors_total', { service: 'ec2', operation: 'RunInstances', code: 'InternalError' })).toBe(1);
    expect(world.proxy.count({ action: 'RunInstances' })).toBe(3);
    ec2.destroy();
  }, 30_000);

  test('DynamoDB: unavailable or dropped → the store is degraded since the first failed call; an answer (even an error one) → healthy; /healthz says so', async () => {
    const { dynamo, metrics, health } = clients(2);
    const http = buildHttpServer({ jobs: {} as JobService, secret: 'reporting-test-secret-0123456789abcdef', defaults: { instanceTypes: ['t3.micro'], interruptionsTolerated: 3 }, clock: systemClock, logger: pino({ level: 'silent' }), health });
    const healthz = async () => {
      const res = await http.inject({ method: 'GET', url: '/healthz' });
      return { status: res.statusCode, body: res.json() };
    };
    await dynamo.send(new ListTablesCommand({}));
    expect(await healthz()).toEqual({ status: 200, body: { ok: true, checks: { store: 'ok' } } });

    const outage = world.proxy.inject({ service: 'dynamodb', fault: { kind: 'unavailable' } });
    const before = new Date().toISOString();
    await expect(dynamo.send(new ListTablesCommand({}))).rejects.toThrow();
    world.proxy.inject({ service: 'dynamodb', fault: { kind: 'drop' } });
    outage.clear();
    await expect(dynamo.send(new GetItemCommand({ TableName: 'nope', Key: { id: { S: 'x' } } }))).rejects.toThrow();
    const degraded = await healthz();
    expect(degraded.status).toBe(503);
    expect(degraded.body).toMatchObject({ ok: false, checks: { store: 'degraded' }, degraded: [{ part: 'store', detail: expect.stringMatching(/^GetItem: /) }] });
    expect(degraded.body.degraded[0].since >= before.slice(0, 19)).toBe(true);
    expect(Date.parse(degraded.body.degraded[0].since)).toBeLessThanOrEqual(Date.now());

    // The store answers again: a missing table is an answer (the store is reachable).
    world.proxy.clearRules();
    await expect(dynamo.send(new GetItemCommand({ TableName: 'nope', Key: { id: { S: 'x' } } }))).rejects.toThrow(/resource not found|ResourceNotFound|non-existent/i);
    expect(health.degraded()).toEqual([]);
    expect((await healthz()).status).toBe(200);

    const scrape = parsePrometheusText(await metrics.render());
    expect(scrape.sum('sched_aws_errors_total', { service: 'dynamodb', operation: 'ListTables', code: 'ServiceUnavailable' })).toBe(1);
    expect(scrape.sum('sched_aws_errors_total', { service: 'dynamodb', operation: 'GetItem', code: 'ResourceNotFoundException' })).toBe(1);
    expect(scrape.sum('sched_aws_calls_total', { service: 'dynamodb' })).toBe(4);
    await http.close();
    dynamo.destroy();
  }, 30_000);
});
