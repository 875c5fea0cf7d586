/**
 * The client-side EC2 limiter: the documented buckets of the calls Sched makes, the limiter on
 * fake timers at AWS's real numbers, and the SDK middleware against a loopback stand-in for EC2
 * that records when each request arrived (real time, at a faster RunInstances bucket).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { DescribeInstancesCommand, RunInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEc2Client, EC2_RATE_LIMIT_MIDDLEWARE, ec2Action } from '../../bot/adapters/aws-clients.js';
import { chargesFor, DEFAULT_EC2_RATE_SHARE, Ec2RateLimiter, type Ec2RateLimiterOptions } from '../../bot/adapters/ec2-rate-limits.js';
import { TEST_CREDENTIALS, TEST_REGION } from '../harness/moto.js';

const limit = (capacity: number, refillPerSecond: number) => ({ capacity, refillPerSecond });
const TAGGED = { Filters: [{ Name: 'tag:sched-deployment', Values: ['prod'] }] };

describe('the documented buckets of the calls Sched makes', () => {
  it.each([
    ['RunInstances', { MaxCount: 1, MinCount: 1 }, [['RunInstances', limit(5, 2), 1], ['RunInstances (resources)', limit(1000, 2), 1]]],
    ['RunInstances', { MaxCount: 3, MinCount: 1 }, [['RunInstances', limit(5, 2), 1], ['RunInstances (resources)', limit(1000, 2), 3]]],
    ['TerminateInstances', { InstanceIds: ['i-1', 'i-2'] }, [['TerminateInstances', limit(100, 5), 1], ['TerminateInstances (resources)', limit(1000, 20), 2]]],
    ['DescribeInstances', TAGGED, [['DescribeInstances', limit(100, 20), 1]]],
    ['DescribeInstances', { MaxResults: 1000 }, [['DescribeInstances', limit(100, 20), 1]]],
    ['DescribeInstances', {}, [['DescribeInstances', limit(100, 20), 1], ['DescribeInstances (unfiltered)', limit(50, 10), 1]]],
    ['DescribeSpotInstanceRequests', TAGGED, [['DescribeSpotInstanceRequests', limit(100, 20), 1]]],
    ['DescribeSpotInstanceRequests', { Filters: [] }, [['DescribeSpotInstanceRequests', limit(100, 20), 1], ['DescribeSpotInstanceRequests (unfiltered)', limit(50, 10), 1]]],
    ['DescribeSpotPriceHistory', {}, [['DescribeSpotPriceHistory', limit(100, 20), 1]]],
    ['CancelSpotInstanceRequests', { SpotInstanceRequestIds: ['sir-1'] }, [['CancelSpotInstanceRequests', limit(50, 5), 1]]],
    ['RequestSpotInstances', {}, [['RequestSpotInstances', limit(50, 5), 1]]],
    ['CreateTags', {}, [['CreateTags', limit(100, 10), 1]]],
    // Not in the table: by category.
    ['CreateFleet', {}, [['CreateFleet', limit(50, 5), 1]]],
    ['DescribeInstanceTypeOfferings', {}, [['DescribeInstanceTypeOfferings', limit(100, 20), 1]]],
  ] as const)('%s %o', (action, input, expected) => {
    expect(chargesFor(action, input).map((c) => [c.key, c.limit, c.cost])).toEqual(expected);
  });

  it('DESIGN.md\'s examples hold: Describe 100 then 20/s, mutating 50 then 5/s, RunInstances 5 then 2/s', () => {
    expect(chargesFor('DescribeSpotPriceHistory', {})[0]!.limit).toEqual(limit(100, 20));
    expect(chargesFor('CreateLaunchTemplate', {})[0]!.limit).toEqual(limit(50, 5));
    expect(chargesFor('RunInstances', {})[0]!.limit).toEqual(limit(5, 2));
  });

  it('a limiter uses its share of every bucket, never less than one token of burst', () => {
    const half = new Ec2RateLimiter({ share: 0.5 });
    expect(half.chargesFor('RunInstances', {}).map((c) => c.limit)).toEqual([limit(2.5, 1), limit(500, 1)]);
    const tiny = new Ec2RateLimiter({ share: 0.1 });
    expect(tiny.chargesFor('RunInstances', {})[0]!.limit).toEqual(limit(1, 0.2));
    expect(DEFAULT_EC2_RATE_SHARE).toBeGreaterThan(0);
    expect(DEFAULT_EC2_RATE_SHARE).toBeLessThan(1);
  });

  it.each([0, -0.5, 1.5, Number.NaN])('refuses the share %s', (share) => {
    expect(() => new Ec2RateLimiter({ share })).toThrow(RangeError);
  });

  it('the SDK names commands <Action>Command', () => {
    expect(ec2Action(RunInstancesCommand.name)).toBe('RunInstances');
  });
});

describe('the limiter on fake timers, at the documented limits', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Issues `count` RunInstances at once; answers the fake time (s) each was let go, in the order they were let go. */
  async function burst(count: number, options: Ec2RateLimiterOptions): Promise<{ index: number; atS: number }[]> {
    vi.useFakeTimers({ now: 0 });
    const limiter = new Ec2RateLimiter({ ...options, clock: { now: () => new Date() } });
    const released: { index: number; atS: number }[] = [];
    const all = Array.from({ length: count }, (_, index) =>
      limiter.acquire('RunInstances', { MinCount: 1, MaxCount: 1 }).then(() => released.push({ index, atS: Date.now() / 1000 })),
    );
    await vi.runAllTimersAsync();
    await Promise.all(all);
    return released;
  }

  // (200 − 5 burst) / 2 per second = 97.5 s.
  it('200 RunInstances at once at the full documented rate: 5 at once, then 2 a second, the last after 97.5 s, in the order issued', async () => {
    const released = await burst(200, { share: 1 });
    expect(released.map((r) => r.index)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(released.filter((r) => r.atS === 0)).toHaveLength(5);
    expect(released[199]!.atS).toBeCloseTo(97.5, 2);
    for (let s = 0; s < 98; s++) {
      expect(released.filter((r) => r.atS > s && r.atS <= s + 1).length).toBeLessThanOrEqual(2);
    }
  });

  // (200 − 2.5 burst) / 1 per second = 197.5 s.
  it('the same burst at the default share of one half: the last after 197.5 s', async () => {
    const released = await burst(200, {});
    expect(released[199]!.atS).toBeCloseTo(197.5, 2);
  });

  it('a Describe is not held behind the RunInstances queue', async () => {
    vi.useFakeTimers({ now: 0 });
    const limiter = new Ec2RateLimiter({ share: 1, clock: { now: () => new Date() } });
    for (let i = 0; i < 50; i++) void limiter.acquire('RunInstances', {});
    expect(await limiter.acquire('DescribeInstances', TAGGED)).toBe(0);
    expect(limiter.book('RunInstances', {})).toBe(23_000);
    await vi.runAllTimersAsync();
  });
});

