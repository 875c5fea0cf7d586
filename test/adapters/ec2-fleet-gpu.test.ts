/**
 * Ec2Fleet on moto: a GPU job's instance boots the GPU image (SCHED_GPU_AMI), every other job the
 * worker image; without a GPU image a GPU launch is a permanent error and nothing is launched.
 */
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createEc2Client } from '../../bot/adapters/aws-clients.js';
import { Ec2Fleet } from '../../bot/adapters/ec2-fleet.js';
import { LaunchError, type LaunchPlan } from '../../bot/ports.js';
import { startMoto, type Moto } from '../harness/moto.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 60_000 });

function plan(jobId: string, extra: Partial<LaunchPlan> = {}): LaunchPlan {
  return {
    jobId,
    attempt: 1,
    market: 'spot',
    pools: [{ instanceType: 'g6.xlarge' }],
    userData: '#!/bin/bash\ntrue\n',
    clientToken: `${jobId}-1`,
    ...extra,
  };
}

describe('Ec2Fleet and GPU jobs, on moto', () => {
  let moto: Moto;
  let client: EC2Client;
  // moto launches any AMI id (it does not check them against its image list, which takes seconds
  // to describe); the two only need to differ.
  const workerAmi = 'ami-12c6146b';
  const gpuAmi = 'ami-0a9e6d0c0ffee0001';
  const runInstancesImages: string[] = [];

  beforeAll(async () => {
    moto = await startMoto();
    client = createEc2Client(moto.clientConfig);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'RunInstancesCommand') runInstancesImages.push(String((args.input as { ImageId?: string }).ImageId));
        return next(args);
      },
      { step: 'initialize', name: 'recordImagesForTest' },
    );
  });
  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });

  async function imageOf(instanceId: string): Promise<string | undefined> {
    const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    return out.Reservations?.[0]?.Instances?.[0]?.ImageId;
  }

  test('a GPU job runs on the GPU image, a job without GPUs on the worker image', async () => {
    const fleet = new Ec2Fleet({ client, deployment: 'gpu-test', amiId: workerAmi, gpuAmiId: gpuAmi, subnetIds: [], securityGroupIds: [] });
    const gpu = await fleet.launch(plan('j-gpu', { gpus: 'all' }));
    const plain = await fleet.launch(plan('j-cpu', { pools: [{ instanceType: 't3.micro' }] }));
    expect(await imageOf(gpu.instanceId!)).toBe(gpuAmi);
    expect(await imageOf(plain.instanceId!)).toBe(workerAmi);
    expect(runInstancesImages.slice(-2)).toEqual([gpuAmi, workerAmi]);
  });

  test('without a GPU image, a GPU launch fails for good and launches nothing', async () => {
    const fleet = new Ec2Fleet({ client, deployment: 'gpu-test', amiId: workerAmi, subnetIds: [], securityGroupIds: [] });
    const before = runInstancesImages.length;
    const failure = await fleet.launch(plan('j-gpu-2', { gpus: 1 })).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(LaunchError);
    expect(failure).toMatchObject({ code: 'NoGpuImage', permanent: true, capacity: false });
    expect((failure as Error).message).toMatch(/SCHED_GPU_AMI/);
    expect(runInstancesImages.length).toBe(before);
  });
});
