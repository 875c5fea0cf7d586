/**
 * Configuration as the configuration tests read it: an EC2 environment that loads, and the
 * configuration or the problems an environment gives (stdin not a terminal unless said).
 */
import { loadConfig } from '../../bot/config.js';

/** The least an EC2 deployment sets: region, credentials, worker image, secret. */
export const EC2_ENV = { AWS_REGION: 'us-west-2', AWS_ACCESS_KEY_ID: 'AKIA', SCHED_AMI: 'ami-12c6146b', SCHED_SECRET: 's'.repeat(40) };

/** Every problem `env` has; none when it loads. */
export function problemsOf(env: Record<string, string>): string[] {
  const result = loadConfig(env, { stdinIsTTY: false });
  return result.ok ? [] : result.problems;
}

/** The configuration `env` loads to; throws with its problems when it does not. */
export function configOf(env: Record<string, string>, stdinIsTTY = false) {
  const result = loadConfig(env, { stdinIsTTY });
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config;
}
