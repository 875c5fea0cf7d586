import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../bot/clock.js';
import { ChannelLanes, type Lane, type Turn } from '../../bot/slack/channel-lanes.js';

interface Item extends Turn {
  name: string;
  /** Turns it still wants. */
  left: number;
}

function item(name: string, left = 1): Item {
  return { name, left, queued: false, notBefore: 0 };
}

/** Lanes whose turns record what went when, and end each call as the notifier does. */
function recordingLanes(minIntervalMs: number) {
  const turns: { channel: string; name: string; at: number }[] = [];
  const lanes: ChannelLanes<Item> = new ChannelLanes<Item>({
    minIntervalMs,
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    takeTurn: async (lane: Lane<Item>, taken: Item) => {
      turns.push({ channel: lane.channel, name: taken.name, at: performance.now() });
      lane.lastCallEndedAt = Date.now();
      taken.left -= 1;
      if (taken.left > 0) lanes.enqueue(lane, taken);
      else lanes.remove(lane, taken.name, taken);
    },
  });
  return { lanes, turns };
}

describe('ChannelLanes', () => {
  it('takes a channel\'s items in turn, one call per interval, and flush waits for all of them', async () => {
    const { lanes, turns } = recordingLanes(30);
    const lane = lanes.laneFor('C1');
    lanes.enqueue(lane, item('busy', 3));
    lanes.enqueue(lane, item('quiet'));
    await lanes.flush();

    expect(turns.map((t) => t.name)).toEqual(['busy', 'quiet', 'busy', 'busy']);
    for (let i = 1; i < turns.length; i++) expect(turns[i]!.at - turns[i - 1]!.at).toBeGreaterThanOrEqual(29);
    await lanes.stop();
  });

  it('paces each channel on its own', async () => {
    const { lanes, turns } = recordingLanes(5000);
    lanes.enqueue(lanes.laneFor('C1'), item('a', 2));
    lanes.enqueue(lanes.laneFor('C2'), item('b'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(turns.map((t) => `${t.channel}:${t.name}`)).toEqual(['C1:a', 'C2:b']);
    await lanes.stop();
  });

  it('an item that is not due yet waits, and one put first goes first', async () => {
    const { lanes, turns } = recordingLanes(0);
    const lane = lanes.laneFor('C1');
    const later = { ...item('later'), notBefore: Date.now() + 40 };
    lanes.enqueue(lane, later);
    lanes.enqueue(lane, item('now'));
    lanes.enqueue(lane, item('urgent'), true);
    await lanes.flush();
    expect(turns.map((t) => t.name)).toEqual(['urgent', 'now', 'later']);
  });

  it('after stop, nothing more is taken', async () => {
    const { lanes, turns } = recordingLanes(10_000);
    const lane = lanes.laneFor('C1');
    lanes.enqueue(lane, item('first', 2));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await lanes.stop();
    expect(lanes.isStopped).toBe(true);
    expect(turns.map((t) => t.name)).toEqual(['first']);
  });
});
