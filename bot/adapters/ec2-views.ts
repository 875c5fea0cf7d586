/**
 * EC2's descriptions as the lifecycle's views: instances and spot requests, with their job and
 * attempt read from Sched's tags. No I/O but the warning about an instance in an unknown state.
 */
import type { Instance, SpotInstanceRequest, Tag } from '@aws-sdk/client-ec2';
import { NAME_TAG_KEY, SCHED_TAG_KEYS } from '../core/facts.js';
import type { InstanceState, InstanceView, SpotRequestView } from '../core/lifecycle/observation.js';

/** Structured warnings; pino's `logger.warn(obj, msg)` fits. */
export interface FleetLogger {
  warn(obj: object, msg: string): void;
}

const INSTANCE_STATES: ReadonlySet<string> = new Set<InstanceState>([
  'pending',
  'running',
  'shutting-down',
  'terminated',
  'stopping',
  'stopped',
]);

export function toInstanceView(instance: Instance, logger: FleetLogger): InstanceView | undefined {
  const stateName = instance.State?.Name;
  if (!instance.InstanceId || !stateName || !INSTANCE_STATES.has(stateName)) {
    logger.warn({ instanceId: instance.InstanceId, state: stateName }, 'instance with unknown state skipped');
    return undefined;
  }
  const { jobId, attempt } = jobFromTags(instance.Tags);
  return {
    instanceId: instance.InstanceId,
    state: stateName as InstanceState,
    ...(jobId !== undefined && { jobId }),
    ...(attempt !== undefined && { attempt }),
    ...(instance.InstanceType && { instanceType: instance.InstanceType }),
    ...(instance.SpotInstanceRequestId && { spotRequestId: instance.SpotInstanceRequestId }),
    ...(instance.Placement?.AvailabilityZone && { zone: instance.Placement.AvailabilityZone }),
    ...(instance.LaunchTime && { launchTime: instance.LaunchTime.toISOString() }),
  };
}

export function isSchedTagKey(key: string): boolean {
  return key === NAME_TAG_KEY || (Object.values(SCHED_TAG_KEYS) as string[]).includes(key);
}

function jobFromTags(tags: Tag[] | undefined): { jobId?: string; attempt?: number } {
  let jobId: string | undefined;
  let attempt: number | undefined;
  for (const tag of tags ?? []) {
    if (tag.Key === SCHED_TAG_KEYS.jobId && tag.Value) jobId = tag.Value;
    if (tag.Key === SCHED_TAG_KEYS.attempt && tag.Value && /^\d+$/.test(tag.Value)) attempt = Number(tag.Value);
  }
  return { ...(jobId !== undefined && { jobId }), ...(attempt !== undefined && { attempt }) };
}

export function toRequestView(request: SpotInstanceRequest): SpotRequestView {
  const { jobId, attempt } = jobFromTags(request.Tags);
  return {
    requestId: request.SpotInstanceRequestId!,
    state: request.State ?? 'unknown',
    ...(jobId !== undefined && { jobId }),
    ...(attempt !== undefined && { attempt }),
    ...(request.Status?.Code && { statusCode: request.Status.Code }),
    ...(request.Status?.Message && { statusMessage: request.Status.Message }),
    ...(request.InstanceId && { instanceId: request.InstanceId }),
    ...(request.LaunchSpecification?.InstanceType && { instanceType: request.LaunchSpecification.InstanceType }),
  };
}
