/**
 * GPU jobs at creation: `gpus` in the REST body and `--gpus` on the command line, the instance
 * types a GPU job may use (bot/core/facts.ts), and the deployment's GPU facts (no GPU image on EC2;
 * local compute, where types do not matter). Also what `status` and the REST job show.
 */
import { describe, expect, it } from 'vitest';
import { gpuRefusal, MAX_GPU_COUNT, NOT_NVIDIA_GPU_FAMILIES, NVIDIA_GPU_FAMILIES } from '../../../bot/core/facts.js';
import { parseCommand, type CommandContext } from '../../../bot/core/parsing/grammar.js';
import { helpText } from '../../../bot/core/parsing/help.js';
import { parseJobRequest, type JobRequestContext } from '../../../bot/core/request/job-request.js';
import { jobView } from '../../../bot/core/view/job-view.js';
import { toPublicJob } from '../../../bot/http/public-job.js';
import { makeJob } from '../../harness/jobs.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const EC2_WITH_GPU_IMAGE = { checkInstanceTypes: true };
const ctx = (gpus: JobRequestContext['defaults']['gpus'] = EC2_WITH_GPU_IMAGE, instanceTypes = ['g6.xlarge', 'g5.xlarge']): JobRequestContext => ({
  now: NOW,
  defaults: { instanceTypes, interruptionsTolerated: 3, gpus },
});

function specOf(body: object, context = ctx()) {
  const result = parseJobRequest({ docker_image: 'nvcr.io/nvidia/cuda:12.4.1-base-ubuntu22.04', ...body }, context);
  if (!result.ok) throw new Error(`expected a spec, got ${JSON.stringify(result.problems)}`);
  return result.spec;
}

function problemsOf(body: object, context = ctx()): string[] {
  const result = parseJobRequest({ docker_image: 'alpine', ...body }, context);
  if (result.ok) throw new Error(`expected problems, got ${JSON.stringify(result.spec)}`);
  return result.problems;
}

describe('REST gpus', () => {
  it('takes "all" or a count from 1 to the most GPUs an instance has', () => {
    expect(specOf({ gpus: 'all' }).gpus).toBe('all');
    expect(specOf({ gpus: 1 }).gpus).toBe(1);
    expect(specOf({ gpus: MAX_GPU_COUNT, instance_types: ['p5.48xlarge'] }).gpus).toBe(MAX_GPU_COUNT);
    expect(specOf({ gpus: null }).gpus).toBeUndefined();
    expect(specOf({}).gpus).toBeUndefined();
  });

  it.each([
    ['ALL', '"ALL"'],
    [' all', '" all"'],
    ['device=0', '"device=0"'],
    ['all; reboot', '"all; reboot"'],
    ['2', '"2"'],
    [0, '"0"'],
    [-1, '"-1"'],
    [1.5, '"1.5"'],
    [MAX_GPU_COUNT + 1, `"${MAX_GPU_COUNT + 1}"`],
    [true, 'a boolean'],
    [['all'], 'an array'],
  ])('refuses %j, and says what it takes', (gpus, shown) => {
    expect(problemsOf({ gpus, instance_types: ['g6.xlarge'] })).toEqual([`gpus: must be "all" or a number of GPUs from 1 to ${MAX_GPU_COUNT}, got ${shown}`]);
  });

  it('refuses a type without an NVIDIA GPU, naming it and suggesting GPU types', () => {
    expect(problemsOf({ gpus: 'all', instance_types: ['g6.xlarge', 'm7i.large'] })).toEqual([
      'instance_types: "m7i.large" cannot run a GPU job: it has no NVIDIA GPU; GPU types are e.g. g6.xlarge, g5.xlarge, g4dn.xlarge',
    ]);
  });

  it('refuses AMD g4ad (no NVIDIA runtime), Graviton g5g (no arm64 GPU image), Inferentia and Trainium, each with its reason', () => {
    const problems = problemsOf({ gpus: 1, instance_types: ['g4ad.xlarge', 'g5g.xlarge', 'inf2.xlarge', 'trn1.2xlarge'] });
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^instance_types: "g4ad\.xlarge" cannot run a GPU job: its GPUs are AMD Radeon Pro V520, which have no NVIDIA container runtime; GPU types are e\.g\. /);
    expect(problems[1]).toMatch(/"g5g\.xlarge" cannot run a GPU job: .*arm64/);
    expect(problems[2]).toMatch(/"inf2\.xlarge" cannot run a GPU job: it has AWS Inferentia accelerators, not GPUs/);
    expect(problems[3]).toMatch(/"trn1\.2xlarge" cannot run a GPU job: it has AWS Trainium accelerators, not GPUs/);
  });

  it('uses the default types only when they are all GPU types; otherwise asks for instance types', () => {
    expect(specOf({ gpus: 'all' }).instanceTypes).toEqual(['g6.xlarge', 'g5.xlarge']);
    expect(problemsOf({ gpus: 'all' }, ctx(EC2_WITH_GPU_IMAGE, ['g6.xlarge', 'm7g.medium']))).toEqual([
      'instance_types: required for a GPU job here: the default types (g6.xlarge, m7g.medium) are not all GPU types (m7g.medium: it has no NVIDIA GPU); GPU types are e.g. g6.xlarge, g5.xlarge, g4dn.xlarge',
    ]);
  });

  it('is refused on EC2 without a GPU image, whatever the types', () => {
    const noImage = { checkInstanceTypes: true, unavailable: 'this deployment has no GPU image (SCHED_GPU_AMI is not set)' };
    expect(problemsOf({ gpus: 'all', instance_types: ['g6.xlarge'] }, ctx(noImage))).toEqual(['gpus: this deployment has no GPU image (SCHED_GPU_AMI is not set)']);
  });

  it('on this machine, the types do not matter: the container engine has the GPUs', () => {
    expect(specOf({ gpus: 'all' }, ctx({ checkInstanceTypes: false }, ['t3.micro'])).gpus).toBe('all');
  });

  it('leaves jobs without GPUs alone, on any type and without a GPU image', () => {
    expect(specOf({ instance_types: ['m7g.medium'] }, ctx({ checkInstanceTypes: true, unavailable: 'no image' })).gpus).toBeUndefined();
  });
});

