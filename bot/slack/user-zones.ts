/**
 * Slack users' time zones (from their profile), cached: `--at` and `--cron` mean what they meant.
 *
 * The lookup sits in front of every command's answer, so it is bounded: the client given here
 * makes one try (no SDK retries, which would wait up to half an hour on a rate limit) with a short
 * timeout, and a lookup that fails is remembered briefly, so a Slack outage costs one wait per
 * user per minute, not one per command. A failed lookup answers UTC and says so.
 */
import type { webApi } from '@slack/bolt';
import { systemClock } from '../clock.js';
import type { Clock } from '../ports.js';

/** A zone Slack told us stays good this long. */
const TTL_MS = 3600_000;
/** A lookup that failed is not tried again for this long. */
const FAILURE_TTL_MS = 60_000;
/** Longest a command waits for Slack's answer. */
export const USER_ZONE_TIMEOUT_MS = 2000;

export interface UserZone {
  /** The user's IANA zone; undefined: UTC is used. */
  zone: string | undefined;
  /** Slack did not answer (in time): the zone is unknown, not UTC by the user's choice. */
  unknown: boolean;
}

export class UserZones {
  private readonly cache = new Map<string, UserZone & { at: number }>();

  /** `client` should make one try with a short timeout; see {@link userZoneClientOptions}. */
  constructor(
    private readonly client: Pick<webApi.WebClient, 'users'>,
    private readonly clock: Clock = systemClock,
    private readonly timeoutMs = USER_ZONE_TIMEOUT_MS,
  ) {}

  /** The user's IANA zone, or undefined (UTC is then used) when Slack does not say. */
  async zoneOf(userId: string): Promise<string | undefined> {
    return (await this.lookup(userId)).zone;
  }

  async lookup(userId: string): Promise<UserZone> {
    const now = this.clock.now().getTime();
    const hit = this.cache.get(userId);
    if (hit && now - hit.at < (hit.unknown ? FAILURE_TTL_MS : TTL_MS)) return { zone: hit.zone, unknown: hit.unknown };
    let found: UserZone;
    try {
      const info = await withTimeout(this.client.users.info({ user: userId }), this.timeoutMs);
      found = { zone: info.user?.tz ?? undefined, unknown: false };
    } catch {
      // A missing scope, a rate limit or a slow Slack must not hold the command.
      found = { zone: undefined, unknown: true };
    }
    this.cache.set(userId, { ...found, at: this.clock.now().getTime() });
    return found;
  }
}

/** Options for the WebClient of {@link UserZones}: one try, a short timeout. */
export function userZoneClientOptions(): { retryConfig: { retries: number }; timeout: number; rejectRateLimitedCalls: boolean } {
  return { retryConfig: { retries: 0 }, timeout: USER_ZONE_TIMEOUT_MS, rejectRateLimitedCalls: true };
}

/** Rejects when `promise` has not settled within `ms` (the client's own timeout is the first guard). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
