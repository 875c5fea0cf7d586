import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { botPolicy, ec2TrustPolicy, type BotPolicyInput } from '../policies.js';

/** The policy's inputs; account and partition are looked up here. */
export type BotRoleArgs = { [K in keyof Omit<BotPolicyInput, 'partition' | 'accountId'>]: pulumi.Input<BotPolicyInput[K]> };

/**
 * The bot host's identity: a role with one inline policy built by `botPolicy` (infra/policies.ts,
 * where every statement is explained), and its instance profile.
 */
export class BotRole extends pulumi.ComponentResource {
  readonly roleArn: pulumi.Output<string>;
  readonly instanceProfileName: pulumi.Output<string>;
  /** The policy document as attached, JSON. */
  readonly policy: pulumi.Output<string>;
  /**
   * The inline policy and the instance profile: the bot host must not boot before both exist, or
   * its first calls (secrets, the launch check, the first job) are refused. Nothing in the host's
   * inputs names the policy, so it has to wait for these explicitly (`dependsOn`).
   */
  readonly grants: pulumi.Resource[];

  constructor(name: string, args: BotRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sched:infra:BotRole', name, {}, opts);

    const account = aws.getCallerIdentityOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });
    this.policy = pulumi
      .all([pulumi.output(args), account.accountId, partition.partition])
      .apply(([input, accountId, partitionName]) => JSON.stringify(botPolicy({ ...input, accountId, partition: partitionName })));

    const role = new aws.iam.Role(
      name,
      { description: 'Sched bot host: its table, its secrets, and spot instances of its deployment', assumeRolePolicy: JSON.stringify(ec2TrustPolicy()) },
      { parent: this },
    );
    const inlinePolicy = new aws.iam.RolePolicy(`${name}-policy`, { role: role.id, policy: this.policy }, { parent: this });
    const profile = new aws.iam.InstanceProfile(`${name}-profile`, { role: role.name }, { parent: this });
    this.grants = [inlinePolicy, profile];

    this.roleArn = role.arn;
    this.instanceProfileName = profile.name;
    this.registerOutputs({ roleArn: this.roleArn, instanceProfileName: this.instanceProfileName });
  }
}
