/**
 * The SSRF guard of callback delivery: may a callback go to this URL, and to which addresses?
 *
 * The callback URL is chosen by whoever creates a job, and the bot usually runs inside a VPC
 * next to the instance metadata service (169.254.169.254) and private services. So, unless the
 * operator allows private targets:
 *
 * 1. the host is resolved once, here, and the request is refused if ANY address it resolves to
 *    is not public unicast (an attacker controls DNS for their own name and can mix answers);
 * 2. the connection is made only to the addresses just checked: `pinnedLookup` replaces `lookup`
 *    with one that answers with them, so a second resolution (DNS rebinding) never happens.
 *
 * A refusal is decided before any socket exists, so not a single packet is sent to the target.
 * The sender (callback-http.ts) adds the third rule: redirects are never followed.
 */
import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { validateCallbackUrlSyntax } from '../core/callback.js';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address of a host name, as `dns.lookup(host, { all: true })` gives them. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

const ALLOW_PRIVATE_HINT = 'private callback targets are refused unless SCHED_CALLBACK_ALLOW_PRIVATE is set';

/** 2000::/3 is the only IPv6 space assigned for global unicast; everything outside it is special. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
/** NAT64 well-known prefix: the last 32 bits are an IPv4 address the gateway will connect to. */
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

const RANGE_NAMES: Record<string, string> = {
  unspecified: 'unspecified address',
  broadcast: 'broadcast address',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT (100.64.0.0/10)',
  private: 'private network',
  reserved: 'reserved',
  uniqueLocal: 'IPv6 unique-local (fc00::/7)',
  deprecatedSiteLocal: 'IPv6 site-local (fec0::/10)',
  '6to4': '6to4 tunnel (2002::/16)',
  teredo: 'Teredo tunnel (2001::/32)',
  rfc6052: 'NAT64 (64:ff9b::/48)',
  rfc6145: 'IPv4-translated',
};

function describeRange(range: string): string {
  return RANGE_NAMES[range] ?? `special-purpose range (${range})`;
}

function nonPublicRangeV4(ip: ipaddr.IPv4): string | undefined {
  const text = ip.toString();
  if (text === '169.254.169.254') return 'link-local (the instance metadata service)';
  const range = ip.range();
  return range === 'unicast' ? undefined : describeRange(range);
}

function embeddedV4(ip: ipaddr.IPv6): ipaddr.IPv4 {
  const [hi, lo] = ip.parts.slice(6);
  return new ipaddr.IPv4([(hi ?? 0) >> 8, (hi ?? 0) & 0xff, (lo ?? 0) >> 8, (lo ?? 0) & 0xff]);
}

/**
 * Why `address` is not a public unicast address, in words for the user; `undefined` if it is
 * public. Text that is not an IP address is never public. IPv6 forms that carry an IPv4 address
 * the kernel or a gateway will actually connect to (IPv4-mapped, IPv4-translated, NAT64
 * well-known prefix) are judged by that IPv4 address.
 */
export function nonPublicRange(address: string): string | undefined {
  const version = net.isIP(address);
  if (version === 0) return 'not an IP address';
  if (version === 4) return nonPublicRangeV4(ipaddr.IPv4.parse(address));
  const ip = ipaddr.IPv6.parse(address);
  const range = ip.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145' || ip.match(NAT64_WELL_KNOWN)) {
    const inner = nonPublicRangeV4(embeddedV4(ip));
    return inner === undefined ? undefined : `${inner}, inside an IPv6 address`;
  }
  if (range !== 'unicast') return describeRange(range);
  if (!ip.match(GLOBAL_UNICAST_V6)) return 'reserved (outside IPv6 global unicast 2000::/3)';
  return undefined;
}

export type CallbackTargetDecision =
  | {
      allowed: true;
      url: URL;
      /** The URL's host without IPv6 brackets: what goes into Host and SNI. */
      hostname: string;
      /** The only addresses the request may connect to. */
      addresses: ResolvedAddress[];
    }
  | { allowed: false; reason: string; permanent: boolean };

function isLocalhostName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost');
}

function resolutionFailure(hostname: string, err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const detail = typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
  return `could not resolve callback host ${hostname}: ${detail}`;
}

/**
 * The SSRF guard's whole decision, with no connection made: may a callback go to `url`, and to
 * which addresses? Resolution errors are retryable (DNS is often briefly wrong); refusals are
 * permanent.
 */
export async function checkCallbackTarget(
  url: string,
  options: { allowPrivate: boolean; resolve: HostResolver },
): Promise<CallbackTargetDecision> {
  const problems = validateCallbackUrlSyntax(url);
  if (problems.length > 0) return { allowed: false, reason: problems.join('; '), permanent: true };
  const parsed = new URL(url);
  const hostname = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  // A trailing dot names the same host; it must not slip past the name check below.
  const bareName = hostname.replace(/\.$/, '');

  let addresses: ResolvedAddress[];
  const literal = net.isIP(hostname);
  if (literal !== 0) {
    addresses = [{ address: hostname, family: literal }];
  } else {
    if (!options.allowPrivate && isLocalhostName(bareName)) {
      // RFC 6761: these names are loopback whatever a resolver says; no need to ask one.
      return { allowed: false, reason: `callback host ${hostname} is loopback; ${ALLOW_PRIVATE_HINT}`, permanent: true };
    }
    try {
      addresses = await options.resolve(hostname);
    } catch (err) {
      return { allowed: false, reason: resolutionFailure(hostname, err), permanent: false };
    }
    if (addresses.length === 0) {
      return { allowed: false, reason: `callback host ${hostname} has no addresses`, permanent: false };
    }
  }

  for (const { address } of addresses) {
    if (net.isIP(address) === 0) {
      return { allowed: false, reason: `callback host ${hostname} resolved to something that is not an IP address`, permanent: true };
    }
  }
  if (!options.allowPrivate) {
    for (const { address } of addresses) {
      const range = nonPublicRange(address);
      if (range === undefined) continue;
      // The address a name resolves to is not said: it would map the bot's network for whoever asks.
      const where = literal !== 0 ? `callback address ${address} is ${range}` : `callback host ${hostname} resolves to a ${range} address`;
      return { allowed: false, reason: `${where}; ${ALLOW_PRIVATE_HINT}`, permanent: true };
    }
  }
  return {
    allowed: true,
    url: parsed,
    hostname,
    addresses: addresses.map(({ address }) => ({ address, family: net.isIP(address) })),
  };
}

/** A `lookup` for http(s).request that can only ever answer with the checked addresses. */
export function pinnedLookup(addresses: ResolvedAddress[]): net.LookupFunction {
  return (_hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
    const candidates = family === 0 ? addresses : addresses.filter((a) => a.family === family);
    const first = candidates[0];
    if (first === undefined) {
      const err: NodeJS.ErrnoException = new Error(`no checked IPv${family} address`);
      err.code = 'ENOTFOUND';
      callback(err, '');
      return;
    }
    // Node asks for every address when it races IPv4 and IPv6 (autoSelectFamily).
    if (options.all) callback(null, candidates);
    else callback(null, first.address, first.family);
  };
}

/** The system resolver: every address of a host, as `dns.lookup` gives them. */
export async function systemResolve(hostname: string): Promise<ResolvedAddress[]> {
  return dns.promises.lookup(hostname, { all: true, verbatim: true });
}
