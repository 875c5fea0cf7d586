/**
 * The operator's allow-list of instance types (`SCHED_ALLOWED_INSTANCE_TYPES`): a guard rail on
 * cost, checked where a job is created (REST, chat, dry run) and where an ended job is retried.
 * The IAM policy holds the same list (infra/policies.ts, `ec2:InstanceType`), so a type let
 * through here by mistake is still refused by AWS; this check is the one that explains why.
 */
import { quote } from './job-request-fields.js';

/** The name a refusal points the person to. */
export const ALLOWED_INSTANCE_TYPES_SETTING = 'SCHED_ALLOWED_INSTANCE_TYPES';

/**
 * One problem naming the types outside `allowed`, with the list; none when all are inside.
 * `allowed` undefined: not enforced (local compute, where instance types do not apply).
 */
export function checkAllowedInstanceTypes(instanceTypes: readonly string[], allowed: readonly string[] | undefined, problems: string[]): void {
  if (allowed === undefined) return;
  const refused = instanceTypes.filter((type) => !allowed.includes(type));
  if (refused.length === 0) return;
  problems.push(
    `instance_types: ${refused.map((type) => quote(type)).join(', ')} ${refused.length === 1 ? 'is' : 'are'} not allowed here; ` +
      `allowed: ${allowed.join(', ')} (the operator's ${ALLOWED_INSTANCE_TYPES_SETTING})`,
  );
}
