/** The shapes the bot and its Pulumi program both accept. */
import { describe, expect, test } from 'vitest';
import { DEPLOYMENT_NAME, INSTANCE_TYPE_MAX_LENGTH, SLACK_CHANNEL_ID, SLACK_USER_ID, isInstanceType, isPositivePrice } from '../../bot/core/facts.js';

describe('instance types', () => {
  test.each(['t3.micro', 'm7g.medium', 'm7i-flex.2xlarge', 'u-6tb1.metal', 'r7iz.metal-16xl', 'm7i.metal-24xl', 'c6i.metal-32xl'])('%s is one', (type) => {
    expect(isInstanceType(type)).toBe(true);
  });

  test.each(['T3.MICRO', 't3 micro', 't3', '.micro', 't3.', 't3.-micro', '3t.micro', 't3.micro.large', `m7i.${'x'.repeat(INSTANCE_TYPE_MAX_LENGTH)}`])('%s is not', (type) => {
    expect(isInstanceType(type)).toBe(false);
  });
});

describe('Slack ids and names', () => {
  test('user ids are U or W ids, channel ids C, G or D ids', () => {
    expect(['U012AB3CD', 'W0123ABC'].every((id) => SLACK_USER_ID.test(id))).toBe(true);
    expect(['C012AB3CD', 'G012AB3CD', 'D012AB3CD'].every((id) => SLACK_CHANNEL_ID.test(id))).toBe(true);
    expect(['C012AB3CD', 'bob', 'u012ab3cd', 'U1'].some((id) => SLACK_USER_ID.test(id))).toBe(false);
    expect(['U012AB3CD', '#general', 'C1'].some((id) => SLACK_CHANNEL_ID.test(id))).toBe(false);
  });

  test('a deployment name is at most 32 lowercase letters, digits and dashes', () => {
    expect(DEPLOYMENT_NAME.test('sched-prod')).toBe(true);
    expect(DEPLOYMENT_NAME.test('a'.repeat(32))).toBe(true);
    expect(['a'.repeat(33), 'Sched', '-sched', ''].some((name) => DEPLOYMENT_NAME.test(name))).toBe(false);
  });

  test('a price is a positive decimal', () => {
    expect(['0.05', '1', '12.5'].every(isPositivePrice)).toBe(true);
    expect(['0', '0.0', '-1', '.5', '1e-3', 'cheap', ''].some(isPositivePrice)).toBe(false);
  });
});
