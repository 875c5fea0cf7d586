/**
 * Whether this deployment may launch a worker, asked of EC2 itself: the very RunInstances a job's
 * first pool would send (image, subnet, security group, profile, type, spot market, IMDSv2, the
 * tags at launch), with `DryRun: true`. EC2 evaluates IAM in full and launches nothing: it answers
 * `DryRunOperation` when the call would have been allowed and `UnauthorizedOperation` when not, so
 * a broken policy shows at deploy time, not at the first job.
 *
 * - `DryRunOperation` → `ok`; `UnauthorizedOperation` (or `AccessDenied`) → `refused`; EC2's
 *   message goes to the log only (it names the role), and the encoded reason in it is decoded by an
 *   operator with `aws sts decode-authorization-message` (the bot's role may not decode it: that
 *   would reveal more of the account's policies than it needs);
 * - anything else (network, throttling, a parameter EC2 rejects) → `unknown`, with the error.
 *
 * `LaunchPermissionCheck` runs it at start and again later until the answer is `ok`: an unknown
 * answer after `retryUnknownMs`, a refusal after `recheckRefusedMs` (a policy fixed in IAM takes
 * effect without restarting the bot).
 */
import { RunInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { LaunchPool } from '../core/lifecycle/observation.js';
import { systemClock } from '../clock.js';
import { awsErrorCode } from './aws-errors.js';
import { runInstancesInput, type WorkerLaunchSettings } from './ec2-run-instances.js';

export type LaunchPermissionState = 'ok' | 'refused' | 'unknown';

export interface LaunchPermission {
  state: LaunchPermissionState;
  /** What EC2 answered, in a sentence; shown on the unauthenticated /healthz, so no account details. */
  detail: string;
  /** EC2's own message (a refusal's names the role and carries the encoded reason): for the log only. */
  message?: string;
  /** ISO time of the answer; absent before the first check has answered. */
  checkedAt?: string;
}

/** The tags' job id of the dry run: a real launch's tags, with an id no job has. */
export const LAUNCH_CHECK_JOB_ID = 'launch-check';

const REFUSED_CODES: ReadonlySet<string> = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException']);

/** The dry-run input: a spot launch of `pool` as a job's first attempt would send it, no ClientToken. */
export function launchCheckInput(settings: WorkerLaunchSettings, pool: LaunchPool): ReturnType<typeof runInstancesInput> {
  const plan = { jobId: LAUNCH_CHECK_JOB_ID, attempt: 1, market: 'spot' as const, pools: [pool], userData: '#!/bin/sh\n', clientToken: LAUNCH_CHECK_JOB_ID };
  const { ClientToken: _unused, ...input } = runInstancesInput(settings, plan, pool);
  return { ...input, DryRun: true };
}

/** One dry-run launch; never throws. */
export async function checkLaunchPermission(client: EC2Client, settings: WorkerLaunchSettings, pool: LaunchPool, now: () => Date = () => systemClock.now()): Promise<LaunchPermission> {
  const where = `${pool.instanceType}${pool.subnetId ? ` in ${pool.subnetId}` : ''}`;
  try {
    await client.send(new RunInstancesCommand(launchCheckInput(settings, pool)));
    // EC2 never answers a dry run with success; an emulator might.
    return { state: 'unknown', detail: `RunInstances with DryRun launched? EC2 answered without DryRunOperation (${where})`, checkedAt: now().toISOString() };
  } catch (err) {
    const code = awsErrorCode(err) ?? 'NetworkError';
    const message = err instanceof Error ? err.message : String(err);
    const checkedAt = now().toISOString();
    if (code === 'DryRunOperation') return { state: 'ok', detail: `a spot launch of ${where} is allowed (RunInstances DryRun)`, checkedAt };
    if (REFUSED_CODES.has(code)) {
      return {
        state: 'refused',
        detail: `RunInstances of ${where} is refused (${code}): the bot's IAM policy does not allow this launch; the log has EC2's message`,
        message,
        checkedAt,
      };
    }
    return { state: 'unknown', detail: `RunInstances DryRun of ${where} answered ${code}`, message, checkedAt };
  }
}

export interface LaunchCheckLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface LaunchPermissionCheckOptions {
  probe: () => Promise<LaunchPermission>;
  logger: LaunchCheckLogger;
  /** After an unknown answer (network, throttling); default one minute. */
  retryUnknownMs?: number;
  /** After a refusal; default ten minutes. */
  recheckRefusedMs?: number;
}

/** The check at start, repeated until it says `ok`; `current()` is what /healthz reports. */
export class LaunchPermissionCheck {
  private last: LaunchPermission = { state: 'unknown', detail: 'not checked yet' };
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly opts: LaunchPermissionCheckOptions) {}

  current(): LaunchPermission {
    return this.last;
  }

  /** Runs the first check now (not awaited by the caller's start-up) and schedules the next ones. */
  start(): Promise<LaunchPermission> {
    return this.runAndSchedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async runAndSchedule(): Promise<LaunchPermission> {
    const result = await this.opts.probe().catch((err: unknown): LaunchPermission => ({ state: 'unknown', detail: `the check failed: ${String(err)}`, checkedAt: systemClock.now().toISOString() }));
    this.last = result;
    // The encoded reason in a refusal: `aws sts decode-authorization-message --encoded-message …`.
    const fields = { launchPermission: result.state, detail: result.detail, ...(result.message !== undefined && { awsMessage: result.message }) };
    if (result.state === 'ok') this.opts.logger.info(fields, 'launch permission: ok');
    else if (result.state === 'refused') this.opts.logger.error(fields, 'launch permission: refused, every job will fail to launch until the IAM policy allows it');
    else this.opts.logger.warn(fields, 'launch permission: unknown, checking again later');
    if (result.state !== 'ok' && !this.stopped) {
      const wait = result.state === 'refused' ? (this.opts.recheckRefusedMs ?? 600_000) : (this.opts.retryUnknownMs ?? 60_000);
      this.timer = setTimeout(() => void this.runAndSchedule(), wait);
      this.timer.unref();
    }
    return result;
  }
}
