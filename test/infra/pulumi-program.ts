/**
 * Runs the Pulumi program (infra/index.ts) offline under `pulumi.runtime.setMocks`, the way the
 * Pulumi CLI would run it for a stack: Pulumi.yaml's defaults merged under the given stack values.
 * Records every resource (type, name, inputs, provider), every provider function call, and every
 * configuration key the program reads. One program run per test file: the Pulumi runtime is
 * process-wide.
 *
 * The mocks answer like AWS would, with ids in AWS's formats (`sg-…`, `i-…`, `subnet-…`), so the
 * values that reach the bot host's environment pass the bot's own validation.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import { load } from 'js-yaml';
import { vi } from 'vitest';
import { REPO_ROOT } from '../../infra/bot-bundle.js';

export const ACCOUNT_ID = '123456789012';
export const DEFAULT_VPC_ID = 'vpc-0d3fa017';
/** Listed unsorted on purpose: the program must not depend on AWS's order. */
export const DEFAULT_SUBNET_IDS = ['subnet-0bbb2222', 'subnet-0aaa1111', 'subnet-0ccc3333'];
export const BOT_HOST_PRIVATE_IP = '172.31.16.10';
/** Each subnet's zone. The first in sorted order is in the zone without Graviton types. */
export const SUBNET_ZONES: Record<string, string> = {
  'subnet-0aaa1111': 'zone-e',
  'subnet-0bbb2222': 'zone-a',
  'subnet-0ccc3333': 'zone-b',
  'subnet-0c2c2c2c': 'zone-a',
  'subnet-0c1c1c1c': 'zone-b',
};
/** Zones offering an instance type: every zone, except Graviton types in zone-e. */
export function zonesOffering(instanceType: string): string[] {
  const graviton = /^[a-z]+\d+[a-z]*g/.test(instanceType);
  return ['zone-a', 'zone-b', ...(graviton ? [] : ['zone-e'])];
}

/** What the public SSM parameters hold in this fake account. */
export const PUBLIC_PARAMETERS: Record<string, string> = {
  '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64': 'ami-0a1a2023a2023arm',
  '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64': 'ami-0a1a2023a2023x86',
  '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id': 'ami-0ec5a2023a2023a64',
  '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id': 'ami-0ec5a2023a2023a86',
  '/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id': 'ami-0ec5a2023a2023c0a',
};

export interface ProjectConfigKey {
  type?: string;
  description?: string;
  default?: unknown;
  secret?: boolean;
  items?: { type: string };
}

export interface ProjectFile {
  name: string;
  main: string;
  runtime: unknown;
  config: Record<string, ProjectConfigKey>;
}

export function readProjectFile(): ProjectFile {
  return load(readFileSync(join(REPO_ROOT, 'Pulumi.yaml'), 'utf8')) as ProjectFile;
}

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  provider?: string;
  id: string;
  state: Record<string, unknown>;
  /** The URNs the engine is told this resource depends on (explicit `dependsOn` and those of its inputs). */
  dependencies: string[];
}

export interface ProgramRun {
  project: ProjectFile;
  resources: RecordedResource[];
  invokes: { token: string; inputs: Record<string, unknown>; provider?: string }[];
  /** Keys read through pulumi.Config, fully qualified (`sched:region`). */
  configKeysRead: Set<string>;
  outputs: Record<string, unknown>;
  /** The stack config the program saw, before namespacing. */
  config: Record<string, unknown>;
  ofType(type: string): RecordedResource[];
  one(type: string): RecordedResource;
}

// How the Pulumi runtime marks a secret value on the wire.
const SECRET_SIGNATURE = '4dabf18193072939515e22adb298388d';

/** Inputs as the mocks receive them carry secrets wrapped; tests want the values. */
function revealSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (SECRET_SIGNATURE in record) return revealSecrets(record.value);
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, revealSecrets(v)]));
  }
  return value;
}

const hex = (seed: string, length: number) => createHash('sha256').update(seed).digest('hex').slice(0, length);

/**
 * The stack's configuration as the CLI hands it to the program: Pulumi.yaml's defaults, then the
 * stack's own values; lists and objects as JSON.
 */
export function stackConfig(project: ProjectFile, values: Record<string, unknown>): Record<string, string> {
  const merged: Record<string, unknown> = {};
  for (const [key, declaration] of Object.entries(project.config)) {
    if (declaration.default !== undefined) merged[key] = declaration.default;
  }
  Object.assign(merged, values);
  return Object.fromEntries(
    Object.entries(merged).map(([key, value]) => [`${project.name}:${key}`, typeof value === 'string' ? value : JSON.stringify(value)]),
  );
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getDependenciesList(): string[];
}

