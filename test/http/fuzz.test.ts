/**
 * Fuzz (issue 13, "Tests that must exist"): generated requests through fastify's `inject` on the
 * real HTTP server with the in-memory engine. The REST API (`POST /v1/jobs` bodies, `PUT` bodies,
 * ids in paths), the instance notification endpoint (query, token, body) and the agent's job
 * endpoint (`GET /v1/agent/<job-id>`: ids, attempts, tokens): never a 5xx, and a
 * refused request (4xx) leaves every stored job as it was and launches nothing.
 *
 * 10,000 generated requests per surface (`FUZZ_RUNS` below); the seed is the run's
 * (test/harness/property-seed.ts).
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { JOB_REQUEST_FIELDS } from '../../bot/core/request/job-request.js';
import { buildHttpServer } from '../../bot/http/server.js';
import { FakeClock } from '../harness/clock.js';
import { CountingJobStore } from '../harness/counting-store.js';
import { anyStringUpTo, arrayUpTo } from '../harness/arbitraries.js';
import { memoryReplica } from '../harness/memory-engine.js';
import { propertySeeds } from '../harness/property-seed.js';

const API_TOKEN = 'api-token-0123456789abcdef-fuzz';
const SECRET = 'fuzz-notification-secret-0123456789abcdef';
const FUZZ_RUNS = 10_000;

let app: FastifyInstance;
let replica: ReturnType<typeof memoryReplica>;
let jobIds: string[];

const clock = new FakeClock();

beforeAll(async () => {
  replica = memoryReplica({ clock, store, guardRails: { maxPriceCeiling: '1', defaultTimeoutSeconds: 3600, maxTimeoutSeconds: 86400 } });
  app = buildHttpServer({
    jobs: replica.engine,
    secret: SECRET,
    apiToken: API_TOKEN,
    defaults: { instanceTypes: ['t3.micro'], interruptionsTolerated: 3 },
    clock,
    logger: pino({ level: 'silent' }),
  });
  await app.ready();
  // Jobs for the ids and tokens to hit: one due now (launched), one due later.
  const spec = { image: 'alpine', command: ['true'], env: { SECRET_VALUE: 'x' }, instanceTypes: ['t3.micro'], interruptionsTolerated: 3 };
  const now = await replica.engine.createJob({ spec, runAt: clock.now().toISOString(), owner: { kind: 'api', id: 'api' } });
  const later = await replica.engine.createJob({ spec, runAt: new Date(clock.now().getTime() + 86_400_000).toISOString(), owner: { kind: 'api', id: 'api' } });
  jobIds = [now.id, later.id];
  await settled();
});

afterAll(async () => {
  await app?.close();
});

const store = new CountingJobStore();

/** What a refused request must leave as it was: the store's writes and the fleet's launches. */
function stored(): string {
  return `${store.writes} writes, ${replica.fleet.plans.length} launches`;
}

/** Lets the engine finish what an accepted request started (a new job's launch) before the next one. */
async function settled(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Values of every JSON kind, with the strings and numbers the fields are near. */
const fieldValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom('alpine', 'ghcr.io/acme/etl:1.4', 'oci:x', 'containers-storage:x', 't3.micro', 'p5.48xlarge', '0.01', '999999', '1h', '30d', '-1', '', ' ', '2026-03-01 12:00:00', 'https://hooks.example.com/x', 'http://127.0.0.1:1/x', 'http://169.254.169.254/', 'spot', 'terminate', 'wait'),
  fc.constantFrom(0, -1, 1, 2, 1e308, Number.MAX_SAFE_INTEGER, 0.5, true, false, null),
  anyStringUpTo(300),
  arrayUpTo(fc.oneof(anyStringUpTo(40), fc.integer()), 40),
  fc.dictionary(anyStringUpTo(20), anyStringUpTo(40), { maxKeys: 8 }),
);

