import { describe, expect, it } from 'vitest';
import { UserZones } from '../../bot/slack/user-zones.js';
import { FakeClock } from '../harness/clock.js';

function slackUsers(zones: string[]) {
  const asked: string[] = [];
  const client = {
    users: {
      info: async ({ user }: { user: string }) => {
        asked.push(user);
        return { ok: true, user: { tz: zones[asked.length - 1] } };
      },
    },
  };
  return { client: client as never, asked };
}

describe('UserZones', () => {
  it('asks Slack once an hour per user, by the injected clock', async () => {
    const clock = new FakeClock();
    const { client, asked } = slackUsers(['Europe/Paris', 'Asia/Tokyo']);
    const zones = new UserZones(client, clock);

    expect(await zones.zoneOf('U1')).toBe('Europe/Paris');
    clock.advance(3599);
    expect(await zones.zoneOf('U1')).toBe('Europe/Paris');
    expect(asked).toEqual(['U1']);

    clock.advance(1);
    expect(await zones.zoneOf('U1')).toBe('Asia/Tokyo');
    expect(asked).toEqual(['U1', 'U1']);
  });
});
