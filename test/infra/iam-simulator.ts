/**
 * A small IAM evaluator for identity policies made only of Allow statements: enough to ask "may
 * the bot do X to Y" of the documents in infra/policies.ts. Unknown condition operators throw, so
 * a policy cannot silently outgrow it.
 *
 * AWS semantics kept: actions match case-insensitively, `*`/`?` are wildcards in actions and
 * resources, every condition operator and key of a statement must hold, a single-valued operator
 * on a missing key fails, `ForAllValues:` on a missing key holds.
 */
import type { PolicyDocument } from '../../infra/policies.js';

export type RequestContext = Record<string, string | string[]>;

export interface AccessRequest {
  action: string;
  resource: string;
  context?: RequestContext;
}

export function isAllowed(policy: PolicyDocument, request: AccessRequest): boolean {
  return policy.Statement.some(
    (statement) =>
      statement.Effect === 'Allow' &&
      statement.Action.some((pattern) => wildcardMatch(pattern.toLowerCase(), request.action.toLowerCase())) &&
      statement.Resource.some((pattern) => wildcardMatch(pattern, request.resource)) &&
      conditionsHold(statement.Condition ?? {}, request.context ?? {}),
  );
}

function wildcardMatch(pattern: string, value: string): boolean {
  const regex = new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&'))).join('')}$`, 's');
  return regex.test(value);
}

function conditionsHold(conditions: Record<string, Record<string, string | string[]>>, context: RequestContext): boolean {
  return Object.entries(conditions).every(([operator, keys]) =>
    Object.entries(keys).every(([key, expected]) => {
      const allowed = Array.isArray(expected) ? expected : [expected];
      const actual = context[key];
      switch (operator) {
        case 'StringEquals':
          return typeof actual === 'string' && allowed.includes(actual);
        case 'ForAllValues:StringEquals':
          return actual === undefined || (Array.isArray(actual) ? actual : [actual]).every((value) => allowed.includes(value));
        case 'Bool':
          return typeof actual === 'string' && allowed.includes(actual);
        default:
          throw new Error(`iam-simulator: condition operator ${operator} is not supported`);
      }
    }),
  );
}

/** `aws:RequestTag/…` and `aws:TagKeys` of a request that applies these tags. */
export function requestTagContext(tags: { Key?: string; Value?: string }[]): RequestContext {
  return {
    ...Object.fromEntries(tags.map((tag) => [`aws:RequestTag/${tag.Key}`, tag.Value ?? ''])),
    'aws:TagKeys': tags.map((tag) => tag.Key ?? ''),
  };
}

/** `aws:ResourceTag/…` of a resource carrying these tags. */
export function resourceTagContext(tags: Record<string, string>): RequestContext {
  return Object.fromEntries(Object.entries(tags).map(([key, value]) => [`aws:ResourceTag/${key}`, value]));
}
