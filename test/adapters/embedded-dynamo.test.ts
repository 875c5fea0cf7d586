import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startEmbeddedDynamo, type EmbeddedDynamo } from '../../bot/adapters/embedded-dynamo.js';
import { DynamoJobStore } from '../../bot/adapters/dynamo-store.js';
import { FakeClock } from '../harness/clock.js';
import { makeJob } from '../harness/jobs.js';

let dir: string;
let embedded: EmbeddedDynamo;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sched-embedded-'));
  embedded = await startEmbeddedDynamo(join(dir, 'db'));
});

afterAll(async () => {
  await embedded?.close();
  await rm(dir, { recursive: true, force: true });
});

test('the embedded store serves this process\'s client, on disk, owner-only', async () => {
  const store = new DynamoJobStore({ client: embedded.client, tableName: 'sched-jobs', clock: new FakeClock(), retentionDays: 30 });
  await store.ensureTable();
  const job = makeJob({ spec: { env: { DB_PASSWORD: 'hunter2' } } });
  await store.create(job);
  expect(await store.get(job.id)).toEqual(job);
  expect((await stat(join(dir, 'db'))).mode & 0o777).toBe(0o700);
});

test('nobody else gets in: other credentials, and any web page (an Origin header)', async () => {
  const stranger = new DynamoDBClient({ endpoint: embedded.endpoint, region: 'local', credentials: { accessKeyId: 'embedded', secretAccessKey: 'embedded' }, maxAttempts: 1 });
  await expect(stranger.send(new ListTablesCommand({}))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  stranger.destroy();
  const fromPage = await fetch(embedded.endpoint, {
    method: 'POST',
    headers: { origin: 'https://evil.example', 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.Scan', authorization: 'AWS4-HMAC-SHA256 Credential=x/20260101/local/dynamodb/aws4_request' },
    body: JSON.stringify({ TableName: 'sched-jobs' }),
  });
  expect(fromPage.status).toBe(403);
  expect(fromPage.headers.get('access-control-allow-origin')).toBeNull();
  const preflight = await fetch(embedded.endpoint, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
  expect(preflight.status).toBe(403);
});