export async function runProgram(values: Record<string, unknown>, opts: { stack: string }): Promise<ProgramRun> {
  const project = readProjectFile();
  const resources: RecordedResource[] = [];
  const invokes: ProgramRun['invokes'] = [];
  const region = String(values.region ?? project.config.region?.default);

  const arn = (service: string, resource: string, global = false) => `arn:aws:${service}:${global ? '' : region}:${ACCOUNT_ID}:${resource}`;
  const autoName = (name: string) => `${name}-${hex(name, 7)}`;
  const dependenciesOf = new Map<string, string[]>();

  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const inputs = revealSecrets(args.inputs) as Record<string, unknown>;
        const state: Record<string, unknown> = { ...inputs };
        let id = `${args.name}-id`;
        switch (args.type) {
          case 'aws:ec2/securityGroup:SecurityGroup':
            id = `sg-${hex(args.name, 17)}`;
            state.arn = arn('ec2', `security-group/${id}`);
            break;
          case 'aws:ec2/instance:Instance':
            id = `i-${hex(args.name, 17)}`;
            break;
          case 'aws:ec2/networkInterface:NetworkInterface':
            id = `eni-${hex(args.name, 17)}`;
            state.privateIp = BOT_HOST_PRIVATE_IP;
            break;
          case 'aws:ec2/eip:Eip':
            id = `eipalloc-${hex(args.name, 17)}`;
            state.publicIp = '203.0.113.10';
            break;
          case 'aws:iam/role:Role':
            state.name = inputs.name ?? autoName(args.name);
            id = String(state.name);
            state.arn = `arn:aws:iam::${ACCOUNT_ID}:role/${state.name}`;
            break;
          case 'aws:iam/instanceProfile:InstanceProfile':
            state.name = inputs.name ?? autoName(args.name);
            id = String(state.name);
            state.arn = `arn:aws:iam::${ACCOUNT_ID}:instance-profile/${state.name}`;
            break;
          case 'aws:dynamodb/table:Table':
            state.name = inputs.name ?? autoName(args.name);
            id = String(state.name);
            state.arn = arn('dynamodb', `table/${state.name}`);
            break;
          case 'aws:ssm/parameter:Parameter':
            id = String(inputs.name);
            state.arn = arn('ssm', `parameter${inputs.name}`);
            break;
          case 'aws:s3/bucket:Bucket':
            id = autoName(args.name);
            state.bucket = id;
            state.arn = `arn:aws:s3:::${id}`;
            break;
          case 'aws:s3/bucketObjectv2:BucketObjectv2':
            id = String(inputs.key);
            state.arn = `arn:aws:s3:::${inputs.bucket}/${inputs.key}`;
            break;
          case 'random:index/randomPassword:RandomPassword':
            state.result = `R${hex(args.name, 47)}`;
            break;
        }
        resources.push({ type: args.type, name: args.name, inputs, provider: args.provider, id, state, dependencies: dependenciesOf.get(`${args.type}::${args.name}`) ?? [] });
        return { id, state };
      },
      call(args) {
        invokes.push({ token: args.token, inputs: args.inputs as Record<string, unknown>, provider: args.provider });
        switch (args.token) {
          case 'aws:ec2/getVpc:getVpc':
            return { id: DEFAULT_VPC_ID, cidrBlock: '172.31.0.0/16', default: true };
          case 'aws:ec2/getSubnets:getSubnets': {
            const filters = (args.inputs.filters ?? []) as { name: string; values: string[] }[];
            const byId = filters.find((f) => f.name === 'subnet-id')?.values;
            const inZones = filters.find((f) => f.name === 'availability-zone')?.values;
            const ids = (byId ?? DEFAULT_SUBNET_IDS).filter((id) => !inZones || inZones.includes(SUBNET_ZONES[id] ?? ''));
            return { id: region, ids };
          }
          case 'aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings': {
            const filters = (args.inputs.filters ?? []) as { name: string; values: string[] }[];
            const type = filters.find((f) => f.name === 'instance-type')?.values[0] ?? '';
            const locations = zonesOffering(type);
            return { id: region, instanceTypes: locations.map(() => type), locations, locationTypes: locations.map(() => 'availability-zone') };
          }
          case 'aws:ssm/getParameter:getParameter': {
            const value = PUBLIC_PARAMETERS[String(args.inputs.name)];
            if (!value) throw new Error(`no such parameter: ${String(args.inputs.name)}`);
            return { id: args.inputs.name, name: args.inputs.name, type: 'String', value };
          }
          case 'aws:index/getCallerIdentity:getCallerIdentity':
            return { id: ACCOUNT_ID, accountId: ACCOUNT_ID, arn: `arn:aws:iam::${ACCOUNT_ID}:user/operator`, userId: 'AIDAEXAMPLE' };
          case 'aws:index/getPartition:getPartition':
            return { id: 'aws', partition: 'aws', dnsSuffix: 'amazonaws.com', reverseDnsPrefix: 'com.amazonaws' };
          default:
            throw new Error(`unmocked provider function ${args.token}`);
        }
      },
    },
    project.name,
    opts.stack,
    false,
  );

  // The mocks see no dependencies; the monitor's registration request carries them.
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: RegisterRequest, callback: unknown): unknown };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    dependenciesOf.set(`${req.getType()}::${req.getName()}`, req.getDependenciesList());
    return register(req, callback);
  };

  const config = stackConfig(project, values);
  const secretKeys = Object.entries(project.config)
    .filter(([, declaration]) => declaration.secret)
    .map(([key]) => `${project.name}:${key}`);
  pulumi.runtime.setAllConfig(config, secretKeys);

  const configKeysRead = new Set<string>();
  const configPrototype = pulumi.Config.prototype as unknown as { fullKey(key: string): string };
  const spy = vi.spyOn(configPrototype, 'fullKey');

  const program = (await import('../../infra/index.js')) as Record<string, unknown>;
  const outputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(program)) {
    outputs[key] = pulumi.Output.isInstance(value) ? await valueOf(value) : value;
  }
  // Registrations finish asynchronously; wait until no new resource shows up.
  for (let stable = 0, count = -1; stable < 3; ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    stable = resources.length === count ? stable + 1 : 0;
    count = resources.length;
  }
  for (const result of spy.mock.results) if (result.type === 'return') configKeysRead.add(result.value as string);
  spy.mockRestore();

  const ofType = (type: string) => resources.filter((r) => r.type === type);
  return {
    project,
    resources,
    invokes,
    configKeysRead,
    outputs,
    config: Object.fromEntries(Object.entries(config).map(([k, v]) => [k.slice(project.name.length + 1), v])),
    ofType,
    one(type) {
      const found = ofType(type);
      if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
      return found[0]!;
    },
  };
}

/** An output's value, secret or not. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply((value) => resolve(value)));
}
