/** The lifecycle's timing rules and their defaults; re-exported by lifecycle.ts. */
/** Timing rules of the lifecycle; the defaults suit EC2, tests shorten them. */
export interface LifecycleTimings {
  /** Re-issue a spot request whose call failed or whose id was never recorded. */
  requestRetrySeconds: number;
  /** A request EC2 no longer lists after this long is treated as lost. */
  requestVisibilityGraceSeconds: number;
  /**
   * A spot request held open for capacity this long moves to the next instance type. (A launch
   * tries every remaining type at once; only a request EC2 holds open, such as a legacy one, waits.)
   */
  capacityFallbackSeconds: number;
  /** An instance whose agent has not said `started` after this long is given up on (SCHED_LAUNCH_TIMEOUT). */
  launchTimeoutSeconds: number;
  /**
   * On EC2 the agent stops a container at its `--timeout` and reports `finished` with its output:
   * the bot ends the job itself only this long after the deadline (local compute: at once).
   */
  timeoutGraceSeconds: number;
  /** An instance EC2 no longer lists after this long since launch is gone. */
  instanceVisibilityGraceSeconds: number;
  /**
   * A callback try in flight is not repeated for this long: longer than one try can take (the HTTP
   * sender gives up after 10 s), and no longer, since a try cut short by a crash waits it out.
   */
  callbackInFlightSeconds: number;
  /**
   * EC2 refusing every pool of every remaining instance type for capacity this long (each launch
   * failing: `InsufficientInstanceCapacity`, `VcpuLimitExceeded`…) fails the job rather than
   * retrying forever.
   */
  capacityGiveUpSeconds: number;
  /**
   * After the two-minute notice the replaced attempt's instance is terminated (a backstop: AWS
   * takes it at two minutes) this long after the notice, unless the replacement started first.
   */
  drainDeadlineSeconds: number;
}

export const DEFAULT_TIMINGS: LifecycleTimings = {
  requestRetrySeconds: 30,
  requestVisibilityGraceSeconds: 120,
  capacityFallbackSeconds: 300,
  launchTimeoutSeconds: 600,
  timeoutGraceSeconds: 15,
  instanceVisibilityGraceSeconds: 120,
  callbackInFlightSeconds: 20,
  capacityGiveUpSeconds: 3600,
  drainDeadlineSeconds: 150,
};
