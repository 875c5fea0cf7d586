import { describe, expect, test } from 'vitest';
import { canManage, canUse, OPEN_POLICY, type AccessPolicy } from '../../bot/core/access.js';

const policy: AccessPolicy = { allowedUsers: ['U1', 'U2'], allowedChannels: ['C1'], admins: ['UADMIN'] };

describe('access policy', () => {
  test('unset lists let everyone run everywhere', () => {
    expect(canUse(OPEN_POLICY, 'U9', 'C9').allowed).toBe(true);
    expect(canUse(OPEN_POLICY, 'U9', undefined).allowed).toBe(true);
  });

  test.each([
    ['U1', 'C1', true],
    ['U3', 'C1', false],
    ['U1', 'C2', false],
    ['U1', undefined, false],
    ['UADMIN', 'C2', true],
  ] as const)('%s in %s → %s', (user, channel, allowed) => {
    const decision = canUse(policy, user, channel);
    expect(decision.allowed).toBe(allowed);
    if (!decision.allowed) expect(decision.reason).toMatch(/SCHED_ALLOWED_(USERS|CHANNELS)/);
  });

  test('only the owner or an admin manages a job', () => {
    expect(canManage(policy, 'U1', { kind: 'slack', id: 'U1' }).allowed).toBe(true);
    expect(canManage(policy, 'UADMIN', { kind: 'slack', id: 'U1' }).allowed).toBe(true);
    const refused = canManage(policy, 'U2', { kind: 'slack', id: 'U1' });
    expect(refused).toEqual({ allowed: false, reason: 'only its owner (<@U1>) or an admin may do that' });
    expect(canManage(policy, 'U2', { kind: 'api', id: 'api' }).allowed).toBe(false);
    // Ids are only comparable within one surface: a terminal user named U1 is not Slack's U1.
    expect(canManage(policy, 'alice', { kind: 'terminal', id: 'alice' }, 'terminal').allowed).toBe(true);
    expect(canManage(policy, 'U1', { kind: 'slack', id: 'U1' }, 'terminal').allowed).toBe(false);
  });
});
