/**
 * AWS SDK clients, built one way for the whole bot. Only the composition root (and tests) call
 * these; adapters receive the finished client.
 *
 * Retries are the SDK's: `retryMode: 'adaptive'` is the standard strategy (exponential back-off
 * with full jitter, longer base delay for throttling errors, a retry-token bucket that stops retry
 * storms) plus a client-side token bucket that slows this client down after it was throttled.
 * EC2 throttles API requests per account and Region, whichever client sends them (AWS, "Request
 * throttling for the Amazon EC2 API"), so the bot obeys the same limiter across all its calls
 * instead of hand-writing sleeps around each one.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';

/** Attempts per call, the first included: about 30 s of throttling back-off in the worst case. */
export const DEFAULT_MAX_ATTEMPTS = 6;
/** Socket connect limit; a dead endpoint should fail fast and be retried. */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 5_000;
/** Whole-request limit; a hung call must not stall the reconcile loop forever. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * What the composition root knows about AWS. Absent values fall back to the SDK's own standard
 * sources (AWS_REGION, AWS_ENDPOINT_URL, the credential chain); tests always pass all three.
 */
export interface AwsClientOptions {
  region?: string;
  /** Emulator or VPC endpoint URL. */
  endpoint?: string;
  credentials?: EC2ClientConfig['credentials'];
  maxAttempts?: number;
  requestTimeoutMs?: number;
}

function commonConfig(opts: AwsClientOptions) {
  return {
    // Spread only defined keys: an explicit `undefined` would mask the SDK's own defaults.
    ...(opts.region !== undefined && { region: opts.region }),
    ...(opts.endpoint !== undefined && { endpoint: opts.endpoint }),
    ...(opts.credentials !== undefined && { credentials: opts.credentials }),
    maxAttempts: opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: 'adaptive',
    requestHandler: {
      connectionTimeout: DEFAULT_CONNECTION_TIMEOUT_MS,
      requestTimeout: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    },
  };
}

/** An EC2 client with adaptive retries and timeouts. */
export function createEc2Client(opts: AwsClientOptions = {}): EC2Client {
  return new EC2Client(commonConfig(opts));
}

/** A DynamoDB client with adaptive retries and timeouts (wrap it in a document client to use). */
export function createDynamoClient(opts: AwsClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient(commonConfig(opts));
}
