/**
 * Playing AWS's part against a bot on moto: find a job's instances (tagged at launch by
 * RunInstances) and spot requests, take the user data moto holds and run it as the instance
 * would (the real agent script, stubbed host commands).
 */
import { DescribeInstanceAttributeCommand, DescribeInstancesCommand, DescribeSpotInstanceRequestsCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { makeStubBin, runAgentScript, type StubBinOptions } from './agent.js';
import { eventually } from './bot-process.js';
import type { ContainerGate } from './container-gate.js';

export async function spotRequestsOf(ec2: EC2Client, jobId: string) {
  const out = await ec2.send(new DescribeSpotInstanceRequestsCommand({ Filters: [{ Name: 'tag:sched-job-id', Values: [jobId] }] }));
  return out.SpotInstanceRequests ?? [];
}

/** The job's instances, every attempt, as moto lists them (launched with the job's tags). */
export async function instancesOf(ec2: EC2Client, jobId: string): Promise<Instance[]> {
  const out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:sched-job-id', Values: [jobId] }] }));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

export async function instanceState(ec2: EC2Client, instanceId: string): Promise<string | undefined> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return out.Reservations?.[0]?.Instances?.[0]?.State?.Name;
}

/** Waits until the instance is shutting down or terminated. */
export function instanceGone(ec2: EC2Client, instanceId: string): Promise<true> {
  return eventually(async () => (['shutting-down', 'terminated'].includes((await instanceState(ec2, instanceId)) ?? '') ? true : undefined), `instance ${instanceId} terminated`);
}

/** The user data moto holds for the job's instance of `attempt`: the script AWS would run. */
export async function userDataOf(ec2: EC2Client, jobId: string, attempt: number): Promise<{ script: string; instanceId: string }> {
  const instance = await eventually(async () => {
    const instances = await instancesOf(ec2, jobId);
    return instances.find((i) => i.Tags?.some((t) => t.Key === 'sched-attempt' && t.Value === String(attempt)) && i.InstanceId);
  }, `instance of ${jobId} attempt ${attempt}`);
  const attr = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instance.InstanceId!, Attribute: 'userData' }));
  return { script: Buffer.from(attr.UserData!.Value!, 'base64').toString('utf8'), instanceId: instance.InstanceId! };
}

/**
 * Runs the job's real agent script as its instance would, against the bot. With a `gate`, the
 * container's `run` passes through it (test/harness/container-gate.ts), so the test can hold it.
 */
export async function runInstance(ec2: EC2Client, imdsUrl: string, jobId: string, attempt: number, container: StubBinOptions, gate?: ContainerGate) {
  const { script, instanceId } = await userDataOf(ec2, jobId, attempt);
  const stubs = await makeStubBin(container);
  const stubBin = gate ? `${gate.dir}:${stubs.dir}` : stubs.dir;
  const run = runAgentScript(script, { stubBin, env: { SCHED_IMDS_URL: imdsUrl, SCHED_IMDS_POLL_SECONDS: '1' }, timeoutMs: 60_000 });
  return { instanceId, stubs, run };
}
