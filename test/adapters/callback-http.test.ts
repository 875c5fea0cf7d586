import dns from 'node:dns';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HttpCallbackSender } from '../../bot/adapters/callback-http.js';
import { checkCallbackTarget, type HostResolver, nonPublicRange, type ResolvedAddress } from '../../bot/adapters/callback-target.js';
import type { CallbackPayload } from '../../bot/core/callback.js';
import { FakeClock } from '../harness/clock.js';
import { verifyCallbackSignature } from '../../bot/security/hmac.js';

const SECRET = 'callback-test-secret-5f1e';
const NOW_MS = 1_760_000_000_123;
const PAYLOAD: CallbackPayload = {
  job_id: 'job-1',
  status: 'succeeded',
  exit_code: 0,
  attempts: 2,
  interruptions: 1,
  started_at: '2025-10-09T08:00:00.000Z',
  finished_at: '2025-10-09T08:14:00.000Z',
  cost_usd: 0.03,
  saved_usd: 0.07,
  name: 'nightly ünïcode',
};

// ---------------------------------------------------------------------------------------------
// Network rule (README.md, "Developing": tests only ever talk to 127.0.0.1): nothing in this file
// may leave loopback, even if the code under test is wrong. Every TCP connect is recorded; one to
// anything but a loopback address is refused before a packet is sent, including addresses handed
// out by a `lookup` option. The system resolver is blocked outright: no test needs it, and a query
// would leave the machine.
// ---------------------------------------------------------------------------------------------

interface ConnectAttempt {
  host: string;
  port: number;
}

let connects: ConnectAttempt[] = [];
let systemDnsCalls = 0;

