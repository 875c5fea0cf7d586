import { describe, expect, test } from 'vitest';
import { EC2_ENV as EC2, problemsOf, configOf } from './harness/config.js';
import { allowedInstanceTypes } from '../bot/config.js';
import { DEFAULT_WORKER_INSTANCE_TYPES } from '../bot/core/facts.js';

describe('SCHED_ALLOWED_INSTANCE_TYPES', () => {
  test('unset: the default types, whichever they are', () => {
    expect(configOf(EC2).spot.allowedInstanceTypes).toEqual([...DEFAULT_WORKER_INSTANCE_TYPES]);
    expect(configOf({ ...EC2, SCHED_INSTANCE_TYPES: 'm7g.large,m6g.large' }).spot.allowedInstanceTypes).toEqual(['m7g.large', 'm6g.large']);
  });

  test('set: that list, which may be wider than the defaults', () => {
    const config = configOf({ ...EC2, SCHED_INSTANCE_TYPES: 'm7g.large', SCHED_ALLOWED_INSTANCE_TYPES: 'm7g.large, m6g.large ,g5g.xlarge' });
    expect(config.spot.allowedInstanceTypes).toEqual(['m7g.large', 'm6g.large', 'g5g.xlarge']);
    expect(allowedInstanceTypes(config)).toEqual(['m7g.large', 'm6g.large', 'g5g.xlarge']);
  });

  test('every default type must be in it', () => {
    expect(problemsOf({ ...EC2, SCHED_INSTANCE_TYPES: 'm7g.large,m6g.large,t4g.large', SCHED_ALLOWED_INSTANCE_TYPES: 'm7g.large' })).toEqual([
      'SCHED_ALLOWED_INSTANCE_TYPES: must include every default type (SCHED_INSTANCE_TYPES); missing: m6g.large, t4g.large',
    ]);
    // The built-in defaults too, when SCHED_INSTANCE_TYPES is not set.
    expect(problemsOf({ ...EC2, SCHED_ALLOWED_INSTANCE_TYPES: 'm7g.medium' })).toEqual([
      `SCHED_ALLOWED_INSTANCE_TYPES: must include every default type (SCHED_INSTANCE_TYPES); missing: ${DEFAULT_WORKER_INSTANCE_TYPES.slice(1).join(', ')}`,
    ]);
  });

  test('a word that is not an instance type is a problem, like in SCHED_INSTANCE_TYPES', () => {
    expect(problemsOf({ ...EC2, SCHED_INSTANCE_TYPES: 'm7g.large', SCHED_ALLOWED_INSTANCE_TYPES: 'm7g.large,P5 48XL' })).toEqual([
      'SCHED_ALLOWED_INSTANCE_TYPES: "P5 48XL" is not an instance type',
    ]);
  });

  test('local compute: not enforced (instance types do not decide where a local job runs)', () => {
    const config = configOf({ SCHED_ALLOWED_INSTANCE_TYPES: [...DEFAULT_WORKER_INSTANCE_TYPES].join(',') });
    expect(config.compute).toBe('local');
    expect(allowedInstanceTypes(config)).toBeUndefined();
  });
});
