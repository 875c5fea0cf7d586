import { describe, expect, test } from 'vitest';
import { EC2_ENV as EC2, configOf } from './harness/config.js';
import { gpuFacts, loadConfig } from '../bot/config.js';
import { parseJobRequest } from '../bot/core/request/job-request.js';

/** A GPU job's problems as the surfaces validate it with this configuration's facts. */
function gpuJobProblems(env: Record<string, string>): string[] {
  const config = configOf(env);
  const result = parseJobRequest(
    { docker_image: 'alpine', gpus: 'all', instance_types: ['g6.xlarge'] },
    { now: new Date(), defaults: { instanceTypes: config.spot.instanceTypes, interruptionsTolerated: 3, gpus: gpuFacts(config) } },
  );
  return result.ok ? [] : result.problems;
}

describe('SCHED_GPU_AMI', () => {
  test('is the GPU jobs\' image; unset, EC2 refuses GPU jobs when they are created', () => {
    expect(configOf({ ...EC2, SCHED_GPU_AMI: 'ami-0a9e6d0c0ffee0001' }).spot.gpuAmi).toBe('ami-0a9e6d0c0ffee0001');
    expect(gpuJobProblems({ ...EC2, SCHED_GPU_AMI: 'ami-0a9e6d0c0ffee0001' })).toEqual([]);
    expect(gpuJobProblems(EC2)).toEqual([
      'gpus: this deployment has no GPU image (SCHED_GPU_AMI is not set), so it cannot run GPU jobs; the Pulumi stack sets it by default',
    ]);
  });

  test('local compute needs no GPU image and ignores the types', () => {
    expect(gpuFacts(configOf({}))).toEqual({ checkInstanceTypes: false });
    expect(gpuJobProblems({})).toEqual([]);
  });

  test('must be an AMI id', () => {
    const result = loadConfig({ ...EC2, SCHED_GPU_AMI: 'ubuntu-cuda' }, { stdinIsTTY: false });
    expect(result.ok ? [] : result.problems).toEqual(['SCHED_GPU_AMI: "ubuntu-cuda" is not an AMI id']);
  });
});
