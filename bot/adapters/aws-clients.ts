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
 *
 * The EC2 client also waits *before* it is throttled: a client-side limiter
 * (ec2-rate-limits.ts) holds each request until the action's documented token buckets can pay
 * for it, so a burst (200 jobs due at once) leaves at the rate AWS allows instead of being refused
 * and retried. It sits inside the retry loop, just before signing: every attempt is a request AWS
 * counts, and a request signed after its wait is never stale. (A launch refused for capacity is
 * not retried: ec2-run-instances.ts makes that refusal final for its one RunInstances command.)
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { Ec2RateLimiter, type Ec2RateLimiterOptions } from './ec2-rate-limits.js';
import { awsErrorCode, isUnreachable } from './aws-errors.js';
import type { AwsCallRecorder } from '../engine/metrics.js';
import { HealthPart, type HealthState } from '../engine/health-state.js';

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
  /**
   * EC2 only: the client-side rate limiter, or its options (share of the documented limits,
   * raised account limits, clock); `false` turns it off. Default: against AWS (no `endpoint`), a
   * new limiter per client at the default share — main.ts builds one EC2 client per process, so
   * one limiter per process; with an `endpoint` (moto, a fake), none, since an emulator does not
   * throttle and its tests launch a thousand requests at once. Pass options to limit there too.
   */
  ec2RateLimit?: Ec2RateLimiter | Ec2RateLimiterOptions | false;
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

type StackMiddleware = Parameters<EC2Client['middlewareStack']['addRelativeTo']>[0];
/** What a finalize-step middleware sees of an attempt (the SDK's own type is a transitive package). */
interface Attempt {
  input: object;
  request: unknown;
}

/** The stack entry's name, so a test (or a second call) can find or replace it. */
export const EC2_RATE_LIMIT_MIDDLEWARE = 'ec2RateLimitMiddleware';

/** The EC2 action a command sends: the SDK names commands `<Action>Command`. */
export function ec2Action(commandName: string): string {
  return commandName.replace(/Command$/, '');
}

/** Waits for the limiter before every attempt of every command sent through the client. */
export function addEc2RateLimit(client: EC2Client, limiter: Ec2RateLimiter): void {
  const middleware = (next: (args: Attempt) => Promise<unknown>, context: { commandName?: string }) => async (args: Attempt) => {
    await limiter.acquire(ec2Action(context.commandName ?? ''), args.input);
    return next(args);
  };
  client.middlewareStack.addRelativeTo(middleware as StackMiddleware, {
    relation: 'before',
    toMiddleware: 'httpSigningMiddleware',
    name: EC2_RATE_LIMIT_MIDDLEWARE,
    override: true,
  });
}

/** An EC2 client with adaptive retries, timeouts and the client-side rate limiter. */
export function createEc2Client(opts: AwsClientOptions = {}): EC2Client {
  const client = new EC2Client(commonConfig(opts));
  const limit = opts.ec2RateLimit ?? (opts.endpoint === undefined ? {} : false);
  if (limit !== false) addEc2RateLimit(client, limit instanceof Ec2RateLimiter ? limit : new Ec2RateLimiter(limit));
  return client;
}

/** A DynamoDB client with adaptive retries and timeouts (wrap it in a document client to use). */
export function createDynamoClient(opts: AwsClientOptions = {}): DynamoDBClient {
  return new DynamoDBClient(commonConfig(opts));
}

/** The stack entry's name of the metrics and health middleware. */
export const AWS_CALL_RECORDER_MIDDLEWARE = 'schedCallRecorderMiddleware';

interface InitializeStack {
  add(middleware: unknown, options: { step: 'initialize'; name: string; override: boolean }): void;
}

export interface AwsCallReporting {
  /** `ec2` or `dynamodb`: the `service` label. */
  service: string;
  metrics?: AwsCallRecorder;
  /** DynamoDB: every call reports the job store reachable or not (bot/engine/health-state.ts). */
  health?: HealthState;
}

/**
 * Records every command sent through `client`, once, after the SDK's own retries: a call, its
 * retries (`$metadata.attempts` less one) and, when it failed, its error code — in the metrics,
 * and in the health state for the store. One place for EC2 and DynamoDB; the SDK's `initialize`
 * step is outside its retry loop, so a call is counted once however often it was tried.
 */
export function reportAwsCalls(client: EC2Client | DynamoDBClient, reporting: AwsCallReporting): void {
  const { service, metrics, health } = reporting;
  const middleware = (next: (args: object) => Promise<{ output?: { $metadata?: { attempts?: number } } }>, context: { commandName?: string }) => async (args: object) => {
    const operation = ec2Action(context.commandName ?? 'Unknown');
    const started = health?.now() ?? 0;
    try {
      const result = await next(args);
      metrics?.awsCall({ service, operation, attempts: result.output?.$metadata?.attempts ?? 1 });
      health?.ok(HealthPart.Store, started);
      return result;
    } catch (err) {
      const errorCode = awsErrorCode(err) ?? (err instanceof Error ? err.name : 'Unknown');
      const attempts = (err as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts ?? 1;
      metrics?.awsCall({ service, operation, attempts, errorCode });
      if (health) {
        if (isUnreachable(err)) health.failed(HealthPart.Store, started, `${operation}: ${errorCode}`);
        else health.ok(HealthPart.Store, started);
      }
      throw err;
    }
  };
  // Both clients' stacks take this; their typed overloads only name each client's own types.
  (client.middlewareStack as unknown as InitializeStack).add(middleware, {
    step: 'initialize',
    name: AWS_CALL_RECORDER_MIDDLEWARE,
    override: true,
  });
}
