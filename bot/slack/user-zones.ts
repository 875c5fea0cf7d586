/** Slack users' time zones (from their profile), cached: `--at` and `--cron` mean what they meant. */
import type { webApi } from '@slack/bolt';
import { systemClock } from '../clock.js';
import type { Clock } from '../ports.js';

const TTL_MS = 3600_000;

export class UserZones {
  private readonly cache = new Map<string, { zone: string | undefined; at: number }>();

  constructor(
    private readonly client: Pick<webApi.WebClient, 'users'>,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The user's IANA zone, or undefined (UTC is then used) when Slack does not say. */
  async zoneOf(userId: string): Promise<string | undefined> {
    const hit = this.cache.get(userId);
    if (hit && this.clock.now().getTime() - hit.at < TTL_MS) return hit.zone;
    let zone: string | undefined;
    try {
      const info = await this.client.users.info({ user: userId });
      zone = info.user?.tz ?? undefined;
    } catch {
      zone = undefined; // a missing scope or a Slack hiccup must not block the command
    }
    this.cache.set(userId, { zone, at: this.clock.now().getTime() });
    return zone;
  }
}
