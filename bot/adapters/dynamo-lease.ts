/**
 * Leases in the jobs table: item `lease#<name>` with `holder` and `expiresAtMs`. The table and its
 * creation belong to `DynamoJobStore.ensureTable`; a lease item carries no index attribute, so it
 * never appears among jobs.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock, LeaseStore } from '../ports.js';
import { DynamoErrorName, isDynamoError } from './aws-errors.js';

/** Options of {@link DynamoLeaseStore}. */
export interface DynamoLeaseStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Expiry is judged by this clock, so replicas need roughly synchronised clocks (NTP does). */
  clock: Clock;
}

/** The item id of lease `name`. */
export function leaseItemId(name: string): string {
  return `lease#${name}`;
}

/** {@link LeaseStore} on DynamoDB: every acquire, renewal and release is one conditional write. */
export class DynamoLeaseStore implements LeaseStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly clock: Clock;

  constructor(options: DynamoLeaseStoreOptions) {
    this.doc = DynamoDBDocumentClient.from(options.client);
    this.tableName = options.tableName;
    this.clock = options.clock;
  }

  async tryAcquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    assertTtl(ttlMs);
    const nowMs = this.clock.now().getTime();
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { id: leaseItemId(name), holder, expiresAtMs: nowMs + ttlMs },
          ConditionExpression: 'attribute_not_exists(#id) OR #expires <= :now OR #holder = :holder',
          ExpressionAttributeNames: { '#id': 'id', '#expires': 'expiresAtMs', '#holder': 'holder' },
          ExpressionAttributeValues: { ':now': nowMs, ':holder': holder },
        }),
      );
      return true;
    } catch (err) {
      if (isDynamoError(err, DynamoErrorName.ConditionalCheckFailed)) return false;
      throw err;
    }
  }

  async release(name: string, holder: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { id: leaseItemId(name) },
          ConditionExpression: '#holder = :holder',
          ExpressionAttributeNames: { '#holder': 'holder' },
          ExpressionAttributeValues: { ':holder': holder },
        }),
      );
    } catch (err) {
      // Not ours (taken over after expiry) or already gone: nothing to give up.
      if (isDynamoError(err, DynamoErrorName.ConditionalCheckFailed)) return;
      throw err;
    }
  }
}

/** A lease that is born expired would let every replica take it at once. */
function assertTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`lease ttlMs must be positive, got ${ttlMs}`);
}
