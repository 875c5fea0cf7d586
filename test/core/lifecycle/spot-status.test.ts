import { describe, expect, test } from 'vitest';
import { SPOT_STATUS_TABLE, SpotDecision, spotDecisionFor } from '../../../bot/core/lifecycle/spot-status.js';

// Every status code in AWS's "Spot request status" table, with the request state AWS reports
// alongside it and the one decision Sched takes.
const AWS_TABLE: [code: string, state: string, decision: SpotDecision][] = [
  ['pending-evaluation', 'open', 'wait'],
  ['pending-fulfillment', 'open', 'wait'],
  ['not-scheduled-yet', 'open', 'wait'],
  ['capacity-not-available', 'open', 'capacity'],
  ['capacity-oversubscribed', 'open', 'capacity'],
  ['price-too-low', 'open', 'capacity'],
  ['launch-group-constraint', 'open', 'capacity'],
  ['az-group-constraint', 'open', 'capacity'],
  ['placement-group-constraint', 'open', 'capacity'],
  ['constraint-not-fulfillable', 'open', 'capacity'],
  ['limit-exceeded', 'open', 'capacity'],
  ['fulfilled', 'active', 'fulfilled'],
  ['request-canceled-and-instance-running', 'cancelled', 'fulfilled'],
  ['marked-for-stop', 'active', 'notice'],
  ['marked-for-termination', 'active', 'notice'],
  ['marked-for-hibernation', 'active', 'notice'],
  ['instance-terminated-by-price', 'closed', 'interrupted'],
  ['instance-terminated-by-schedule', 'closed', 'interrupted'],
  ['instance-terminated-by-service', 'closed', 'interrupted'],
  ['instance-terminated-capacity-oversubscribed', 'closed', 'interrupted'],
  ['instance-terminated-launch-group-constraint', 'closed', 'interrupted'],
  ['instance-terminated-no-capacity', 'closed', 'interrupted'],
  ['instance-terminated-by-experiment', 'closed', 'interrupted'],
  ['instance-stopped-by-price', 'disabled', 'interrupted'],
  ['instance-stopped-by-user', 'disabled', 'interrupted'],
  ['instance-stopped-capacity-oversubscribed', 'disabled', 'interrupted'],
  ['instance-stopped-no-capacity', 'disabled', 'interrupted'],
  ['instance-stopped-by-experiment', 'disabled', 'interrupted'],
  ['instance-hibernated-by-price', 'disabled', 'interrupted'],
  ['instance-hibernated-capacity-oversubscribed', 'disabled', 'interrupted'],
  ['instance-hibernated-no-capacity', 'disabled', 'interrupted'],
  ['schedule-expired', 'closed', 'interrupted'],
  ['instance-terminated-by-user', 'closed', 'endedByUser'],
  ['spot-instance-terminated-by-user', 'closed', 'endedByUser'],
  ['canceled-before-fulfillment', 'cancelled', 'endedByUser'],
  ['bad-parameters', 'closed', 'failed'],
  ['system-error', 'closed', 'failed'],
];

describe('spot status table', () => {
  test.each(AWS_TABLE)('%s (%s) → %s', (code, state, decision) => {
    expect(spotDecisionFor(code, state)).toBe(decision);
  });

  test('the table in code has exactly the rows above', () => {
    expect(Object.keys(SPOT_STATUS_TABLE).sort()).toEqual(AWS_TABLE.map(([code]) => code).sort());
  });

  test.each([
    ['open', 'wait'],
    ['active', 'fulfilled'],
    ['failed', 'failed'],
    ['closed', 'interrupted'],
    ['cancelled', 'interrupted'],
  ] as const)('an unknown code falls back on the request state %s → %s', (state, decision) => {
    expect(spotDecisionFor('some-code-aws-adds-later', state)).toBe(decision);
    expect(spotDecisionFor(undefined, state)).toBe(decision);
  });
});
