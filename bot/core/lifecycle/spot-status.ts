/**
 * Every EC2 spot request status code, mapped to exactly one decision.
 * Source: AWS's "Spot request status" table (EC2 User Guide, spot-request-status.html).
 *
 * - `wait`         — AWS is still evaluating or waiting to launch; nothing to do.
 * - `capacity`     — AWS cannot fulfil now (capacity, price, constraints): keep waiting, tell the
 *                    user why, and after a while try the next instance type.
 * - `fulfilled`    — an instance exists for the request.
 * - `notice`       — AWS gave notice that the instance will be stopped, hibernated or terminated;
 *                    the container may still finish in its last two minutes, so we wait for the
 *                    instance to actually go (that is the interruption).
 * - `interrupted`  — the instance is gone or stopped (or the request expired) through no action of
 *                    ours: the job is requested again as a new attempt, if retries remain.
 * - `endedByUser`  — a user (normally Sched itself) terminated the instance or cancelled the
 *                    request: normal after our own action, an interruption otherwise.
 * - `failed`       — the request itself is wrong or AWS failed it: the job fails with the reason.
 */
export const SpotDecision = {
  Wait: 'wait',
  Capacity: 'capacity',
  Fulfilled: 'fulfilled',
  Notice: 'notice',
  Interrupted: 'interrupted',
  EndedByUser: 'endedByUser',
  Failed: 'failed',
} as const;
export type SpotDecision = (typeof SpotDecision)[keyof typeof SpotDecision];

export const SPOT_STATUS_TABLE: Readonly<Record<string, SpotDecision>> = {
  'pending-evaluation': SpotDecision.Wait,
  'pending-fulfillment': SpotDecision.Wait,
  'not-scheduled-yet': SpotDecision.Wait,

  'capacity-not-available': SpotDecision.Capacity,
  'capacity-oversubscribed': SpotDecision.Capacity,
  'price-too-low': SpotDecision.Capacity,
  'launch-group-constraint': SpotDecision.Capacity,
  'az-group-constraint': SpotDecision.Capacity,
  'placement-group-constraint': SpotDecision.Capacity,
  'constraint-not-fulfillable': SpotDecision.Capacity,
  'limit-exceeded': SpotDecision.Capacity,

  fulfilled: SpotDecision.Fulfilled,
  // We cancel the request of a running job ourselves; the instance it launched lives on.
  'request-canceled-and-instance-running': SpotDecision.Fulfilled,

  'marked-for-stop': SpotDecision.Notice,
  'marked-for-termination': SpotDecision.Notice,
  'marked-for-hibernation': SpotDecision.Notice,

  'instance-terminated-by-price': SpotDecision.Interrupted,
  'instance-terminated-by-schedule': SpotDecision.Interrupted,
  'instance-terminated-by-service': SpotDecision.Interrupted,
  'instance-terminated-capacity-oversubscribed': SpotDecision.Interrupted,
  'instance-terminated-launch-group-constraint': SpotDecision.Interrupted,
  'instance-terminated-no-capacity': SpotDecision.Interrupted,
  'instance-terminated-by-experiment': SpotDecision.Interrupted,
  'instance-stopped-by-price': SpotDecision.Interrupted,
  'instance-stopped-by-user': SpotDecision.Interrupted,
  'instance-stopped-capacity-oversubscribed': SpotDecision.Interrupted,
  'instance-stopped-no-capacity': SpotDecision.Interrupted,
  'instance-stopped-by-experiment': SpotDecision.Interrupted,
  'instance-hibernated-by-price': SpotDecision.Interrupted,
  'instance-hibernated-capacity-oversubscribed': SpotDecision.Interrupted,
  'instance-hibernated-no-capacity': SpotDecision.Interrupted,
  'schedule-expired': SpotDecision.Interrupted,

  'instance-terminated-by-user': SpotDecision.EndedByUser,
  'spot-instance-terminated-by-user': SpotDecision.EndedByUser,
  'canceled-before-fulfillment': SpotDecision.EndedByUser,

  'bad-parameters': SpotDecision.Failed,
  'system-error': SpotDecision.Failed,
};

/**
 * The decision for a status code. A code AWS adds after this table was written falls back on the
 * request's state, which AWS documents as stable: open waits, active has an instance, failed
 * fails, closed/cancelled lost its instance.
 */
export function spotDecisionFor(statusCode: string | undefined, requestState: string): SpotDecision {
  const known = statusCode === undefined ? undefined : SPOT_STATUS_TABLE[statusCode];
  if (known) return known;
  switch (requestState) {
    case 'open':
      return SpotDecision.Wait;
    case 'active':
      return SpotDecision.Fulfilled;
    case 'failed':
      return SpotDecision.Failed;
    default:
      return SpotDecision.Interrupted;
  }
}

/** Words for the user: why a request waits. */
export function describeSpotWait(statusCode: string | undefined, message: string | undefined): string {
  const why: Record<string, string> = {
    'capacity-not-available': 'no spot capacity for this instance type right now',
    'capacity-oversubscribed': 'spot capacity is oversubscribed',
    'price-too-low': 'the max price is below the current spot price',
    'limit-exceeded': 'the account has reached its spot instance limit',
  };
  const base = (statusCode && why[statusCode]) ?? statusCode ?? 'waiting';
  return message ? `${base} (${message})` : base;
}
