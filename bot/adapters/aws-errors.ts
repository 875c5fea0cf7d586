/**
 * AWS error codes, sorted in one place. Adapters ask these helpers what a failure means instead of
 * comparing codes inline, so a newly met code is taught to the whole bot by adding it here.
 *
 * The sets are disjoint (a test checks it): a code means one thing. Retrying throttled calls is
 * the SDK's job (adaptive retry mode, see aws-clients.ts); these sets decide what the *bot* does
 * once the SDK has given up: wait for the next tick, treat the resource as gone, or fail the job.
 *
 * EC2 first (sets of codes, for the fleet), then DynamoDB (error names, for the stores and the
 * lease, which branch on the one name a conditional write or a table call answers with).
 */
import { LaunchError } from '../ports.js';

/** The service is shedding load; the same call succeeds later. */
export const THROTTLING_ERROR_CODES: ReadonlySet<string> = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
]);

/**
 * The instance or spot request named in the call does not exist (any more). For cancel and
 * terminate that is the goal already reached. Deliberately narrow: `InvalidAMIID.NotFound` or
 * `InvalidSubnetID.NotFound` mean a broken launch specification, not a vanished resource.
 */
export const NOT_FOUND_ERROR_CODES: ReadonlySet<string> = new Set([
  'InvalidInstanceID.NotFound',
  'InvalidSpotInstanceRequestID.NotFound',
]);

/**
 * The id is not even shaped like one. No such resource can exist, so cancel and terminate treat it
 * as gone too, but it points at a bug, so callers log it.
 */
export const MALFORMED_ID_ERROR_CODES: ReadonlySet<string> = new Set([
  'InvalidInstanceID.Malformed',
  'InvalidInstanceID',
  'InvalidSpotInstanceRequestID.Malformed',
]);

/**
 * The launch is valid but EC2 cannot (or will not, under the account's limits) place it now:
 * waiting, another instance type or another availability zone can help. Karpenter calls these
 * "unfulfillable capacity" errors.
 */
export const CAPACITY_ERROR_CODES: ReadonlySet<string> = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientFreeAddressesInSubnet',
  'UnfulfillableCapacity',
  'ReservationCapacityExceeded',
  'Unsupported',
  'SpotMaxPriceTooLow',
  'MaxSpotInstanceCountExceeded',
  'InstanceLimitExceeded',
  'VcpuLimitExceeded',
]);

/** The call itself is wrong (bad parameters, missing permission): repeating it cannot succeed. */
export const PERMANENT_ERROR_CODES: ReadonlySet<string> = new Set([
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'InvalidParameter',
  'MissingParameter',
  'UnknownParameter',
  'ValidationError',
  'InvalidInput',
  'InvalidRequest',
  'IdempotentParameterMismatch',
  'InvalidUserData.Malformed',
  'InvalidInstanceType',
  'InvalidSubnetID.NotFound',
  'InvalidSubnetID.Malformed',
  'InvalidSubnet',
  'InvalidGroup.NotFound',
  'InvalidGroupId.Malformed',
  'InvalidSecurityGroupID.NotFound',
  'InvalidKeyPair.NotFound',
  'InvalidBlockDeviceMapping',
  'UnauthorizedOperation',
  'AuthFailure',
  'OptInRequired',
  'Blocked',
  'UnsupportedOperation',
]);

/** Code families where every member is permanent (`InvalidAMIID.NotFound`, `.Malformed`, `.Unavailable`). */
export const PERMANENT_ERROR_PREFIXES: readonly string[] = ['InvalidAMIID.'];

/**
 * The error code the AWS SDK put on a thrown error: `Code` (query protocols such as EC2), else the
 * `name` of a service exception, else a Node system error `code` (`ECONNREFUSED`). `undefined`
 * for anything else.
 */
export function awsErrorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { Code?: unknown; code?: unknown; name?: unknown; $fault?: unknown; $metadata?: unknown };
  if (typeof e.Code === 'string' && e.Code) return e.Code;
  // Only SDK exceptions carry $fault/$metadata; a plain Error's name ('Error') is no code.
  if ((e.$fault !== undefined || e.$metadata !== undefined) && typeof e.name === 'string' && e.name !== 'Error') {
    return e.name;
  }
  if (typeof e.code === 'string' && e.code) return e.code;
  return undefined;
}

function httpStatus(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const status = (err as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Throttled by the service (by code, or HTTP 429 whatever the code). */
export function isThrottling(err: unknown): boolean {
  const code = awsErrorCode(err);
  return (code !== undefined && THROTTLING_ERROR_CODES.has(code)) || httpStatus(err) === 429;
}

/** The instance or spot request does not exist. */
export function isNotFound(err: unknown): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && NOT_FOUND_ERROR_CODES.has(code);
}

/** The instance or spot request id is malformed. */
export function isMalformedId(err: unknown): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && MALFORMED_ID_ERROR_CODES.has(code);
}

/** No capacity (or no quota) for this launch right now. */
export function isCapacityError(err: unknown): boolean {
  const code = awsErrorCode(err);
  return code !== undefined && CAPACITY_ERROR_CODES.has(code);
}

/** Retrying the same call cannot help. Unknown codes are not permanent: the next tick tries again. */
export function isPermanent(err: unknown): boolean {
  const code = awsErrorCode(err);
  if (code === undefined) return false;
  return PERMANENT_ERROR_CODES.has(code) || PERMANENT_ERROR_PREFIXES.some((prefix) => code.startsWith(prefix));
}

/** The server failed (5xx or `$fault: 'server'`): the call may or may not have taken effect. */
export function isServerFault(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  if ((err as { $fault?: unknown }).$fault === 'server') return true;
  const status = httpStatus(err);
  return status !== undefined && status >= 500;
}

/**
 * The service could not be used just now: no answer at all (refused, dropped, timed out), a server
 * fault, or throttling that outlasted the SDK's retries. A health check calls a store in this state
 * unreachable; an answer such as a failed condition or a bad request means it is reachable.
 */
export function isUnreachable(err: unknown): boolean {
  return httpStatus(err) === undefined || isServerFault(err) || isThrottling(err);
}

/**
 * DynamoDB error names the adapters branch on. The SDK sets `name` from the service's `__type`,
 * which DynamoDB, moto and dynalite all send.
 */
export const DynamoErrorName = {
  ConditionalCheckFailed: 'ConditionalCheckFailedException',
  ResourceNotFound: 'ResourceNotFoundException',
  ResourceInUse: 'ResourceInUseException',
  Validation: 'ValidationException',
  /** dynalite's answer to operations it lacks (UpdateTimeToLive, transactions). */
  UnknownOperation: 'UnknownOperationException',
} as const;
export type DynamoErrorName = (typeof DynamoErrorName)[keyof typeof DynamoErrorName];

/** Whether `err` is the DynamoDB error called `name`. */
export function isDynamoError(err: unknown, name: DynamoErrorName): boolean {
  return err instanceof Error && err.name === name;
}

/** An emulator that does not implement an operation; the real service never answers this way. */
export function isNotImplemented(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === DynamoErrorName.UnknownOperation || /NotImplemented/i.test(err.name)) return true;
  return httpStatus(err) === 501;
}

/** Anything a launch call threw, as the port's `LaunchError`, classified by the sets above. */
export function launchErrorFrom(err: unknown): LaunchError {
  if (err instanceof LaunchError) return err;
  const code = awsErrorCode(err) ?? 'Unknown';
  const message = err instanceof Error ? err.message : String(err);
  return new LaunchError(code, message, isPermanent(err), { cause: err, capacity: isCapacityError(err) });
}
