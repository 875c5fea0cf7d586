/**
 * Facts the bot and its Pulumi program must agree on: the shapes of the names and ids both accept,
 * the tags the bot puts on what it launches (which the IAM policy in infra/policies.ts conditions
 * on), and the defaults and bounds of the settings both read. infra/ imports this file, as it
 * imports the table layout from bot/adapters/dynamo-schema.ts; Pulumi.yaml repeats the defaults
 * (the CLI reads them from there), and test/infra/settings.test.ts holds it to these.
 */

/**
 * An EC2 instance type: family, a dot, a size. Shaped like `t3.micro`, `m7i-flex.2xlarge`,
 * `u-6tb1.metal`, `r7iz.metal-16xl`, `m7i.metal-24xl` (a size may carry a dash).
 */
const INSTANCE_TYPE_PATTERN = /^[a-z][a-z0-9-]*\.[a-z0-9][a-z0-9-]*$/;

/** The longest instance type accepted; EC2's longest are far shorter. */
export const INSTANCE_TYPE_MAX_LENGTH = 32;

export function isInstanceType(text: string): boolean {
  return text.length <= INSTANCE_TYPE_MAX_LENGTH && INSTANCE_TYPE_PATTERN.test(text);
}

/** A Slack user id (`U012AB3CD`; `W…` on Enterprise Grid). */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
/** A Slack channel id: public `C…`, private `G…`, direct message `D…`. */
export const SLACK_CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;

/** A deployment name: it tags every request and instance and prefixes every resource name. */
export const DEPLOYMENT_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;
export const SUBNET_ID = /^subnet-[0-9a-f]+$/;

/** A default maximum spot price as the operator writes it: a positive decimal, USD per hour. */
export function isPositivePrice(text: string): boolean {
  return /^\d+(\.\d+)?$/.test(text) && Number(text) > 0;
}

/**
 * Tag keys on spot requests and their instances. No ':' in them: instance-metadata tags cannot
 * carry it. The IAM policy allows tagging with these keys and `Name` only, and scopes every
 * destructive action to `deployment`.
 */
export const SCHED_TAG_KEYS = {
  jobId: 'sched-job-id',
  attempt: 'sched-attempt',
  deployment: 'sched-deployment',
} as const;
/** The console's name tag, which the bot sets too. */
export const NAME_TAG_KEY = 'Name';

/** Jobs' instance types when the operator names none: Graviton, one architecture. */
export const DEFAULT_WORKER_INSTANCE_TYPES: readonly string[] = ['m7g.medium', 'm6g.medium', 't4g.medium'];
/** Spot interruptions a job tolerates when it does not say. */
export const DEFAULT_INTERRUPTIONS_TOLERATED = 3;
/** The most interruptions a job, or the operator's default, may tolerate. */
export const MAX_INTERRUPTIONS_TOLERATED = 20;
/** The bot's HTTP port (notifications, REST API, health). */
export const DEFAULT_PORT = 8080;
/** Days a finished job stays in the table before its TTL deletes it, and the bounds of the setting. */
export const RETENTION_DAYS = { default: 30, min: 1, max: 3650 } as const;

/**
 * EC2 instance families with NVIDIA GPUs that the x86_64 ECS GPU-optimized Amazon Linux 2023 image
 * (the NVIDIA driver and container toolkit; Sched's GPU image) runs on, from EC2's accelerated
 * computing instance list. A `--gpus` job may only name types of these families.
 */
export const NVIDIA_GPU_FAMILIES: readonly string[] = [
  'g3', 'g3s', 'g4dn', 'g5', 'g6', 'g6e', 'g6f', 'gr6', 'gr6f',
  'p3', 'p3dn', 'p4d', 'p4de', 'p5', 'p5e', 'p5en', 'p6-b200',
];

/**
 * Accelerated families a `--gpus` job is refused on, each with why: they have no NVIDIA GPU, or
 * none that Sched's GPU image can drive.
 */
export const NOT_NVIDIA_GPU_FAMILIES: Readonly<Record<string, string>> = {
  g5g: 'its NVIDIA T4G GPUs sit on Graviton (arm64), and AWS publishes no ECS GPU-optimized image for arm64 (Sched\'s GPU image is x86_64)',
  g4ad: 'its GPUs are AMD Radeon Pro V520, which have no NVIDIA container runtime',
  p2: 'its NVIDIA K80 GPUs are not supported by current NVIDIA drivers',
  inf1: 'it has AWS Inferentia accelerators, not GPUs',
  inf2: 'it has AWS Inferentia accelerators, not GPUs',
  trn1: 'it has AWS Trainium accelerators, not GPUs',
  trn1n: 'it has AWS Trainium accelerators, not GPUs',
  trn2: 'it has AWS Trainium accelerators, not GPUs',
  dl1: 'it has Habana Gaudi accelerators, not NVIDIA GPUs',
  dl2q: 'it has Qualcomm AI accelerators, not NVIDIA GPUs',
  f1: 'it has FPGAs, not GPUs',
  f2: 'it has FPGAs, not GPUs',
  vt1: 'it has Xilinx video transcoding accelerators, not GPUs',
};

/** GPU types a refusal suggests: current, single-GPU, x86_64. */
export const SUGGESTED_GPU_TYPES: readonly string[] = ['g6.xlarge', 'g5.xlarge', 'g4dn.xlarge'];

/** The most GPUs a `--gpus N` job may ask for: EC2's largest GPU types have 8. */
export const MAX_GPU_COUNT = 8;

/**
 * Why `instanceType` cannot run a `--gpus` job, or undefined when it can (a type of
 * `NVIDIA_GPU_FAMILIES`). The family is the part before the dot, size variants included
 * (`p6-b200.48xlarge` → `p6-b200`).
 */
export function gpuRefusal(instanceType: string): string | undefined {
  const family = instanceType.split('.')[0] ?? '';
  if (NVIDIA_GPU_FAMILIES.includes(family)) return undefined;
  return Object.hasOwn(NOT_NVIDIA_GPU_FAMILIES, family) ? NOT_NVIDIA_GPU_FAMILIES[family] : 'it has no NVIDIA GPU';
}
