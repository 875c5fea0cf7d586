/** Slack users' time zones (from their profile), cached: `--at` and `--cron` mean what they meant. */
import type { webApi } from '@slack/bolt';

const TTL_MS = 3600_000;

export class UserZones {
  private readonly cache = new Map<string, { zone: string | undefined; at: number }>();

  constructor(private readonly client: Pick<webApi.WebClient, 'users'>) {}

  /** The user's IANA zone, or undefined (UTC is then used) when Slack does not say. */
  async zoneOf(userId: string): Promise<string | undefined> {
    const hit = this.cache.get(userId);
    if (hit && Date.now() - hit.at < TTL_MS) return hit.zone;
    let zone: string | undefined;
    try {
      const info = await this.client.users.info({ user: userId });
      zone = info.user?.tz ?? undefined;
    } catch {
      zone = undefined; // a missing scope or a Slack hiccup must not block the command
    }
    this.cache.set(userId, { zone, at: Date.now() });
    return zone;
  }
}
