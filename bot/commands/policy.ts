/**
 * The access policy a command is judged by. The terminal's user is the operator of the machine
 * Sched runs on: they may use Sched and see and manage every job, as an admin may, whatever the
 * Slack lists say. The per-person caps are not access: `run` checks them against the policy's own
 * admins (SCHED_ADMINS), so they hold for the operator too.
 */
import type { AccessPolicy } from '../core/access.js';
import type { Actor } from './types.js';

export function policyFor(actor: Actor, access: AccessPolicy): AccessPolicy {
  return actor.operator ? { ...access, admins: [...access.admins, actor.userId] } : access;
}
