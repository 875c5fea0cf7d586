import { webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserZones, userZoneClientOptions } from '../../bot/slack/user-zones.js';
import { FakeClock } from '../harness/clock.js';
import { startFakeSlack, type FakeSlack } from '../harness/fake-slack.js';

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

describe('UserZones against a slow or failing Slack', () => {
  let fake: FakeSlack;
  beforeEach(async () => {
    fake = await startFakeSlack({ userTimezones: { U1: 'Europe/Paris' } });
  });
  afterEach(async () => {
    fake.reset();
    await fake.close();
  });

  const client = () => new webApi.WebClient('xoxb-test', { slackApiUrl: fake.apiUrl, logLevel: webApi.LogLevel.ERROR, ...userZoneClientOptions() });

  it('answers "unknown" once its wait is over, and does not ask again for a minute', async () => {
    const clock = new FakeClock();
    const zones = new UserZones(client(), clock, 200);
    const hold = fake.hold('users.info');
    const started = performance.now();
    expect(await zones.lookup('U1')).toEqual({ zone: undefined, unknown: true });
    expect(performance.now() - started).toBeLessThan(1500);
    hold.release();
    clock.advance(59);
    expect(await zones.lookup('U1')).toEqual({ zone: undefined, unknown: true });
    expect(fake.calls.filter((c) => c.method === 'users.info')).toHaveLength(1);
    clock.advance(1);
    expect(await zones.lookup('U1')).toEqual({ zone: 'Europe/Paris', unknown: false });
  });

  it('makes one try on a rate limit instead of the SDK\'s retries', async () => {
    fake.rateLimit({ method: 'users.info', retryAfterSeconds: 30 });
    const zones = new UserZones(client(), new FakeClock());
    const started = performance.now();
    expect(await zones.lookup('U1')).toEqual({ zone: undefined, unknown: true });
    expect(performance.now() - started).toBeLessThan(1500);
    expect(fake.calls.filter((c) => c.method === 'users.info')).toHaveLength(1);
  });
});
