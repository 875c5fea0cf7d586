/**
 * Schedules in the jobs table: item id `schedule#<id>` (job ids never contain '#'), active ones
 * listed through the same sparse index as jobs, under their own partition value, so no second
 * index and no scan.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../core/errors.js';
import { specFromStored } from '../core/job.js';
import type { Schedule } from '../core/schedule.js';
import type { ScheduleStore } from '../ports.js';
import { DynamoErrorName, isDynamoError } from './aws-errors.js';
import { ACTIVE_INDEX, ACTIVE_SHARD_ATTRIBUTE, ACTIVE_SORT_ATTRIBUTE, KEY_ATTRIBUTE } from './dynamo-schema.js';

/** The active-index partition of schedules (job shards are `active#N`). */
export const SCHEDULE_SHARD = 'schedules';
const PREFIX = 'schedule#';

export class DynamoScheduleStore implements ScheduleStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(private readonly opts: { client: DynamoDBClient; tableName: string }) {
    this.doc = DynamoDBDocumentClient.from(opts.client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async createSchedule(schedule: Schedule): Promise<void> {
    await this.put(schedule, 'attribute_not_exists(#id)', {});
  }

  async getSchedule(id: string): Promise<Schedule | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.opts.tableName, Key: { [KEY_ATTRIBUTE]: PREFIX + id }, ConsistentRead: true }));
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async updateSchedule(schedule: Schedule): Promise<void> {
    await this.put(schedule, 'attribute_exists(#id) AND #version = :expected', { ':expected': schedule.version - 1 });
  }

  async listActiveSchedules(): Promise<Schedule[]> {
    const schedules: Schedule[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.opts.tableName,
          IndexName: ACTIVE_INDEX,
          KeyConditionExpression: '#shard = :shard',
          ExpressionAttributeNames: { '#shard': ACTIVE_SHARD_ATTRIBUTE },
          ExpressionAttributeValues: { ':shard': SCHEDULE_SHARD },
          ExclusiveStartKey,
        }),
      );
      for (const item of page.Items ?? []) schedules.push(fromItem(item));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return schedules;
  }

  private async put(schedule: Schedule, condition: string, values: Record<string, unknown>): Promise<void> {
    const item: Record<string, unknown> = { ...schedule, [KEY_ATTRIBUTE]: PREFIX + schedule.id, scheduleId: schedule.id, kind: 'schedule' };
    if (schedule.status === 'active' && schedule.nextRunAt) {
      item[ACTIVE_SHARD_ATTRIBUTE] = SCHEDULE_SHARD;
      item[ACTIVE_SORT_ATTRIBUTE] = schedule.nextRunAt;
    }
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.opts.tableName,
          Item: item,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#id': KEY_ATTRIBUTE, ...(values[':expected'] !== undefined && { '#version': 'version' }) },
          ...(Object.keys(values).length > 0 && { ExpressionAttributeValues: values }),
        }),
      );
    } catch (err) {
      if (isDynamoError(err, DynamoErrorName.ConditionalCheckFailed)) throw new ConflictError(`schedule ${schedule.id} changed or exists`);
      throw err;
    }
  }
}

function fromItem(item: Record<string, unknown>): Schedule {
  const { [KEY_ATTRIBUTE]: _key, scheduleId, kind: _kind, [ACTIVE_SHARD_ATTRIBUTE]: _shard, [ACTIVE_SORT_ATTRIBUTE]: _sort, ...rest } = item;
  const schedule = rest as Omit<Schedule, 'id'>;
  return { ...schedule, spec: specFromStored(schedule.spec), id: scheduleId as string };
}

/** The in-memory twin. */
export class MemoryScheduleStore implements ScheduleStore {
  private readonly items = new Map<string, Schedule>();

  async createSchedule(schedule: Schedule): Promise<void> {
    if (this.items.has(schedule.id)) throw new ConflictError(`schedule ${schedule.id} exists`);
    this.items.set(schedule.id, structuredClone(schedule));
  }

  async getSchedule(id: string): Promise<Schedule | undefined> {
    const found = this.items.get(id);
    return found && structuredClone(found);
  }

  async updateSchedule(schedule: Schedule): Promise<void> {
    const stored = this.items.get(schedule.id);
    if (!stored || stored.version !== schedule.version - 1) throw new ConflictError(`schedule ${schedule.id} changed`);
    this.items.set(schedule.id, structuredClone(schedule));
  }

  async listActiveSchedules(): Promise<Schedule[]> {
    return [...this.items.values()].filter((s) => s.status === 'active' && s.nextRunAt).map((s) => structuredClone(s));
  }
}