/** Job requests: mostly the API's own fields (valid and not), some unknown ones. */
const jobBody = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.dictionary(fc.constantFrom(...JOB_REQUEST_FIELDS), fieldValue, { maxKeys: JOB_REQUEST_FIELDS.length }), fc.boolean()).map(([body, withImage]) => (withImage ? { docker_image: 'alpine', ...body } : body)) },
  { weight: 1, arbitrary: fc.dictionary(anyStringUpTo(20), fieldValue, { maxKeys: 6 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** Raw payloads: broken JSON, other content types, huge bodies. */
const rawPayload = fc.record({
  payload: fc.oneof(anyStringUpTo(2000), fc.constantFrom('{', '{"docker_image":', 'null', '[]', '""', '{"docker_image":"alpine"}', '{"__proto__":{"x":1},"docker_image":"alpine"}', 'x'.repeat(300_000))),
  contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'multipart/form-data; boundary=x', ''),
});

/** Ids as a path segment: the stored ones, near-misses, anything, encoded or not. */
const pathId = fc.oneof(
  fc.constantFrom('', '.', '..', '%2e%2e', '%2F', '%00', 'x'.repeat(129), 'x'.repeat(128), '%ZZ', '?', '#'),
  anyStringUpTo(200).map(encodeSegment),
  fc.stringMatching(/^[A-Za-z0-9._~:-]{1,140}$/),
);

const auth = { authorization: `Bearer ${API_TOKEN}` };

async function expectRefusalChangedNothing(before: string, status: number, what: string): Promise<void> {
  await settled();
  expect(status, what).toBeLessThan(500);
  if (status >= 400) expect(stored(), `a refusal changed something: ${what}`).toBe(before);
}

describe.each(propertySeeds())('the REST API under generated requests (seed %i)', (seed) => {
  test(`POST /v1/jobs, PUT /v1/jobs/<id> and ids in paths: ${FUZZ_RUNS} requests, no 5xx, nothing stored for a 4xx`, async () => {
    const request = fc.oneof(
      { weight: 4, arbitrary: jobBody.map((body) => ({ method: 'POST' as const, url: '/v1/jobs', payload: JSON.stringify(body), contentType: 'application/json' })) },
      { weight: 1, arbitrary: rawPayload.map(({ payload, contentType }) => ({ method: 'POST' as const, url: '/v1/jobs', payload, contentType })) },
      {
        weight: 2,
        arbitrary: fc.record({ id: fc.oneof(fc.constantFrom(...jobIds), pathId), body: fc.oneof(fc.record({ callback: fieldValue }), fc.dictionary(anyStringUpTo(12), fieldValue, { maxKeys: 3 }), fc.jsonValue({ maxDepth: 2 })) }).map(({ id, body }) => ({ method: 'PUT' as const, url: `/v1/jobs/${id}`, payload: JSON.stringify(body), contentType: 'application/json' })),
      },
      { weight: 2, arbitrary: fc.record({ method: fc.constantFrom('GET' as const, 'DELETE' as const, 'PUT' as const), id: pathId }).map(({ method, id }) => ({ method, url: `/v1/jobs/${id}`, payload: method === 'PUT' ? '{"callback":null}' : '', contentType: 'application/json' })) },
    );
    let created = 0;
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const before = stored();
        const reply = await app.inject({ method: r.method, url: r.url, payload: r.payload, headers: { ...auth, ...(r.contentType && { 'content-type': r.contentType }) } });
        if (reply.statusCode === 201) created++;
        await expectRefusalChangedNothing(before, reply.statusCode, `${r.method} ${r.url} ${r.payload.slice(0, 200)} → ${reply.statusCode} ${reply.body.slice(0, 300)}`);
      }),
      { numRuns: FUZZ_RUNS, seed },
    );
    // The generator reaches both sides: some jobs were accepted.
    expect(created).toBeGreaterThan(0);
  }, 120_000);
});

/** base64url(HMAC-SHA256(secret, "<job-id>.<attempt>")), as docs/rest-api.md states it. */
function token(jobId: string, attempt: string): string {
  return createHmac('sha256', SECRET).update(`${jobId}.${attempt}`).digest('base64url');
}

describe.each(propertySeeds())('the notification endpoint under generated requests (seed %i)', (seed) => {
  test(`PUT /v1/notifications/<job-id>: ${FUZZ_RUNS} requests, no 5xx, a refusal changes nothing`, async () => {
    const statusValue = fc.oneof(fc.constantFrom('started', 'finished', 'interrupting', 'rebalance', 'output', 'STARTED', '', 'started,finished'), anyStringUpTo(30));
    const number = fc.oneof(fc.constantFrom('0', '1', '2', '01', '-1', '1e3', '255', '256', '999999999', '9999999999', ' 1', '1.0', ''), anyStringUpTo(12));
    const query = fc.oneof(
      fc.record({ status: statusValue, attempt: number, exit: number, extra: anyStringUpTo(20) }, { requiredKeys: [] }),
      // What an agent sends: the job's attempts, its statuses, an exit code now and then.
      fc.record({ status: fc.constantFrom('started', 'finished', 'interrupting', 'rebalance', 'output'), attempt: fc.constantFrom('1', '2'), exit: fc.constantFrom('0', '1', '137') }, { requiredKeys: ['status', 'attempt'] }),
    );
    const body = fc.oneof(
      fc.record({ exitCode: fc.oneof(fc.integer({ min: -5, max: 300 }), fieldValue), logTail: fc.oneof(anyStringUpTo(5000), fieldValue), timedOut: fc.oneof(fc.boolean(), fieldValue), ranSeconds: fc.oneof(fc.integer({ min: -5, max: 40_000_000 }), fieldValue) }, { requiredKeys: [] }).map((b) => JSON.stringify(b)),
      fc.jsonValue({ maxDepth: 2 }).map((b) => JSON.stringify(b)),
      anyStringUpTo(3000),
      fc.constant('x'.repeat(70_000)),
    );
    const request = fc.record({
      id: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...jobIds) }, { weight: 1, arbitrary: pathId }),
      query,
      // A token for the job and the attempt asked about, for another attempt, garbled, or none.
      tokenKind: fc.constantFrom('right', 'right', 'other-attempt', 'garbled', 'none', 'basic'),
      body,
      contentType: fc.constantFrom('application/json', 'text/plain', undefined),
    });
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(request, async ({ id, query: q, tokenKind, body: payload, contentType }) => {
        const search = new URLSearchParams(Object.entries(q).filter((entry): entry is [string, string] => entry[1] !== undefined)).toString();
        const attempt = q.attempt ?? '';
        const decodedId = safeDecode(id);
        const authorization =
          tokenKind === 'right' ? `Bearer ${token(decodedId, attempt)}` : tokenKind === 'other-attempt' ? `Bearer ${token(decodedId, `${Number(attempt) + 1}`)}` : tokenKind === 'garbled' ? `Bearer ${token(decodedId, attempt).slice(1)}x` : tokenKind === 'basic' ? 'Basic dXNlcjpwYXNz' : undefined;
        const before = stored();
        const reply = await app.inject({ method: 'PUT', url: `/v1/notifications/${id}?${search}`, payload, headers: { ...(authorization && { authorization }), ...(contentType && { 'content-type': contentType }) } });
        if (reply.statusCode < 300) accepted++;
        await expectRefusalChangedNothing(before, reply.statusCode, `${id}?${search} ${tokenKind} ${payload.slice(0, 200)} → ${reply.statusCode} ${reply.body.slice(0, 300)}`);
      }),
      { numRuns: FUZZ_RUNS, seed },
    );
    expect(accepted).toBeGreaterThan(0);
  }, 120_000);
});

