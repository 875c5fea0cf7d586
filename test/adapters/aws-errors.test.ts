import { ConditionalCheckFailedException, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import { describe, expect, test } from 'vitest';
import {
  CAPACITY_ERROR_CODES,
  DynamoErrorName,
  MALFORMED_ID_ERROR_CODES,
  NOT_FOUND_ERROR_CODES,
  PERMANENT_ERROR_CODES,
  PERMANENT_ERROR_PREFIXES,
  THROTTLING_ERROR_CODES,
  awsErrorCode,
  isCapacityError,
  isDynamoError,
  isNotImplemented,
  launchErrorFrom,
  isMalformedId,
  isNotFound,
  isPermanent,
  isServerFault,
  isThrottling,
} from '../../bot/adapters/aws-errors.js';
import { LaunchError } from '../../bot/ports.js';

/** What the SDK throws for an EC2 error response. */
function sdkError(code: string, httpStatusCode = 400): EC2ServiceException {
  return new EC2ServiceException({
    name: code,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
    message: `${code} happened`,
  });
}

describe('classification', () => {
  test.each([
    // code, throttling, notFound, malformed, capacity, permanent
    ['RequestLimitExceeded', true, false, false, false, false],
    ['Throttling', true, false, false, false, false],
    ['ThrottlingException', true, false, false, false, false],
    ['RequestThrottled', true, false, false, false, false],
    ['TooManyRequestsException', true, false, false, false, false],
    ['ProvisionedThroughputExceededException', true, false, false, false, false],
    ['InvalidInstanceID.NotFound', false, true, false, false, false],
    ['InvalidSpotInstanceRequestID.NotFound', false, true, false, false, false],
    ['InvalidInstanceID.Malformed', false, false, true, false, false],
    ['InvalidSpotInstanceRequestID.Malformed', false, false, true, false, false],
    ['InsufficientInstanceCapacity', false, false, false, true, false],
    ['SpotMaxPriceTooLow', false, false, false, true, false],
    ['MaxSpotInstanceCountExceeded', false, false, false, true, false],
    ['InstanceLimitExceeded', false, false, false, true, false],
    ['VcpuLimitExceeded', false, false, false, true, false],
    ['InvalidParameterValue', false, false, false, false, true],
    ['InvalidParameterCombination', false, false, false, false, true],
    ['InvalidAMIID.NotFound', false, false, false, false, true],
    ['InvalidAMIID.Malformed', false, false, false, false, true],
    ['InvalidAMIID.Unavailable', false, false, false, false, true],
    ['InvalidSubnetID.NotFound', false, false, false, false, true],
    ['InvalidGroup.NotFound', false, false, false, false, true],
    ['UnauthorizedOperation', false, false, false, false, true],
    ['InvalidUserData.Malformed', false, false, false, false, true],
    ['InternalError', false, false, false, false, false],
    ['SomethingNew', false, false, false, false, false],
  ])('%s', (code, throttling, notFound, malformed, capacity, permanent) => {
    const err = sdkError(code);
    expect(awsErrorCode(err)).toBe(code);
    expect({
      throttling: isThrottling(err),
      notFound: isNotFound(err),
      malformed: isMalformedId(err),
      capacity: isCapacityError(err),
      permanent: isPermanent(err),
    }).toEqual({ throttling, notFound, malformed, capacity, permanent });
  });

  test('a code belongs to one set only', () => {
    const sets = [THROTTLING_ERROR_CODES, NOT_FOUND_ERROR_CODES, MALFORMED_ID_ERROR_CODES, CAPACITY_ERROR_CODES, PERMANENT_ERROR_CODES];
    const seen = new Map<string, number>();
    for (const set of sets) for (const code of set) seen.set(code, (seen.get(code) ?? 0) + 1);
    expect([...seen].filter(([, n]) => n > 1)).toEqual([]);
    for (const set of sets.filter((s) => s !== PERMANENT_ERROR_CODES)) {
      for (const code of set) expect(PERMANENT_ERROR_PREFIXES.some((p) => code.startsWith(p))).toBe(false);
    }
  });

  test('HTTP 429 is throttling whatever the code', () => {
    expect(isThrottling(sdkError('SomethingElse', 429))).toBe(true);
  });

  test('server faults', () => {
    expect(isServerFault(sdkError('InternalError', 500))).toBe(true);
    expect(isServerFault(sdkError('InvalidParameterValue', 400))).toBe(false);
    expect(isServerFault(new Error('plain'))).toBe(false);
  });
});

describe('awsErrorCode', () => {
  test.each([
    ['an SDK exception', sdkError('InvalidParameterValue'), 'InvalidParameterValue'],
    ['a Code property', Object.assign(new Error('x'), { Code: 'Throttling' }), 'Throttling'],
    ['a Node system error', Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 'ECONNREFUSED'],
    ['a plain Error', new Error('plain'), undefined],
    ['an SDK-shaped error without a code', Object.assign(new Error('x'), { $metadata: {} }), undefined],
    ['a string', 'RequestLimitExceeded', undefined],
    ['null', null, undefined],
  ])('%s', (_label, err, code) => {
    expect(awsErrorCode(err)).toBe(code);
  });
});

describe('launchErrorFrom', () => {
  test('carries the code, the permanence and the cause', () => {
    const cause = sdkError('InvalidAMIID.NotFound');
    const err = launchErrorFrom(cause);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: 'LaunchError', code: 'InvalidAMIID.NotFound', permanent: true, message: 'InvalidAMIID.NotFound happened' });
    expect(err.cause).toBe(cause);
  });

  test('unknown failures are retryable with code Unknown', () => {
    expect(launchErrorFrom(new Error('socket hang up'))).toMatchObject({ code: 'Unknown', permanent: false });
    expect(launchErrorFrom('weird')).toMatchObject({ code: 'Unknown', permanent: false, message: 'weird' });
  });

  test('is not wrapped twice', () => {
    const err = new LaunchError('X', 'x', true);
    expect(launchErrorFrom(err)).toBe(err);
  });
});

describe('DynamoDB errors', () => {
  /** What the SDK throws for a DynamoDB error response (DynamoDB, moto and dynalite alike). */
  function dynamoError(name: string, httpStatusCode = 400): DynamoDBServiceException {
    return new DynamoDBServiceException({ name, $fault: 'client', $metadata: { httpStatusCode }, message: `${name} happened` });
  }

  test('are told by name, whether the SDK built its own class for it or not', () => {
    const conditional = new ConditionalCheckFailedException({ $metadata: {}, message: 'The conditional request failed' });
    expect(isDynamoError(conditional, DynamoErrorName.ConditionalCheckFailed)).toBe(true);
    expect(isDynamoError(dynamoError('ConditionalCheckFailedException'), DynamoErrorName.ConditionalCheckFailed)).toBe(true);
    expect(isDynamoError(dynamoError('ResourceInUseException'), DynamoErrorName.ConditionalCheckFailed)).toBe(false);
    expect(isDynamoError({ name: 'ConditionalCheckFailedException' }, DynamoErrorName.ConditionalCheckFailed)).toBe(false);
  });

  test.each([
    ['UnknownOperationException', 400, true],
    ['NotImplementedException', 400, true],
    ['SomethingElse', 501, true],
    ['ValidationException', 400, false],
  ])('an emulator lacking the operation: %s (HTTP %i) → %s', (name, status, expected) => {
    expect(isNotImplemented(dynamoError(name, status))).toBe(expected);
  });
});
