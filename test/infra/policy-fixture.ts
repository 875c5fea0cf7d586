/** The bot policy's input the policy tests share: a deployment in eu-west-1 with two subnets. */
import { ACTIVE_INDEX, BY_DAY_INDEX } from '../../bot/adapters/dynamo-schema.js';
import type { BotPolicyInput } from '../../infra/policies.js';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

export const INPUT: BotPolicyInput = {
  partition: 'aws',
  region: REGION,
  accountId: ACCOUNT,
  deployment: 'sched-prod',
  tableArn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/sched-prod-jobs-1a2b3c4`,
  indexNames: [ACTIVE_INDEX, BY_DAY_INDEX],
  workerRoleArn: `arn:aws:iam::${ACCOUNT}:role/sched-prod-workers-role-5d6e7f8`,
  workerInstanceProfileArn: `arn:aws:iam::${ACCOUNT}:instance-profile/sched-prod-workers-profile-9a8b7c6`,
  workerSecurityGroupId: 'sg-0123456789abcdef0',
  workerImageId: 'ami-0fedcba9876543210',
  allowedInstanceTypes: ['m7g.medium', 'm6g.medium'],
  subnetIds: ['subnet-0aaa1111', 'subnet-0bbb2222'],
  secretParameterArns: ['SCHED_SECRET', 'SCHED_API_TOKEN', 'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN'].map(
    (name) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/sched/sched-prod/${name}`,
  ),
  botBundleObjectArn: 'arn:aws:s3:::sched-prod-artifact-1234567/bot/sched-0123.cjs',
};
