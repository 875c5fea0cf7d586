import { describe, expect, test } from 'vitest';
import { EC2_ENV as EC2, problemsOf, configOf } from './harness/config.js';

describe('SCHED_MAX_PRICE_CEILING, SCHED_DEFAULT_TIMEOUT, SCHED_MAX_TIMEOUT', () => {
  test('unset: no limits; set: read as USD per hour and durations', () => {
    expect(configOf(EC2).guardRails).toEqual({});
    expect(configOf({ ...EC2, SCHED_MAX_PRICE_CEILING: '0.75', SCHED_DEFAULT_TIMEOUT: '6h', SCHED_MAX_TIMEOUT: '1d' }).guardRails).toEqual({
      maxPriceCeiling: '0.75',
      defaultTimeoutSeconds: 6 * 3600,
      maxTimeoutSeconds: 86400,
    });
  });

  test('a bad value is a problem that shows it', () => {
    expect(problemsOf({ ...EC2, SCHED_MAX_PRICE_CEILING: 'cheap' })).toEqual(['SCHED_MAX_PRICE_CEILING: must be a positive number of USD per hour such as "0.50", got "cheap"']);
    expect(problemsOf({ ...EC2, SCHED_MAX_PRICE_CEILING: '0' })).toEqual(['SCHED_MAX_PRICE_CEILING: must be a positive number of USD per hour such as "0.50", got "0"']);
    expect(problemsOf({ ...EC2, SCHED_DEFAULT_TIMEOUT: 'forever', SCHED_MAX_TIMEOUT: '99d' })).toEqual([
      'SCHED_DEFAULT_TIMEOUT: must be a duration from 1s to 720h ("6h", "90m", "1d"), got "forever"',
      'SCHED_MAX_TIMEOUT: must be a duration from 1s to 720h ("6h", "90m", "1d"), got "99d"',
    ]);
  });

  test('the default must be within the maximum, and SCHED_MAX_PRICE within the ceiling', () => {
    expect(problemsOf({ ...EC2, SCHED_DEFAULT_TIMEOUT: '8h', SCHED_MAX_TIMEOUT: '6h' })).toEqual([
      'SCHED_DEFAULT_TIMEOUT: 8h is longer than SCHED_MAX_TIMEOUT 6h; the default must be within the maximum',
    ]);
    expect(problemsOf({ ...EC2, SCHED_MAX_PRICE: '1.2', SCHED_MAX_PRICE_CEILING: '1' })).toEqual(['SCHED_MAX_PRICE: the default max price 1.2 is above SCHED_MAX_PRICE_CEILING 1']);
    expect(problemsOf({ ...EC2, SCHED_MAX_PRICE: '1', SCHED_MAX_PRICE_CEILING: '1.000' })).toEqual([]);
  });
});
