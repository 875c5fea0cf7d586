/**
 * Who may do what from chat. Unset lists mean everyone may run; only a job's owner or an admin
 * may cancel or retry it. Pure: ids in, a decision with a reason out.
 */
import type { JobOwner } from './job.js';

export interface AccessPolicy {
  /** Slack user ids allowed to use /sched; empty: everyone. */
  allowedUsers: readonly string[];
  /** Slack channel ids where /sched may be used; empty: every channel. */
  allowedChannels: readonly string[];
  /** Slack user ids that may manage anyone's jobs (and run anywhere). */
  admins: readonly string[];
}

export type AccessDecision = { allowed: true } | { allowed: false; reason: string };

export const OPEN_POLICY: AccessPolicy = { allowedUsers: [], allowedChannels: [], admins: [] };

export function isAdmin(policy: AccessPolicy, userId: string): boolean {
  return policy.admins.includes(userId);
}

/** May this user use /sched in this channel at all? */
export function canUse(policy: AccessPolicy, userId: string, channelId: string | undefined): AccessDecision {
  if (isAdmin(policy, userId)) return { allowed: true };
  if (policy.allowedUsers.length > 0 && !policy.allowedUsers.includes(userId)) {
    return { allowed: false, reason: 'you are not on the list of people allowed to use Sched (SCHED_ALLOWED_USERS); ask an admin' };
  }
  if (policy.allowedChannels.length > 0 && (!channelId || !policy.allowedChannels.includes(channelId))) {
    return { allowed: false, reason: 'Sched is not enabled in this channel (SCHED_ALLOWED_CHANNELS); use it in one of the allowed channels' };
  }
  return { allowed: true };
}

/** May this user, on this surface, cancel or retry something owned by `owner`? */
export function canManage(policy: AccessPolicy, userId: string, owner: JobOwner, surface: JobOwner['kind'] = 'slack'): AccessDecision {
  if (isAdmin(policy, userId)) return { allowed: true };
  if (owner.kind === surface && owner.id === userId) return { allowed: true };
  const whose = owner.kind === 'slack' ? `<@${owner.id}>` : owner.kind === 'api' ? 'the REST API' : 'the terminal';
  return { allowed: false, reason: `only its owner (${whose}) or an admin may do that` };
}

/**
 * May this user see a job or schedule in detail (its command line, its output)? Its owner, an
 * admin, or anyone in the channel where it was started: they see its live message there anyway.
 * Output and argv often carry data not meant for every channel of the workspace.
 */
export function canView(
  policy: AccessPolicy,
  userId: string,
  subject: { owner: JobOwner; origin?: { channel?: string } },
  surface: JobOwner['kind'] = 'slack',
  channelId?: string,
): AccessDecision {
  if (isAdmin(policy, userId)) return { allowed: true };
  if (subject.owner.kind === surface && subject.owner.id === userId) return { allowed: true };
  if (channelId !== undefined && subject.origin?.channel === channelId) return { allowed: true };
  return { allowed: false, reason: 'only its owner, an admin, or people in the channel where it was started may see it' };
}
