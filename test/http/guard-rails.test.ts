/**
 * `POST /v1/jobs` under the operator's guard rails: a `max_price` above SCHED_MAX_PRICE_CEILING or a
 * `timeout` above SCHED_MAX_TIMEOUT is a 400 naming the limit, with nothing stored or launched; a
 * job that leaves them out gets the ceiling (its spot request's MaxPrice) and the default timeout.
 * An image named through a podman transport (`oci:x`, `containers-storage:x`) is a 400 too.
 */
import pino from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import type { GuardRails } from '../../bot/core/request/guard-rails.js';
import { buildHttpServer } from '../../bot/http/server.js';
import { FakeClock } from '../harness/clock.js';
import { memoryReplica } from '../harness/memory-engine.js';

const API_TOKEN = 'api-token-0123456789abcdef-guard-rails';
const RAILS: GuardRails = { maxPriceCeiling: '0.25', defaultTimeoutSeconds: 1800, maxTimeoutSeconds: 7200 };

function world(rails?: GuardRails) {
  const clock = new FakeClock();
  const replica = memoryReplica({ clock, ...(rails && { guardRails: rails }) });
  const app = buildHttpServer({
    jobs: replica.engine,
    secret: 'guard-rails-secret-0123456789abcdefghij',
    apiToken: API_TOKEN,
    defaults: { instanceTypes: ['t3.micro'], interruptionsTolerated: 3, ...(rails && { guardRails: rails }) },
    clock,
    logger: pino({ level: 'silent' }),
  });
  opened.push(app);
  const post = (body: object) => app.inject({ method: 'POST', url: '/v1/jobs', headers: { authorization: `Bearer ${API_TOKEN}` }, payload: body });
  return { ...replica, post };
}

const opened: ReturnType<typeof buildHttpServer>[] = [];
afterEach(async () => {
  for (const app of opened.splice(0)) await app.close();
});

describe('POST /v1/jobs and the guard rails on cost', () => {
  test('above the ceiling or the maximum run time: 400 naming the limit; nothing stored or launched', async () => {
    const { post, store, fleet } = world(RAILS);
    for (const [body, problem] of [
      [{ max_price: 999999 }, "max_price: 999999 USD per hour is above this deployment's ceiling of 0.25 (the operator's SCHED_MAX_PRICE_CEILING)"],
      [{ max_price: '0.250001' }, "max_price: 0.250001 USD per hour is above this deployment's ceiling of 0.25 (the operator's SCHED_MAX_PRICE_CEILING)"],
      [{ timeout: '2h1s' }, "timeout: 7201s is longer than this deployment's maximum of 2h (the operator's SCHED_MAX_TIMEOUT)"],
      [{ timeout: '3h', dry_run: true }, "timeout: 3h is longer than this deployment's maximum of 2h (the operator's SCHED_MAX_TIMEOUT)"],
    ] as const) {
      const reply = await post({ docker_image: 'alpine', ...body });
      expect(reply.statusCode).toBe(400);
      expect(reply.json().error.problems).toEqual([problem]);
    }
    expect(await store.listCreatedSince('1970-01-01T00:00:00.000Z', 100)).toEqual([]);
    expect(fleet.plans).toEqual([]);
  });

  test('left out: the ceiling as max price, sent as the spot request MaxPrice, and the default timeout', async () => {
    const { post, fleet } = world(RAILS);
    const reply = await post({ docker_image: 'alpine' });
    expect(reply.statusCode).toBe(201);
    expect(reply.json()).toMatchObject({ max_price: '0.25', timeout: 1800 });
    expect(fleet.plans.map((plan) => plan.maxPrice)).toEqual(['0.25']);
    expect((await post({ docker_image: 'alpine', max_price: 0.25, timeout: '2h' })).statusCode).toBe(201);
  });

  test('without limits: as before (no timeout, no max price)', async () => {
    const { post } = world();
    expect((await post({ docker_image: 'alpine', max_price: 999999, timeout: '30d' })).statusCode).toBe(201);
    expect((await post({ docker_image: 'alpine' })).json()).toMatchObject({ max_price: null, timeout: null });
  });
});

describe('image names a container engine would not pull from a registry', () => {
  test('a podman transport prefix is refused with the reason; docker: and registry ports are not', async () => {
    const { post, fleet } = world();
    for (const image of ['oci:x', 'containers-storage:x', 'oci-archive:backup', 'docker-archive:img', 'docker-daemon:alpine', 'dir:x', 'docker://alpine']) {
      const reply = await post({ docker_image: image });
      expect(reply.statusCode, image).toBe(400);
      expect(reply.json().error.problems[0]).toMatch(new RegExp(`^docker_image: "${image.replace(/[.:/]/g, '\\$&')}" names an image through podman's "[a-z-]+:" transport .*; give a registry image such as`));
    }
    expect(fleet.plans).toEqual([]);
    for (const image of ['docker:27-dind', 'localhost:5000/oci', 'registry.example.com:443/dir/x:1', 'ocean:1']) {
      expect((await post({ docker_image: image })).statusCode, image).toBe(201);
    }
  });
});
