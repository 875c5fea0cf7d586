import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { TTL_ATTRIBUTE, createTableInput } from '../../bot/adapters/dynamo-schema.js';

export interface StateTableArgs {
  deletionProtection: boolean;
}

/**
 * The job table, declared from the same layout the bot's store uses (bot/adapters/dynamo-schema.ts),
 * so keys and indexes cannot drift apart. On-demand, TTL on the expiry attribute, point-in-time
 * recovery, encrypted with the AWS-managed KMS key.
 */
export class StateTable extends pulumi.ComponentResource {
  readonly name: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;
  readonly indexNames: string[];

  constructor(name: string, args: StateTableArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sched:infra:StateTable', name, {}, opts);

    // The name only fills the request; Pulumi names the table.
    const layout = createTableInput(name);
    const hashKey = layout.KeySchema?.find((key) => key.KeyType === 'HASH')?.AttributeName;
    if (!hashKey) throw new Error('dynamo-schema: the table layout has no partition key');
    const indexes = layout.GlobalSecondaryIndexes ?? [];
    this.indexNames = indexes.map((index) => index.IndexName!);

    const table = new aws.dynamodb.Table(
      name,
      {
        billingMode: layout.BillingMode,
        hashKey,
        attributes: (layout.AttributeDefinitions ?? []).map((a) => ({ name: a.AttributeName!, type: a.AttributeType! })),
        globalSecondaryIndexes: indexes.map((index) => ({
          name: index.IndexName!,
          keySchemas: (index.KeySchema ?? []).map((key) => ({ attributeName: key.AttributeName!, keyType: key.KeyType! })),
          projectionType: index.Projection?.ProjectionType ?? 'ALL',
        })),
        ttl: { attributeName: TTL_ATTRIBUTE, enabled: true },
        pointInTimeRecovery: { enabled: true },
        serverSideEncryption: { enabled: true },
        deletionProtectionEnabled: args.deletionProtection,
      },
      { parent: this },
    );

    this.name = table.name;
    this.arn = table.arn;
    this.registerOutputs({ name: this.name, arn: this.arn });
  }
}
