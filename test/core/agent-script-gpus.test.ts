/**
 * The real agent script gives a GPU job's container the GPUs: docker `--gpus all|N` (the NVIDIA
 * runtime of the GPU image), podman CDI devices (`--device nvidia.com/gpu=all`, or one per index).
 * Run with bash against the stub container CLIs of test/harness/agent.ts; the argv is asserted.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { agentSpecProblems } from '../../bot/core/agent-script.js';
import { renderAgentSpec } from '../../bot/core/agent-spec.js';
import { ValidationError } from '../../bot/core/errors.js';
import { makeStubBin, renderServedAgentScript, runAgentScript, startNotificationReceiver, type ServedAgentInput } from '../harness/agent.js';

const INPUT: ServedAgentInput = {
  jobId: 'job-gpu',
  attempt: 1,
  image: 'nvcr.io/nvidia/cuda:12.4.1-base-ubuntu22.04',
  command: ['nvidia-smi'],
  env: {},
  notifyBaseUrl: 'http://127.0.0.1:9',
  token: 'dG9rZW4.c2lnbmF0dXJl_-',
};

/** Runs the script for `input` with `cli` and returns the argv of its `run`. */
async function runArgv(input: Partial<ServedAgentInput>, cli: 'docker' | 'podman' = 'docker'): Promise<string[]> {
  const stubs = await makeStubBin({});
  const bot = await startNotificationReceiver();
  onTestFinished(async () => {
    await bot.close();
    await stubs.cleanup();
  });
  const run = await runAgentScript(renderServedAgentScript(bot, { ...INPUT, notifyBaseUrl: bot.url, ...input }), {
    stubBin: stubs.dir,
    env: { SCHED_IMDS_URL: 'off', SCHED_HOST_ACTIONS: 'off', SCHED_CONTAINER_CLI: cli },
    timeoutMs: 10_000,
  });
  expect(run.code).toBe(0);
  const runs = (await stubs.calls(cli)).filter((argv) => argv[0] === 'run');
  expect(runs).toHaveLength(1);
  return runs[0]!;
}

const TAIL = ['-e', 'SCHED_JOB_ID=job-gpu', '-e', 'SCHED_ATTEMPT=1', INPUT.image, 'nvidia-smi'];

describe('the agent script and GPUs', () => {
  it('docker: --gpus all for a GPU job, before the image', async () => {
    expect(await runArgv({ gpus: 'all' })).toEqual(['run', '--rm', '--name', 'sched-job-gpu-1', '--gpus', 'all', ...TAIL]);
  });

  it('docker: --gpus N for a count', async () => {
    expect(await runArgv({ gpus: 2 })).toEqual(['run', '--rm', '--name', 'sched-job-gpu-1', '--gpus', '2', ...TAIL]);
  });

  it('no GPU flag at all for a job without GPUs', async () => {
    const argv = await runArgv({});
    expect(argv).toEqual(['run', '--rm', '--name', 'sched-job-gpu-1', ...TAIL]);
    expect(argv).not.toContain('--gpus');
    expect(argv).not.toContain('--device');
  });

  it('podman: CDI devices, all of them or the first N by index', async () => {
    expect(await runArgv({ gpus: 'all' }, 'podman')).toEqual(['run', '--rm', '--name', 'sched-job-gpu-1', '--device', 'nvidia.com/gpu=all', ...TAIL]);
    expect(await runArgv({ gpus: 2 }, 'podman')).toEqual([
      'run', '--rm', '--name', 'sched-job-gpu-1', '--device', 'nvidia.com/gpu=0', '--device', 'nvidia.com/gpu=1', ...TAIL,
    ]);
  });

  it('a GPU job the engine cannot start (exit 125) says in its output what the engine needs', async () => {
    const stubs = await makeStubBin({ dockerExitCode: 125, dockerOutput: 'could not select device driver "" with capabilities: [[gpu]]\n' });
    const bot = await startNotificationReceiver();
    onTestFinished(async () => {
      await bot.close();
      await stubs.cleanup();
    });
    const script = renderServedAgentScript(bot, { ...INPUT, notifyBaseUrl: bot.url, gpus: 'all' });
    const run = await runAgentScript(script, { stubBin: stubs.dir, env: { SCHED_IMDS_URL: 'off', SCHED_HOST_ACTIONS: 'off' }, timeoutMs: 10_000 });
    expect(run.code).toBe(125);
    const finished = bot.requests.find((r) => r.query.status === 'finished')!;
    const { logTail } = JSON.parse(finished.body) as { logTail: string };
    expect(logTail).toContain('could not select device driver');
    expect(logTail).toContain('docker could not start this GPU job (125): docker needs the NVIDIA Container Toolkit, podman a CDI spec (nvidia-ctk cdi generate)');
  });

  it('refuses to hand the agent anything but "all" or a small whole number', () => {
    for (const gpus of [0, -1, 1.5, 65, Number.NaN, 'device=0' as 'all', "all'; reboot; '" as 'all']) {
      expect(() => renderAgentSpec({ ...INPUT, gpus }), String(gpus)).toThrow(ValidationError);
      expect(agentSpecProblems({ ...INPUT, gpus }), String(gpus)).toHaveLength(1);
    }
  });
});
