/**
 * The `gpus` field and where a GPU job may run: the request's side of GPU jobs (the NVIDIA family
 * table is in bot/core/facts.ts).
 */
import { MAX_GPU_COUNT, SUGGESTED_GPU_TYPES, gpuRefusal } from '../facts.js';
import type { GpuRequest } from '../job.js';
import { quote, typeName } from './job-request-fields.js';

/**
 * What the deployment says about GPU jobs, from its configuration: whether a job's instance types
 * decide where it runs (EC2; on this machine they do not), and why it cannot run GPU jobs at all.
 */
export interface GpuFacts {
  checkInstanceTypes: boolean;
  /** Why this deployment cannot run GPU jobs (no GPU image configured); absent: it can. */
  unavailable?: string;
}

/** `gpus`: "all" or a whole number of GPUs. Never free text: it becomes a `docker run` argument. */
export function parseGpus(value: unknown, problems: string[]): GpuRequest | undefined {
  if (value === undefined) return undefined;
  if (value === 'all') return 'all';
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_GPU_COUNT) return value;
  problems.push(
    `gpus: must be "all" or a number of GPUs from 1 to ${MAX_GPU_COUNT}, got ${typeof value === 'string' || typeof value === 'number' ? quote(String(value)) : typeName(value)}`,
  );
  return undefined;
}

/**
 * A GPU job runs only where there are NVIDIA GPUs and an image with their runtime: every instance
 * type it may launch on must be of an NVIDIA GPU family (bot/core/facts.ts), and the deployment
 * must have a GPU image. `typesGiven`: the request named its types (else they are the defaults).
 */
export function checkGpuPlacement(instanceTypes: string[], typesGiven: boolean, facts: GpuFacts | undefined, problems: string[]): void {
  if (facts?.unavailable !== undefined) {
    problems.push(`gpus: ${facts.unavailable}`);
    return;
  }
  if (facts?.checkInstanceTypes === false) return;
  const refused = instanceTypes.flatMap((type) => {
    const why = gpuRefusal(type);
    return why === undefined ? [] : [{ type, why }];
  });
  if (refused.length === 0) return;
  const suggestion = `GPU types are e.g. ${SUGGESTED_GPU_TYPES.join(', ')}`;
  if (!typesGiven) {
    problems.push(
      `instance_types: required for a GPU job here: the default types (${instanceTypes.join(', ')}) are not all GPU types ` +
        `(${refused.map(({ type, why }) => `${type}: ${why}`).join('; ')}); ${suggestion}`,
    );
    return;
  }
  for (const { type, why } of refused) {
    problems.push(`instance_types: ${quote(type)} cannot run a GPU job: ${why}; ${suggestion}`);
  }
}