function isLoopbackAddress(address: string): boolean {
  return /^127\.\d+\.\d+\.\d+$/.test(address) || address === '::1';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;
type Lookup = (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => void;

function loopbackOnlyLookup(lookup: Lookup): Lookup {
  return (hostname, options, callback) =>
    lookup(hostname, options, (err, address, family) => {
      const all = typeof address === 'string' ? [address] : address.map((a) => a.address);
      // An empty answer is no loopback answer either: refused like any other.
      if (!err && (all.length === 0 || !all.every(isLoopbackAddress))) {
        callback(new Error(`test network guard: lookup of ${hostname} gave non-loopback ${all.join(', ') || 'nothing'}`), '');
        return;
      }
      callback(err, address, family);
    });
}

beforeEach(() => {
  connects = [];
  systemDnsCalls = 0;
  const originalConnect = net.Socket.prototype.connect;
  vi.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (this: net.Socket, ...args: unknown[]) {
    // net.connect() passes its normalised [options, callback] array as the only argument.
    const first = args[0];
    const options = (Array.isArray(first) ? first[0] : first) as net.TcpNetConnectOpts;
    const host = options.host ?? 'localhost';
    connects.push({ host, port: options.port });
    if (!isLoopbackAddress(host)) {
      // An IP literal is connected to as is (no lookup), so only a name can be vetted via lookup.
      if (net.isIP(host) !== 0 || typeof options.lookup !== 'function') {
        throw new Error(`test network guard: refused connect to ${host}`);
      }
      options.lookup = loopbackOnlyLookup(options.lookup as Lookup) as net.LookupFunction;
    }
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  });
  const originalLookup = dns.lookup;
  vi.spyOn(dns, 'lookup').mockImplementation(((...args: unknown[]) => {
    // server.listen('127.0.0.1') "looks up" its literal; that never leaves the process.
    if (typeof args[0] === 'string' && net.isIP(args[0]) !== 0) {
      return (originalLookup as (...a: unknown[]) => void)(...args);
    }
    systemDnsCalls++;
    const callback = args[args.length - 1] as LookupCallback;
    callback(Object.assign(new Error('test network guard: system DNS is blocked'), { code: 'EBLOCKED' }), '');
  }) as typeof dns.lookup);
  vi.spyOn(dns.promises, 'lookup').mockImplementation(async () => {
    systemDnsCalls++;
    throw Object.assign(new Error('test network guard: system DNS is blocked'), { code: 'EBLOCKED' });
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

// ---------------------------------------------------------------------------------------------
// A loopback receiver that records what arrives.
// ---------------------------------------------------------------------------------------------

interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Receiver {
  port: number;
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

const receivers: Receiver[] = [];

async function startReceiver(
  respond: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => res.writeHead(200).end('ok'),
): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      respond(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  receivers.push(receiver);
  return receiver;
}

/** A resolver that must not be asked: IP literals and refused names need no resolution. */
const noResolve: HostResolver = async (host) => {
  throw new Error(`resolver called for ${host}`);
};

function fixedResolver(...addresses: string[]): HostResolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (host: string): Promise<ResolvedAddress[]> => {
    calls.push(host);
    return addresses.map((address) => ({ address, family: net.isIP(address) }));
  };
  return Object.assign(resolve, { calls });
}

function sender(options: Partial<ConstructorParameters<typeof HttpCallbackSender>[0]> = {}): HttpCallbackSender {
  return new HttpCallbackSender({ secret: SECRET, allowPrivate: true, clock: new FakeClock(new Date(NOW_MS)), resolve: noResolve, ...options });
}

// ---------------------------------------------------------------------------------------------

describe('HttpCallbackSender delivering to a loopback receiver (allowPrivate)', () => {
  it('POSTs the exact JSON body with a verifiable signature, the timestamp and the idempotency key', async () => {
    const receiver = await startReceiver();
    const outcome = await sender({ userAgent: 'sched-test/1' }).send(`${receiver.url}/hooks/done?team=a&x=1`, PAYLOAD, 'job-1:callback:3');

    expect(outcome).toStrictEqual({ ok: true, statusCode: 200 });
    expect(receiver.requests).toHaveLength(1);
    const [request] = receiver.requests;
    if (!request) throw new Error('no request');
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/hooks/done?team=a&x=1');
    expect(request.body).toBe(JSON.stringify(PAYLOAD));
    expect(JSON.parse(request.body)).toStrictEqual(PAYLOAD);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['content-length']).toBe(String(Buffer.byteLength(request.body)));
    expect(request.headers['user-agent']).toBe('sched-test/1');
    expect(request.headers['idempotency-key']).toBe('job-1:callback:3');
    expect(request.headers['x-sched-timestamp']).toBe('1760000000');
    const signature = request.headers['x-sched-signature'];
    expect(signature).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifyCallbackSignature(SECRET, 1_760_000_000, request.body, String(signature), { nowSeconds: 1_760_000_010 })).toBe(true);
    expect(verifyCallbackSignature('wrong-secret', 1_760_000_000, request.body, String(signature))).toBe(false);
    expect(JSON.stringify(request)).not.toContain(SECRET);
    expect(connects).toStrictEqual([{ host: '127.0.0.1', port: receiver.port }]);
  });

  it('connects only to the address it checked: one resolution, pinned, Host kept as the name', async () => {
    const receiver = await startReceiver();
    // Rebinding: a second resolution would get an address the receiver does not listen on.
    let calls = 0;
    const rebinding: HostResolver = async () => [{ address: ++calls === 1 ? '127.0.0.1' : '127.0.0.99', family: 4 }];
    const outcome = await sender({ resolve: rebinding }).send(`http://callback.test:${receiver.port}/cb`, PAYLOAD, 'k-1');

    expect(outcome).toStrictEqual({ ok: true, statusCode: 200 });
    expect(calls).toBe(1);
    expect(systemDnsCalls).toBe(0);
    expect(receiver.requests[0]?.headers.host).toBe(`callback.test:${receiver.port}`);
  });

  it.each([200, 201, 202, 204])('%i → delivered', async (status) => {
    const receiver = await startReceiver((_req, res) => res.writeHead(status).end());
    expect(await sender().send(receiver.url, PAYLOAD, 'k')).toStrictEqual({ ok: true, statusCode: status });
  });

  it.each([500, 502, 503, 504, 429, 408, 425])('%i → retryable failure', async (status) => {
    const receiver = await startReceiver((_req, res) => res.writeHead(status).end('busy'));
    const outcome = await sender().send(receiver.url, PAYLOAD, 'k');
    expect(outcome).toMatchObject({ ok: false, statusCode: status, permanent: false });
    expect(outcome.ok === false && outcome.error).toContain(String(status));
  });

  it.each([400, 401, 403, 404, 405, 410, 413, 422])('%i → permanent failure', async (status) => {
    const receiver = await startReceiver((_req, res) => res.writeHead(status).end('no'));
    const outcome = await sender().send(receiver.url, PAYLOAD, 'k');
    expect(outcome).toMatchObject({ ok: false, statusCode: status, permanent: true });
    expect(outcome.ok === false && outcome.error).toContain(String(status));
  });

  it.each([301, 302, 307, 308])('%i → permanent failure, and the Location is not followed', async (status) => {
    const elsewhere = await startReceiver();
    const receiver = await startReceiver((_req, res) => res.writeHead(status, { Location: `${elsewhere.url}/stolen` }).end());
    const outcome = await sender().send(receiver.url, PAYLOAD, 'k');

    expect(outcome).toMatchObject({ ok: false, statusCode: status, permanent: true });
    expect(outcome.ok === false && outcome.error).toMatch(/redirect/);
    expect(receiver.requests).toHaveLength(1);
    expect(elsewhere.requests).toHaveLength(0);
    expect(connects.map((c) => c.port)).toStrictEqual([receiver.port]);
  });

  it('gives up on a receiver slower than timeoutMs, retryably', async () => {
    const receiver = await startReceiver(() => undefined); // never answers
    const started = performance.now();
    // The receiver never answers: any outcome at all is the sender's own deadline at work.
    const outcome = await sender({ timeoutMs: 200 }).send(receiver.url, PAYLOAD, 'k');
    const elapsed = performance.now() - started;

    expect(outcome).toStrictEqual({ ok: false, error: 'callback timed out after 200 ms', permanent: false });
    // Not before its time (a timer never fires early; 10 ms for clock rounding).
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(receiver.requests).toHaveLength(1);
  });

  it('counts a resolver that hangs against the same deadline', async () => {
    const hanging: HostResolver = () => new Promise(() => undefined);
    const outcome = await sender({ timeoutMs: 100, resolve: hanging }).send('http://slow-dns.test/cb', PAYLOAD, 'k');
    expect(outcome).toStrictEqual({ ok: false, error: 'callback timed out after 100 ms', permanent: false });
    expect(connects).toHaveLength(0);
  });

  it('answers with the status as soon as the headers arrive, without waiting for a trickling body', async () => {
    const receiver = await startReceiver((_req, res) => {
      res.writeHead(200);
      res.write('x'); // and never ends
    });
    // The body never ends, and the deadline is past the test's own: a sender that waited for the
    // body would never answer, and this test would time out.
    const outcome = await sender({ timeoutMs: 120_000 }).send(receiver.url, PAYLOAD, 'k');
    expect(outcome).toStrictEqual({ ok: true, statusCode: 200 });
  });

  it('reads a few KB of a huge answer and hangs up', async () => {
    const receiver = await startReceiver((_req, res) => {
      res.writeHead(500);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      const pump = (): void => {
        while (sent < 1_000 && res.write(chunk)) sent++;
        if (sent < 1_000 && !res.destroyed) res.once('drain', pump);
        else res.end();
      };
      pump();
    });
    const outcome = await sender().send(receiver.url, PAYLOAD, 'k');
    expect(outcome).toMatchObject({ ok: false, statusCode: 500, permanent: false });
  });

  it('treats a refused connection as retryable', async () => {
    const closed = await startReceiver();
    await closed.close();
    const outcome = await sender().send(closed.url, PAYLOAD, 'k');
    expect(outcome).toStrictEqual({ ok: false, error: 'callback request failed: ECONNREFUSED', permanent: false });
  });

  it('treats a resolution failure as retryable and names the host', async () => {
    const failing: HostResolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    const outcome = await sender({ resolve: failing }).send('https://gone.example.test/cb', PAYLOAD, 'k');
    expect(outcome).toStrictEqual({ ok: false, error: 'could not resolve callback host gone.example.test: ENOTFOUND', permanent: false });
    expect(connects).toHaveLength(0);
  });

  it('refuses, permanently and without connecting, a URL that fails the syntax rules', async () => {
    const receiver = await startReceiver();
    for (const url of [`http://user:pw@127.0.0.1:${receiver.port}/`, `ftp://127.0.0.1:${receiver.port}/`, 'not a url']) {
      const outcome = await sender().send(url, PAYLOAD, 'k');
      expect(outcome).toMatchObject({ ok: false, permanent: true });
      expect(outcome.ok === false && outcome.error).not.toContain('pw@');
    }
    expect(connects).toHaveLength(0);
    expect(receiver.requests).toHaveLength(0);
  });

  it('refuses an idempotency key that could split headers', async () => {
    const receiver = await startReceiver();
    const outcome = await sender().send(receiver.url, PAYLOAD, 'k\r\nX-Evil: 1');
    expect(outcome).toMatchObject({ ok: false, permanent: true });
    expect(connects).toHaveLength(0);
  });

  it('keeps the secret out of reach: not enumerable, not serialised, not in any outcome', async () => {
    const s = sender();
    expect(JSON.stringify(s)).not.toContain(SECRET);
    expect(Object.values(s)).not.toContain(SECRET);
    const receiver = await startReceiver((_req, res) => res.writeHead(500).end());
    const outcomes = [
      await s.send(receiver.url, PAYLOAD, 'k'),
      await sender({ allowPrivate: false }).send(receiver.url, PAYLOAD, 'k'),
      await s.send('bad', PAYLOAD, 'k'),
    ];
    expect(JSON.stringify(outcomes)).not.toContain(SECRET);
  });
});

describe('SSRF guard (allowPrivate false): refused before any connection', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['127.0.0.1', 'http://127.0.0.1:PORT/cb', /127\.0\.0\.1 is loopback/],
    ['127.5.5.5', 'http://127.5.5.5:PORT/cb', /127\.5\.5\.5 is loopback/],
    ['2130706433 (decimal 127.0.0.1)', 'http://2130706433:PORT/cb', /127\.0\.0\.1 is loopback/],
    ['localhost', 'http://localhost:PORT/cb', /localhost is loopback/],
    ['LOCALHOST. (case, trailing dot)', 'http://LOCALHOST.:PORT/cb', /is loopback/],
    ['a name under .localhost', 'http://api.localhost:PORT/cb', /api\.localhost is loopback/],
    ['0.0.0.0', 'http://0.0.0.0:PORT/cb', /0\.0\.0\.0 is unspecified/],
    ['10.1.2.3', 'http://10.1.2.3:PORT/cb', /10\.1\.2\.3 is private network/],
    ['172.16.0.1', 'http://172.16.0.1:PORT/cb', /172\.16\.0\.1 is private network/],
    ['192.168.1.1', 'http://192.168.1.1:PORT/cb', /192\.168\.1\.1 is private network/],
    ['169.254.169.254', 'http://169.254.169.254/latest/meta-data/', /link-local \(the instance metadata service\)/],
    ['169.254.10.10', 'http://169.254.10.10:PORT/cb', /169\.254\.10\.10 is link-local/],
    ['100.64.0.1', 'http://100.64.0.1:PORT/cb', /carrier-grade NAT/],
    ['224.0.0.1', 'http://224.0.0.1:PORT/cb', /multicast/],
    ['255.255.255.255', 'http://255.255.255.255:PORT/cb', /broadcast/],
    ['240.0.0.1', 'http://240.0.0.1:PORT/cb', /reserved/],
    ['[::1]', 'http://[::1]:PORT/cb', /::1 is loopback/],
    ['[::]', 'http://[::]:PORT/cb', /unspecified/],
    ['[::ffff:127.0.0.1]', 'http://[::ffff:127.0.0.1]:PORT/cb', /loopback, inside an IPv6 address/],
    ['[::ffff:169.254.169.254]', 'http://[::ffff:169.254.169.254]/', /instance metadata service\), inside an IPv6 address/],
    ['[64:ff9b::10.0.0.1] (NAT64)', 'http://[64:ff9b::10.0.0.1]:PORT/cb', /private network, inside an IPv6 address/],
    ['[fe80::1]', 'http://[fe80::1]:PORT/cb', /fe80::1 is link-local/],
    ['[fc00::1]', 'http://[fc00::1]:PORT/cb', /unique-local/],
    ['[fd12:3456::1]', 'http://[fd12:3456::1]:PORT/cb', /unique-local/],
    ['[ff02::1]', 'http://[ff02::1]:PORT/cb', /multicast/],
    ['[::7f00:1] (IPv4-compatible)', 'http://[::7f00:1]:PORT/cb', /reserved/],
  ];

  it.each(cases)('%s', async (_label, template, reason) => {
    const receiver = await startReceiver();
    const outcome = await sender({ allowPrivate: false }).send(template.replace('PORT', String(receiver.port)), PAYLOAD, 'k');

    expect(outcome).toMatchObject({ ok: false, permanent: true });
    expect(outcome.ok === false && outcome.error).toMatch(reason);
    expect(outcome.ok === false && outcome.error).toMatch(/SCHED_CALLBACK_ALLOW_PRIVATE/);
    expect(connects).toHaveLength(0);
    expect(systemDnsCalls).toBe(0);
    expect(receiver.requests).toHaveLength(0);
  });

  it.each<[string, string[], RegExp]>([
    ['a name that resolves to a private address', ['10.0.0.5'], /internal\.example\.test resolves to a private network address/],
    ['a name that resolves to loopback', ['127.0.0.1'], /resolves to a loopback address/],
    ['a name with one public and one private address', ['93.184.216.34', '192.168.0.10'], /resolves to a private network address/],
    ['a name with a public IPv4 and a link-local IPv6', ['93.184.216.34', 'fe80::1'], /resolves to a link-local address/],
    ['a name that resolves to the metadata service', ['169.254.169.254'], /instance metadata service/],
  ])('%s', async (_label, addresses, reason) => {
    const receiver = await startReceiver();
    const resolve = fixedResolver(...addresses);
    const outcome = await sender({ allowPrivate: false, resolve }).send(`http://internal.example.test:${receiver.port}/cb`, PAYLOAD, 'k');

    expect(outcome).toMatchObject({ ok: false, permanent: true });
    expect(outcome.ok === false && outcome.error).toMatch(reason);
    // What the name resolves to is not told: it would map the bot's network for whoever asks.
    for (const address of addresses.filter((a) => a !== '93.184.216.34')) expect(outcome.ok === false && outcome.error).not.toContain(address);
    expect(resolve.calls).toStrictEqual(['internal.example.test']);
    expect(connects).toHaveLength(0);
    expect(systemDnsCalls).toBe(0);
    expect(receiver.requests).toHaveLength(0);
  });

  it('tells its refusal before any job takes the URL: permanent ones only, no connection made', async () => {
    const privateName = await sender({ allowPrivate: false, resolve: fixedResolver('10.0.0.5') }).refusal('http://internal.example.test/cb');
    expect(privateName).toBe('callback host internal.example.test resolves to a private network address; private callback targets are refused unless SCHED_CALLBACK_ALLOW_PRIVATE is set');
    expect(await sender({ allowPrivate: false, resolve: fixedResolver() }).refusal('http://127.0.0.1:9/cb')).toMatch(/callback address 127\.0\.0\.1 is loopback/);
    expect(await sender({ allowPrivate: true, resolve: fixedResolver() }).refusal('http://127.0.0.1:9/cb')).toBeUndefined();
    expect(await sender({ allowPrivate: false, resolve: fixedResolver('93.184.216.34') }).refusal('https://example.test/cb')).toBeUndefined();
    // DNS failing for now is not a refusal: delivery retries it.
    const failing = Object.assign(async () => Promise.reject(Object.assign(new Error('nope'), { code: 'EAI_AGAIN' })), { calls: [] as string[] });
    expect(await sender({ allowPrivate: false, resolve: failing }).refusal('https://flaky.example.test/cb')).toBeUndefined();
    expect(connects).toHaveLength(0);
  });

  it('refuses a resolver answer that is not an IP address', async () => {
    const resolve = fixedResolver('not-an-ip');
    const outcome = await sender({ allowPrivate: false, resolve }).send('http://weird.example.test/cb', PAYLOAD, 'k');
    expect(outcome).toMatchObject({ ok: false, permanent: true });
    expect(connects).toHaveLength(0);
  });
});

