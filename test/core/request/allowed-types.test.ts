import { describe, expect, test } from 'vitest';
import { parseJobRequest, type JobDefaults } from '../../../bot/core/request/job-request.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const ALLOWED: JobDefaults = { instanceTypes: ['m7g.large'], interruptionsTolerated: 3, allowedInstanceTypes: ['m7g.large', 'm6g.large'] };

function problemsOf(body: Record<string, unknown>, defaults: JobDefaults = ALLOWED): string[] {
  const result = parseJobRequest({ docker_image: 'alpine', ...body }, { now: NOW, defaults });
  return result.ok ? [] : result.problems;
}

describe('the operator\u2019s allow-list of instance types', () => {
  test('types inside it pass, and so do the defaults', () => {
    expect(problemsOf({ instance_types: ['m6g.large', 'm7g.large'] })).toEqual([]);
    expect(problemsOf({})).toEqual([]);
  });

  test('a type outside it is refused, naming the type and the allowed ones', () => {
    expect(problemsOf({ instance_types: ['p5.48xlarge'] })).toEqual([
      'instance_types: "p5.48xlarge" is not allowed here; allowed: m7g.large, m6g.large (the operator\'s SCHED_ALLOWED_INSTANCE_TYPES)',
    ]);
    expect(problemsOf({ instance_types: 'm7g.large,p5.48xlarge,x2iedn.32xlarge' })).toEqual([
      'instance_types: "p5.48xlarge", "x2iedn.32xlarge" are not allowed here; allowed: m7g.large, m6g.large (the operator\'s SCHED_ALLOWED_INSTANCE_TYPES)',
    ]);
  });

  test('a dry run is refused the same way', () => {
    expect(problemsOf({ instance_types: ['p5.48xlarge'], dry_run: true })).toHaveLength(1);
  });

  test('not enforced where there is no list (local compute)', () => {
    expect(problemsOf({ instance_types: ['p5.48xlarge'] }, { instanceTypes: ['m7g.large'], interruptionsTolerated: 3 })).toEqual([]);
  });
});