/** Times (ms) of calls a bucket of `capacity` + `perSecond`/s paid for: no window holds more than it allows. */
function expectWithin(timesMs: readonly number[], capacity: number, perSecond: number): void {
  const sorted = [...timesMs].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + Math.floor(capacity); j < sorted.length; j++) {
      const windowS = (sorted[j]! - sorted[i]!) / 1000;
      expect(j - i + 1, `${j - i + 1} requests within ${(sorted[j]! - sorted[i]!).toFixed(1)} ms`).toBeLessThanOrEqual(capacity + perSecond * windowS + 1e-6);
    }
  }
}

/** A loopback stand-in for EC2 that records each request's action, client token and arrival time. */
interface Hit {
  action: string;
  token: string | null;
  atMs: number;
}

describe('the middleware on a real EC2 client, against a loopback EC2', () => {
  let server: Server;
  let endpoint: string;
  const hits: Hit[] = [];
  /** Whether the n-th attempt (1-based) of a client token is answered 503; otherwise 200. */
  let failAttempt: (hit: Hit, n: number) => boolean = () => false;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const hit = { action: form.get('Action') ?? '', token: form.get('ClientToken'), atMs: performance.now() };
        hits.push(hit);
        if (failAttempt(hit, hits.filter((h) => h.token === hit.token).length)) {
          res
            .writeHead(503, { 'content-type': 'text/xml' })
            .end('<Response><Errors><Error><Code>ServiceUnavailable</Code><Message>try again</Message></Error></Errors><RequestID>x</RequestID></Response>');
          return;
        }
        res
          .writeHead(200, { 'content-type': 'text/xml;charset=UTF-8' })
          .end(`<${hit.action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId></${hit.action}Response>`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  function client(ec2RateLimit: Ec2RateLimiter | Ec2RateLimiterOptions | false, maxAttempts = 1): EC2Client {
    hits.length = 0;
    failAttempt = () => false;
    return createEc2Client({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts, ec2RateLimit });
  }

  /**
   * A client whose first request (another bucket) has gone: the SDK's first send spends about
   * 250 ms after the limiter let it go (credentials, signer, sockets), which would bunch the
   * first launches together at the server and measure the SDK's start instead of the limiter.
   */
  async function warmClient(ec2RateLimit: Ec2RateLimiter | Ec2RateLimiterOptions | false, maxAttempts = 1): Promise<EC2Client> {
    const ec2 = client(ec2RateLimit, maxAttempts);
    await ec2.send(new DescribeInstancesCommand(TAGGED));
    hits.length = 0;
    return ec2;
  }

  const launch = (token: string) => new RunInstancesCommand({ ImageId: 'ami-1', MinCount: 1, MaxCount: 1, ClientToken: token });

  it('is on by default against AWS, off by default against an endpoint, and on there when asked', () => {
    const names = (c: EC2Client) => c.middlewareStack.identify().join('\n');
    expect(names(createEc2Client({ region: TEST_REGION, credentials: TEST_CREDENTIALS }))).toContain(EC2_RATE_LIMIT_MIDDLEWARE);
    expect(names(createEc2Client({ endpoint: 'http://127.0.0.1:1', region: TEST_REGION, credentials: TEST_CREDENTIALS }))).not.toContain(EC2_RATE_LIMIT_MIDDLEWARE);
    expect(names(client({}))).toContain(EC2_RATE_LIMIT_MIDDLEWARE);
    expect(names(client(false))).not.toContain(EC2_RATE_LIMIT_MIDDLEWARE);
  });

  // A "documented" bucket of 40 refilled 100 a second (50× AWS's 2) keeps the test short; at the
  // default share of one half the limiter books 20, then 50 a second: (200 − 20) / 50 = 3.6 s.
  // The server's bucket then stays full, so it takes a stall of the test process of up to about
  // 0.8 s (40 requests let go at once) before the server would refuse one; AWS's own RunInstances
  // bucket (5, then 2 a second, against the limiter's 1) takes one of about 5 s.
  const FAST = { share: 0.5, requestLimits: { RunInstances: limit(40, 100) } };

  it('200 RunInstances at once leave the client no faster than the bucket allows, in the order they reach it, in 3.6 s (within 10 %)', async () => {
    // When the limiter booked each request to go (exact), and when the server saw it.
    let lastNowMs = 0;
    const clock = { now: () => new Date((lastNowMs = Date.now())) };
    const limiter = new Ec2RateLimiter({ ...FAST, clock });
    const booked: { token: string; atMs: number }[] = [];
    const released: string[] = [];
    const acquire = limiter.acquire.bind(limiter);
    limiter.acquire = async (action, input) => {
      const waiting = acquire(action, input); // books at once, on the clock's time
      const bookedAtMs = lastNowMs;
      const token = (input as { ClientToken?: string }).ClientToken ?? '';
      const entry = { token, atMs: Number.NaN };
      if (action === 'RunInstances') booked.push(entry);
      const waited = await waiting;
      entry.atMs = bookedAtMs + waited;
      if (action === 'RunInstances') released.push(token);
      return waited;
    };
    const ec2 = await warmClient(limiter);
    const started = performance.now();
    await Promise.all(Array.from({ length: 200 }, (_, i) => ec2.send(launch(`job-${i}`))));
    const elapsedS = (performance.now() - started) / 1000;
    ec2.destroy();

    // FIFO: each request goes at or after the one that reached the limiter before it, and is let
    // go in that order (the SDK's own async steps may reorder requests before they reach it).
    expect(booked).toHaveLength(200);
    booked.forEach((b, i) => i > 0 && expect(b.atMs).toBeGreaterThanOrEqual(booked[i - 1]!.atMs));
    expect(released).toEqual(booked.map((b) => b.token));
    // No window between two bookings holds more than 20 + 50·t of them.
    expectWithin(booked.map((b) => b.atMs), 20, 50);
    // At the server, timers and a busy event loop bunch requests by tens of milliseconds: the
    // share absorbs that, so what arrives stays within the documented bucket, 40 + 100·t.
    const arrivals = hits.filter((h) => h.action === 'RunInstances').map((h) => h.atMs);
    expect(arrivals).toHaveLength(200);
    expectWithin(arrivals, 40, 100);
    console.log(JSON.stringify({ metric: 'ec2_limiter_200_launches', bucket: '40 + 100/s at share 0.5', expected_s: 3.6, elapsed_s: Number(elapsedS.toFixed(3)) }));
    expect(Math.abs(elapsedS - 3.6) / 3.6).toBeLessThan(0.1);
  });

  it('without the limiter the same burst reaches EC2 at once (what the test above guards against)', async () => {
    const ec2 = await warmClient(false);
    const started = performance.now();
    await Promise.all(Array.from({ length: 200 }, (_, i) => ec2.send(launch(`job-${i}`))));
    ec2.destroy();
    expect((performance.now() - started) / 1000).toBeLessThan(3.6 / 2);
  });

  it('every attempt waits for a token: a retried request is a request AWS counts', async () => {
    const ec2 = await warmClient({ share: 1, requestLimits: { RunInstances: limit(1, 10) } }, 2);
    failAttempt = (_hit, n) => n === 1;
    await Promise.all(Array.from({ length: 5 }, (_, i) => ec2.send(launch(`retry-${i}`))));
    ec2.destroy();
    const arrivals = hits.map((h) => h.atMs);
    expect(arrivals).toHaveLength(10);
    // One token, refilled 10 a second: ten attempts 100 ms apart, less the slack of a loaded
    // machine's timers; the retries would come within a few ms of their failure if they skipped it.
    const sorted = [...arrivals].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(75);
    expect(sorted[9]! - sorted[0]!).toBeGreaterThanOrEqual(900 - 20);
  });

  it('a filtered Describe is sent at once while launches wait', async () => {
    const ec2 = client({ share: 1, requestLimits: { RunInstances: limit(1, 2) } });
    const launches = Promise.all([ec2.send(launch('a')), ec2.send(launch('b')), ec2.send(launch('c'))]);
    const started = performance.now();
    await ec2.send(new DescribeInstancesCommand(TAGGED)).catch(() => undefined);
    expect(performance.now() - started).toBeLessThan(300);
    await launches;
    ec2.destroy();
  });
});