describe.each(propertySeeds())('the agent\'s job endpoint under generated requests (seed %i)', (seed) => {
  test(`GET /v1/agent/<job-id>: ${FUZZ_RUNS} requests, no 5xx, nothing written, the job only for its own token`, async () => {
    // A job of its own, launched: the REST fuzz before may have cancelled the others (410 then).
    const spec = { image: 'alpine', command: ['true'], env: { SECRET_VALUE: 'x' }, instanceTypes: ['t3.micro'], interruptionsTolerated: 3 };
    const live = await replica.engine.createJob({ spec, runAt: clock.now().toISOString(), owner: { kind: 'api', id: 'api' } });
    await settled();
    const ids = [live.id, ...jobIds];
    const attempt = fc.oneof(fc.constantFrom('1', '2', '0', '01', '-1', '1e3', ' 1', ''), anyStringUpTo(12));
    const request = fc.record({
      id: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...ids) }, { weight: 1, arbitrary: pathId }),
      query: fc.oneof(fc.record({ attempt, extra: anyStringUpTo(20) }, { requiredKeys: [] }), fc.record({ attempt: fc.constantFrom('1', '2') })),
      tokenKind: fc.constantFrom('right', 'right', 'other-attempt', 'other-job', 'garbled', 'none', 'basic'),
    });
    let served = 0;
    await fc.assert(
      fc.asyncProperty(request, async ({ id, query: q, tokenKind }) => {
        const search = new URLSearchParams(Object.entries(q).filter((entry): entry is [string, string] => entry[1] !== undefined)).toString();
        const asked = q.attempt ?? '';
        const decodedId = safeDecode(id);
        const other = ids.find((job) => job !== decodedId) ?? ids[0]!;
        const authorization =
          tokenKind === 'right' ? `Bearer ${token(decodedId, asked)}` : tokenKind === 'other-attempt' ? `Bearer ${token(decodedId, `${Number(asked) + 1}`)}` : tokenKind === 'other-job' ? `Bearer ${token(other, asked)}` : tokenKind === 'garbled' ? `Bearer ${token(decodedId, asked).slice(1)}x` : tokenKind === 'basic' ? 'Basic dXNlcjpwYXNz' : undefined;
        const before = stored();
        const reply = await app.inject({ method: 'GET', url: `/v1/agent/${id}?${search}`, headers: { ...(authorization && { authorization }) } });
        const what = `${id}?${search} ${tokenKind} → ${reply.statusCode} ${reply.body.slice(0, 300)}`;
        expect(reply.statusCode, what).toBeLessThan(500);
        if (reply.statusCode === 200) {
          served++;
          // The job's env values: never kept by a cache on the way.
          expect(reply.headers['cache-control'], what).toBe('no-store');
          expect(tokenKind, what).toBe('right');
        }
        await settled();
        expect(stored(), what).toBe(before);
      }),
      { numRuns: FUZZ_RUNS, seed },
    );
    expect(served).toBeGreaterThan(0);
  }, 120_000);
});

/** Percent-encodes any string; a lone surrogate becomes bytes that are not UTF-8 (as a hostile client may send). */
function encodeSegment(text: string): string {
  let out = '';
  for (const char of text) out += /^[\uD800-\uDFFF]$/.test(char) ? '%ED%A0%80' : encodeURIComponent(char);
  return out;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
