/**
 * docs/iam.md's permission table, made from data: the bot policy (infra/policies.ts, rendered
 * with placeholders for a stack's values) and the Service Authorization Reference's rows
 * (infra/iam-reference.ts). `npm run docs:iam` writes it between the markers in docs/iam.md;
 * test/infra/iam-doc.test.ts fails when the file and this rendering differ.
 */
import { ACTIVE_INDEX, BY_DAY_INDEX } from '../bot/adapters/dynamo-schema.js';
import { IAM_REFERENCE_READ_ON, IAM_REFERENCE_SOURCES, REFERENCE_ACTIONS, REFERENCE_RESOURCE_TYPES, type ReferenceAction } from './iam-reference.js';
import { botPolicy, type BotPolicyInput, type PolicyStatement } from './policies.js';

export const TABLE_START = '<!-- iam-table:start (npm run docs:iam writes this part) -->';
export const TABLE_END = '<!-- iam-table:end -->';

/** A stack's values as placeholders. */
export const PLACEHOLDER_INPUT: BotPolicyInput = {
  partition: 'aws',
  region: '<region>',
  accountId: '<account>',
  deployment: '<deployment>',
  tableArn: 'arn:aws:dynamodb:<region>:<account>:table/<table>',
  indexNames: [ACTIVE_INDEX, BY_DAY_INDEX],
  workerRoleArn: 'arn:aws:iam::<account>:role/<worker role>',
  workerInstanceProfileArn: 'arn:aws:iam::<account>:instance-profile/<worker profile>',
  workerSecurityGroupId: '<worker security group>',
  workerImageId: '<worker image>',
  workerGpuImageId: '<GPU image>',
  allowedInstanceTypes: ['<allowedInstanceTypes>'],
  subnetIds: ['<each subnet>'],
  secretParameterArns: ['arn:aws:ssm:<region>:<account>:parameter/sched/<deployment>/<each secret>'],
  botBundleObjectArn: 'arn:aws:s3:::<artifact bucket>/<bundle>',
};

export function referenceOf(action: string): ReferenceAction {
  const entry = REFERENCE_ACTIONS[action];
  if (entry === undefined) throw new Error(`${action} is not in infra/iam-reference.ts: add its row from the Service Authorization Reference`);
  return entry;
}

/** The ARN format's placeholders (`${InstanceId}`) as wildcards, over policy or request ARNs. */
function arnPattern(format: string): RegExp {
  const parts = format.split(/\$\{[^}]+\}/).map((part) => part.replace(/[.*+?^$()|[\]\\/]/g, '\\$&'));
  return new RegExp(`^${parts.join('[^:]*?')}$`.replace('[^:]*?$', '.+$'));
}

/** Which of the action's resource types (in the reference) an ARN is; undefined: none of them. */
export function resourceTypeOfArn(action: string, arn: string): string | undefined {
  const service = action.split(':')[0]!;
  return referenceOf(action).resourceTypes.find((row) => {
    const format = REFERENCE_RESOURCE_TYPES[`${service}:${row.type}`]?.arn;
    return format !== undefined && arnPattern(format).test(arn);
  })?.type;
}

const code = (text: string) => `\`${text}\``;

function resourcesCell(statement: PolicyStatement): string {
  if (statement.Resource.includes('*')) return '`*`';
  return statement.Resource.map((arn) => code(arn.replace(/^arn:aws:ec2:<region>:(<account>)?:/, ''))).join(', ');
}

function typesCell(action: string, statement: PolicyStatement): string {
  const reference = referenceOf(action);
  if (statement.Resource.includes('*')) {
    return reference.resourceTypes.length === 0 ? 'none (no resource-level permissions)' : reference.resourceTypes.map((r) => r.type).join(', ');
  }
  const types = [...new Set(statement.Resource.map((arn) => resourceTypeOfArn(action, arn) ?? '?'))];
  return types.map((type) => (reference.resourceTypes.find((r) => r.type === type)?.required ? `${type}*` : type)).join(', ');
}

function conditionsCell(statement: PolicyStatement): string {
  const parts = Object.entries(statement.Condition ?? {}).flatMap(([operator, keys]) =>
    Object.entries(keys).map(([key, value]) => {
      const values = Array.isArray(value) ? value : [value];
      const shown = values.map(code).join(' or ');
      return operator.startsWith('ForAllValues:') ? `${code(key)} only ${values.map(code).join(', ')}` : `${code(key)} = ${shown}`;
    }),
  );
  return parts.length > 0 ? parts.join('; ') : '—';
}

/** The markdown between the markers: one row per action and statement, then the reference's required types. */
export function permissionTable(input: BotPolicyInput = PLACEHOLDER_INPUT): string {
  const rows = botPolicy(input).Statement.flatMap((statement) =>
    statement.Action.map((action) => `| ${code(action)} | ${typesCell(action, statement)} | ${resourcesCell(statement)} | ${conditionsCell(statement)} | ${statement.Sid} |`),
  );
  const granted = [...new Set(botPolicy(input).Statement.flatMap((s) => s.Action))];
  const required = granted
    .map((action) => ({ action, types: referenceOf(action).resourceTypes.filter((r) => r.required).map((r) => r.type), dependent: referenceOf(action).dependentActions }))
    .filter((a) => a.types.length > 0)
    .map((a) => `- ${code(a.action)}: ${a.types.join(', ')}${a.dependent.length > 0 ? `; dependent actions: ${a.dependent.join(', ')}` : ''}`);
  return [
    TABLE_START,
    '| action | resource types (reference; `*` required) | allowed on | conditions we rely on | statement |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    'Resource types the reference marks required, by action (each must be allowed for the call to pass):',
    '',
    ...required,
    '',
    `Reference read on ${IAM_REFERENCE_READ_ON}: ${Object.values(IAM_REFERENCE_SOURCES).join(', ')}.`,
    TABLE_END,
  ].join('\n');
}

/** `text` with the part between the markers replaced by `table`; throws when the markers are missing. */
export function withTable(text: string, table: string = permissionTable()): string {
  const start = text.indexOf(TABLE_START);
  const end = text.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`docs/iam.md lacks the markers ${TABLE_START} … ${TABLE_END}`);
  return `${text.slice(0, start)}${table}${text.slice(end + TABLE_END.length)}`;
}
