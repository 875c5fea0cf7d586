/**
 * Which public AWS SSM parameter names the default AMI of an instance type. Pure: the components
 * look the parameter up.
 */

export type Architecture = 'arm64' | 'x86_64';

/**
 * Graviton families carry a `g` after their generation digit (t4g, m7gd, c7gn, im4gn, x2gd, g5g);
 * a1 is the first Graviton. GPU families such as g4dn start with `g` but are x86.
 */
export function architectureOf(instanceType: string): Architecture {
  const family = instanceType.split('.')[0] ?? '';
  return family === 'a1' || /^[a-z]+\d+[a-z]*g[a-z]*(-[a-z0-9]+)?$/.test(family) ? 'arm64' : 'x86_64';
}

/** Amazon Linux 2023, standard image: the bot host. */
export function amazonLinuxParameter(architecture: Architecture): string {
  return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture}`;
}

/**
 * ECS GPU-optimized Amazon Linux 2023 (the NVIDIA driver and container toolkit, Docker with the
 * NVIDIA runtime): the image of `--gpus` jobs. x86_64 only: AWS publishes no arm64 variant, so
 * Graviton GPU types (g5g) cannot run Sched's GPU jobs (bot/core/facts.ts refuses them).
 */
export const ECS_GPU_OPTIMIZED_PARAMETER = '/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id';

/** ECS-optimized Amazon Linux 2023, which ships Docker running: the job instances. */
export function ecsOptimizedParameter(architecture: Architecture): string {
  return architecture === 'arm64'
    ? '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id'
    : '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id';
}