describe('the GPU families table', () => {
  it('knows the current NVIDIA families, size variants included', () => {
    for (const type of ['p3.2xlarge', 'p4d.24xlarge', 'p4de.24xlarge', 'p5.48xlarge', 'p5e.48xlarge', 'g4dn.xlarge', 'g5.xlarge', 'g6.xlarge', 'g6e.xlarge', 'gr6.4xlarge', 'p6-b200.48xlarge']) {
      expect(gpuRefusal(type), type).toBeUndefined();
    }
    for (const type of ['m7g.medium', 't3.micro', 'c7gn.large', 'constructor.large', 'hasOwnProperty.x']) expect(gpuRefusal(type), type).toBe('it has no NVIDIA GPU');
  });

  it('never lists a family as both GPU and not', () => {
    for (const family of NVIDIA_GPU_FAMILIES) expect(Object.hasOwn(NOT_NVIDIA_GPU_FAMILIES, family), family).toBe(false);
  });
});

describe('--gpus on the command line', () => {
  const CTX: CommandContext = { now: NOW, defaults: { instanceTypes: ['m7g.medium', 'm6g.medium'], interruptionsTolerated: 3, gpus: EC2_WITH_GPU_IMAGE } };
  const parse = (text: string) => parseCommand(text, CTX);

  it('takes all or a count', () => {
    expect(parse('run --gpus all --type g6.xlarge nvcr.io/nvidia/cuda:12.4.1-base nvidia-smi')).toMatchObject({
      ok: true,
      command: { kind: 'run', spec: { gpus: 'all', instanceTypes: ['g6.xlarge'], command: ['nvidia-smi'] } },
    });
    expect(parse('run --gpus=2 --type g5.12xlarge acme/train')).toMatchObject({ ok: true, command: { spec: { gpus: 2 } } });
  });

  it('refuses other values with the option\'s own name', () => {
    for (const value of ['none', '0', '9', '"device=0,1"', "'all;id'"]) {
      const result = parse(`run --gpus ${value} --type g6.xlarge alpine`);
      expect(result.ok, value).toBe(false);
      if (!result.ok) expect(result.error).toMatch(/--gpus: must be "all" or a number of GPUs from 1 to 8/);
    }
  });

  it('says to add --type when the defaults are not GPU types, and names a non-GPU --type', () => {
    const withoutType = parse('run --gpus all alpine');
    expect(withoutType.ok).toBe(false);
    if (!withoutType.ok) expect(withoutType.error).toMatch(/--type: required for a GPU job here: the default types \(m7g\.medium, m6g\.medium\) are not all GPU types/);
    const cpuType = parse('run --gpus all --type c7i.large alpine');
    expect(cpuType.ok).toBe(false);
    if (!cpuType.ok) expect(cpuType.error).toMatch(/--type: "c7i\.large" cannot run a GPU job: it has no NVIDIA GPU; GPU types are e\.g\. g6\.xlarge/);
  });

  it('is in the help of run', () => {
    expect(helpText('run')).toMatch(/--gpus all\|N/);
  });
});

describe('what a GPU job shows', () => {
  it('status lists its GPUs; the REST job has gpus, null without', () => {
    const job = makeJob({ spec: { gpus: 'all', instanceTypes: ['g6.xlarge'] } });
    expect(jobView(job, NOW).fields.find((field) => field.label === 'GPUs')?.value).toBe("all of the instance's");
    expect(jobView(makeJob({ spec: { gpus: 2 } }), NOW).fields.find((field) => field.label === 'GPUs')?.value).toBe('2');
    expect(toPublicJob(job).gpus).toBe('all');
    expect(toPublicJob(makeJob({})).gpus).toBeNull();
  });
});