describe('checkCallbackTarget (the guard decision, no connection)', () => {
  it('lets a name with only public addresses through, pinned to those addresses', async () => {
    const resolve = fixedResolver('93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946');
    const decision = await checkCallbackTarget('https://example.com/hooks?x=1', { allowPrivate: false, resolve });

    expect(decision).toMatchObject({
      allowed: true,
      hostname: 'example.com',
      addresses: [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
      ],
    });
    expect(resolve.calls).toStrictEqual(['example.com']);
  });

  it.each(['https://93.184.216.34/cb', 'https://[2606:4700::1111]/cb', 'http://[::ffff:93.184.216.34]/cb'])(
    'lets the public IP literal %s through without resolving',
    async (url) => {
      const decision = await checkCallbackTarget(url, { allowPrivate: false, resolve: noResolve });
      expect(decision.allowed).toBe(true);
    },
  );

  it('lets private targets through when the operator allows them, still resolved once and pinned', async () => {
    const resolve = fixedResolver('10.0.0.5');
    const decision = await checkCallbackTarget('http://internal.example.test/cb', { allowPrivate: true, resolve });
    expect(decision).toMatchObject({ allowed: true, addresses: [{ address: '10.0.0.5', family: 4 }] });
    expect(resolve.calls).toHaveLength(1);
  });

  it('reports an empty resolution as retryable', async () => {
    const decision = await checkCallbackTarget('http://empty.example.test/cb', { allowPrivate: false, resolve: fixedResolver() });
    expect(decision).toMatchObject({ allowed: false, permanent: false });
  });
});

describe('nonPublicRange', () => {
  it.each([
    ['93.184.216.34', undefined],
    ['8.8.8.8', undefined],
    ['2606:4700::1111', undefined],
    ['::ffff:93.184.216.34', undefined],
    ['64:ff9b::808:808', undefined],
    ['127.0.0.1', 'loopback'],
    ['0.0.0.0', 'unspecified address'],
    ['10.255.255.255', 'private network'],
    ['172.31.255.255', 'private network'],
    ['172.32.0.1', undefined],
    ['192.168.0.1', 'private network'],
    ['100.127.255.255', 'carrier-grade NAT (100.64.0.0/10)'],
    ['100.128.0.1', undefined],
    ['169.254.169.254', 'link-local (the instance metadata service)'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'IPv6 unique-local (fc00::/7)'],
    ['fec0::1', 'IPv6 site-local (fec0::/10)'],
    ['2002:7f00:1::', '6to4 tunnel (2002::/16)'],
    ['2001::1', 'Teredo tunnel (2001::/32)'],
    ['2001:db8::1', 'reserved'],
    ['::ffff:10.0.0.1', 'private network, inside an IPv6 address'],
    ['64:ff9b::7f00:1', 'loopback, inside an IPv6 address'],
    ['64:ff9b:1::1', 'NAT64 (64:ff9b::/48)'],
    ['100::1', 'special-purpose range (discard)'],
    ['4000::1', 'reserved (outside IPv6 global unicast 2000::/3)'],
    ['example.com', 'not an IP address'],
    ['127.1', 'not an IP address'],
  ])('%s → %s', (address, expected) => {
    expect(nonPublicRange(address)).toBe(expected);
  });
});
