/**
 * The fault proxy with the real SDK clients in front of a real moto: what each injected fault
 * looks like to the SDK and to our error classifier, what the SDK retries, and that requests no
 * rule touches reach moto unchanged.
 */
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateFleetCommand,
  CreateLaunchTemplateCommand,
  DescribeInstancesCommand,
  DescribeSubnetsCommand,
  EC2Client,
  RequestSpotInstancesCommand,
  RunInstancesCommand,
  type Subnet,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { awsErrorCode, isCapacityError, isPermanent, isServerFault, isThrottling } from '../../bot/adapters/aws-errors.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { startMoto, type Moto } from './moto.js';

const AMI = 'ami-12c6146b';

let moto: Moto;
let proxy: FaultProxy;
/** Straight to moto, past the proxy: what really exists. */
let direct: EC2Client;
const clients: { destroy(): void }[] = [];

function ec2(maxAttempts: number): EC2Client {
  const client = new EC2Client({ ...proxy.clientConfig, maxAttempts });
  clients.push(client);
  return client;
}

function dynamo(maxAttempts: number): DynamoDBClient {
  const client = new DynamoDBClient({ ...proxy.clientConfig, maxAttempts });
  clients.push(client);
  return client;
}

/** The error a call threw (fails the test if it succeeded). */
async function failure(call: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number; attempts?: number } }> {
  const outcome = await call.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(outcome instanceof Error)) throw new Error('expected the call to fail');
  return outcome;
}

async function instancesInMoto() {
  const out = await direct.send(new DescribeInstancesCommand({}));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

async function subnets(): Promise<Subnet[]> {
  const out = await direct.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }));
  return [...(out.Subnets ?? [])].sort((a, b) => (a.AvailabilityZone ?? '').localeCompare(b.AvailabilityZone ?? ''));
}

const runOne = (client: EC2Client, input: { InstanceType: _InstanceType; SubnetId?: string }) =>
  client.send(new RunInstancesCommand({ ImageId: AMI, MinCount: 1, MaxCount: 1, InstanceMarketOptions: { MarketType: 'spot' }, ...input }));

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy(moto.endpoint);
  direct = new EC2Client(moto.clientConfig);
});
afterAll(async () => {
  for (const client of clients) client.destroy();
  direct?.destroy();
  await proxy?.close();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  proxy.reset();
});

describe('requests no rule touches', () => {
  test('are forwarded byte for byte, Host and signature included', async () => {
    // A recorder in moto's place sees what the proxy sends on; the SDK's last middleware sees what it signed.
    const seen: { headers: IncomingHttpHeaders; body: string }[] = [];
    const recorder = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'text/xml' }).end('<DescribeInstancesResponse><reservationSet/></DescribeInstancesResponse>');
      });
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    const recorded = await startFaultProxy(`http://127.0.0.1:${(recorder.address() as AddressInfo).port}`);
    const client = new EC2Client({ ...recorded.clientConfig });
    const sent: { headers: Record<string, string>; body: string }[] = [];
    client.middlewareStack.add(
      (next) => (args) => {
        const request = args.request as { headers: Record<string, string>; body: string };
        sent.push({ headers: { ...request.headers }, body: request.body });
        return next(args);
      },
      { step: 'deserialize', name: 'recordSigned' },
    );
    try {
      await client.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:sched-job-id', Values: ['a b&c'] }] }));
    } finally {
      client.destroy();
      await recorded.close();
      recorder.close();
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]!.body).toBe(sent[0]!.body);
    const signed = /SignedHeaders=([^,]+)/.exec(sent[0]!.headers.authorization ?? '')![1]!.split(';');
    expect(signed).toContain('host');
    for (const name of [...signed, 'authorization']) expect([name, seen[0]!.headers[name]]).toEqual([name, sent[0]!.headers[name]]);
    expect(seen[0]!.headers.host).toBe(new URL(recorded.endpoint).host);
  });

  test('reach moto signed as sent: RunInstances launches there, DynamoDB stores there', async () => {
    const out = await runOne(ec2(1), { InstanceType: 'm7g.medium' });
    const launched = out.Instances?.[0]?.InstanceId;
    expect((await instancesInMoto()).map((i) => i.InstanceId)).toEqual([launched]);

    const db = dynamo(1);
    await db.send(new CreateTableCommand({ TableName: 't', BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }));
    await db.send(new PutItemCommand({ TableName: 't', Item: { id: { S: 'a' } } }));
    expect((await db.send(new GetItemCommand({ TableName: 't', Key: { id: { S: 'a' } } }))).Item?.id?.S).toBe('a');

    expect(proxy.count({ service: 'ec2', action: 'RunInstances', outcome: 'forwarded' })).toBe(1);
    expect(proxy.count({ service: 'dynamodb', outcome: 'forwarded' })).toBe(3);
    expect(proxy.count({ action: 'PutItem' })).toBe(1);
    expect(proxy.requests.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });
});

describe('capacity', () => {
  test('a refused pool is InsufficientInstanceCapacity, HTTP 500, a capacity error the SDK retries; other types launch', async () => {
    proxy.refuseCapacity({ instanceType: 'm7g.medium' });
    const client = ec2(3);
    const err = await failure(runOne(client, { InstanceType: 'm7g.medium' }));
    expect(err.name).toBe('InsufficientInstanceCapacity');
    expect(err.$metadata?.httpStatusCode).toBe(500);
    expect(err.message).toBe('There is no Spot capacity available that matches your request.');
    expect(isCapacityError(err)).toBe(true);
    expect(isThrottling(err)).toBe(false);
    // The SDK's standard retry treats a 500 as transient: three RunInstances for one call.
    expect(proxy.count({ action: 'RunInstances', outcome: 'refused' })).toBe(3);
    expect(err.$metadata?.attempts).toBe(3);
    expect(await instancesInMoto()).toEqual([]);

    await runOne(client, { InstanceType: 'm6g.medium' });
    expect((await instancesInMoto()).map((i) => i.InstanceType)).toEqual(['m6g.medium']);
    expect(proxy.count({ action: 'RunInstances', outcome: 'forwarded' })).toBe(1);
  });

  test('a rule with times expires: the SDK retry after one refusal launches', async () => {
    const rule = proxy.refuseCapacity({ instanceType: 'm7g.medium', times: 1 });
    const out = await runOne(ec2(2), { InstanceType: 'm7g.medium' });
    expect(out.Instances).toHaveLength(1);
    expect(rule).toMatchObject({ applied: 1, active: false });
    expect(proxy.requests.map((r) => [r.action, r.outcome, r.status])).toEqual([
      ['RunInstances', 'refused', 500],
      ['RunInstances', 'forwarded', 200],
    ]);
  });

  test('a zone is refused by the subnet a launch names (asked of moto, not counted) or its Placement', async () => {
    const [a, b] = await subnets();
    expect([a?.AvailabilityZone, b?.AvailabilityZone]).toEqual(['us-west-2a', 'us-west-2b']);
    proxy.refuseCapacity({ availabilityZone: 'us-west-2a' });
    const client = ec2(1);
    const err = await failure(runOne(client, { InstanceType: 'm7g.medium', SubnetId: a!.SubnetId! }));
    expect(isCapacityError(err)).toBe(true);
    await runOne(client, { InstanceType: 'm7g.medium', SubnetId: b!.SubnetId! });

    const spot = (zone: string) =>
      client.send(new RequestSpotInstancesCommand({ LaunchSpecification: { ImageId: AMI, InstanceType: 'm7g.medium', Placement: { AvailabilityZone: zone } } }));
    expect(awsErrorCode(await failure(spot('us-west-2a')))).toBe('InsufficientInstanceCapacity');
    await spot('us-west-2c');

    expect(proxy.requests.map((r) => [r.action, r.outcome])).toEqual([
      ['RunInstances', 'refused'],
      ['RunInstances', 'forwarded'],
      ['RequestSpotInstances', 'refused'],
      ['RequestSpotInstances', 'forwarded'],
    ]);
  });

  test("a zone is found in the caller's moto account (x-moto-account-id)", async () => {
    const client = ec2(1);
    client.middlewareStack.add(
      (next) => (args) => {
        (args.request as { headers: Record<string, string> }).headers['x-moto-account-id'] = '111122223333';
        return next(args);
      },
      { step: 'build', name: 'motoAccount' },
    );
    const own = await client.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }));
    const zoneA = own.Subnets?.find((s) => s.AvailabilityZone === 'us-west-2a')?.SubnetId;
    expect((await subnets()).map((s) => s.SubnetId)).not.toContain(zoneA);
    proxy.refuseCapacity({ availabilityZone: 'us-west-2a' });
    expect((await failure(runOne(client, { InstanceType: 'm7g.medium', SubnetId: zoneA! }))).name).toBe('InsufficientInstanceCapacity');
  });

  test('a pool is a type in a subnet: the same type elsewhere and another type there launch', async () => {
    const [a, b] = await subnets();
    proxy.refuseCapacity({ instanceType: 'm7g.medium', subnetId: a!.SubnetId! });
    const client = ec2(1);
    const spot = (type: _InstanceType, subnet: string) =>
      client.send(new RequestSpotInstancesCommand({ LaunchSpecification: { ImageId: AMI, InstanceType: type, SubnetId: subnet } }));
    expect((await failure(spot('m7g.medium', a!.SubnetId!))).name).toBe('InsufficientInstanceCapacity');
    await spot('m7g.medium', b!.SubnetId!);
    await spot('m6g.medium', a!.SubnetId!);
    expect(proxy.requests.map((r) => r.outcome)).toEqual(['refused', 'forwarded', 'forwarded']);
  });

  describe('CreateFleet instant', () => {
    async function fleet(overrides: { InstanceType: _InstanceType; SubnetId: string }[]) {
      const template = await direct.send(new CreateLaunchTemplateCommand({ LaunchTemplateName: 'workers', LaunchTemplateData: { ImageId: AMI } }));
      const id = template.LaunchTemplate!.LaunchTemplateId!;
      return ec2(1).send(
        new CreateFleetCommand({
          Type: 'instant',
          TargetCapacitySpecification: { TotalTargetCapacity: 1, DefaultTargetCapacityType: 'spot' },
          SpotOptions: { AllocationStrategy: 'price-capacity-optimized' },
          LaunchTemplateConfigs: [{ LaunchTemplateSpecification: { LaunchTemplateId: id, Version: '$Latest' }, Overrides: overrides }],
        }),
      );
    }

    test('every pool refused: 200 with the pool in Errors and no instance; moto is not asked', async () => {
      const [a] = await subnets();
      proxy.refuseCapacity({ instanceType: 'm7g.medium' });
      const out = await fleet([{ InstanceType: 'm7g.medium', SubnetId: a!.SubnetId! }]);
      expect(out.$metadata.httpStatusCode).toBe(200);
      expect(out.FleetId).toMatch(/^fleet-/);
      expect(out.Instances ?? []).toEqual([]);
      expect(out.Errors).toEqual([
        {
          ErrorCode: 'InsufficientInstanceCapacity',
          ErrorMessage: 'There is no Spot capacity available that matches your request.',
          Lifecycle: 'spot',
          LaunchTemplateAndOverrides: {
            LaunchTemplateSpecification: { LaunchTemplateId: expect.stringMatching(/^lt-/), Version: '$Latest' },
            Overrides: { InstanceType: 'm7g.medium', SubnetId: a!.SubnetId! },
          },
        },
      ]);
      expect(await instancesInMoto()).toEqual([]);
      expect(proxy.requests.filter((r) => r.action === 'CreateFleet')).toMatchObject([{ outcome: 'refused', status: 200, refusedPools: 1 }]);
    });

    test('the first pool refused: the fleet launches in the next and names the refused one in Errors', async () => {
      const [a, b] = await subnets();
      proxy.refuseCapacity({ instanceType: 'm7g.medium', subnetId: a!.SubnetId! });
      const out = await fleet([
        { InstanceType: 'm7g.medium', SubnetId: a!.SubnetId! },
        { InstanceType: 'm7g.medium', SubnetId: b!.SubnetId! },
      ]);
      expect(out.Errors?.map((e) => [e.ErrorCode, e.LaunchTemplateAndOverrides?.Overrides?.SubnetId])).toEqual([['InsufficientInstanceCapacity', a!.SubnetId]]);
      expect(out.Instances?.map((i) => i.LaunchTemplateAndOverrides?.Overrides?.SubnetId)).toEqual([b!.SubnetId]);
      const [instance] = await instancesInMoto();
      expect([instance?.InstanceId, instance?.SubnetId]).toEqual([out.Instances?.[0]?.InstanceIds?.[0], b!.SubnetId]);
      expect(proxy.requests.filter((r) => r.action === 'CreateFleet')).toMatchObject([{ outcome: 'forwarded', status: 200, refusedPools: 1 }]);
    });
  });
});

describe('throttling and failures', () => {
  test('EC2 throttling is RequestLimitExceeded, HTTP 503, throttling to our classifier', async () => {
    proxy.inject({ service: 'ec2', action: 'DescribeInstances', fault: { kind: 'throttle' } });
    const err = await failure(ec2(1).send(new DescribeInstancesCommand({})));
    expect([err.name, err.$metadata?.httpStatusCode]).toEqual(['RequestLimitExceeded', 503]);
    expect(isThrottling(err)).toBe(true);
    expect(isCapacityError(err)).toBe(false);
  });

  test('the SDK retries throttling: two throttled DescribeInstances, then moto answers', async () => {
    const rule = proxy.inject({ service: 'ec2', action: ['DescribeInstances'], fault: { kind: 'throttle' }, times: 2 });
    const out = await ec2(3).send(new DescribeInstancesCommand({}));
    expect(out.$metadata.attempts).toBe(3);
    expect(proxy.count({ action: 'DescribeInstances', outcome: 'refused' })).toBe(2);
    expect(proxy.count({ action: 'DescribeInstances', outcome: 'forwarded' })).toBe(1);
    expect(rule.active).toBe(false);
  });

  test('DynamoDB throttling is ThrottlingException, HTTP 400, JSON; a predicate picks the table', async () => {
    const db = dynamo(1);
    for (const name of ['jobs', 'other']) {
      await db.send(new CreateTableCommand({ TableName: name, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }));
    }
    proxy.inject({ service: 'dynamodb', action: 'PutItem', when: (r) => (r.input as { TableName?: string }).TableName === 'jobs', fault: { kind: 'throttle' } });
    const err = await failure(db.send(new PutItemCommand({ TableName: 'jobs', Item: { id: { S: 'a' } } })));
    expect([err.name, err.$metadata?.httpStatusCode]).toEqual(['ThrottlingException', 400]);
    expect(isThrottling(err)).toBe(true);
    await db.send(new PutItemCommand({ TableName: 'other', Item: { id: { S: 'a' } } }));
    expect(proxy.count({ action: 'PutItem', outcome: 'refused' })).toBe(1);
    expect(proxy.count({ action: 'PutItem', outcome: 'forwarded' })).toBe(1);
  });

  test.each([
    ['ec2', 'unavailable', 'ServiceUnavailable', 503],
    ['ec2', 'internal', 'InternalError', 500],
    ['dynamodb', 'unavailable', 'ServiceUnavailable', 503],
    ['dynamodb', 'internal', 'InternalServerError', 500],
  ] as const)('%s %s is %s, HTTP %i, a server fault', async (service, kind, name, status) => {
    proxy.inject({ service, fault: { kind } });
    const call = service === 'ec2' ? ec2(1).send(new DescribeInstancesCommand({})) : dynamo(1).send(new GetItemCommand({ TableName: 't', Key: { id: { S: 'a' } } }));
    const err = await failure(call);
    expect([err.name, err.$metadata?.httpStatusCode]).toEqual([name, status]);
    expect(isServerFault(err)).toBe(true);
    expect(isThrottling(err)).toBe(false);
  });

  test('any coded error, in the service format', async () => {
    proxy.inject({ service: 'ec2', action: 'RunInstances', fault: { kind: 'error', status: 400, code: 'VcpuLimitExceeded', message: 'You have requested more vCPU capacity <than> allowed' } });
    const err = await failure(runOne(ec2(1), { InstanceType: 'm7g.medium' }));
    expect([err.name, err.message, err.$metadata?.httpStatusCode]).toEqual(['VcpuLimitExceeded', 'You have requested more vCPU capacity <than> allowed', 400]);
    expect(isCapacityError(err)).toBe(true);
  });

  test('a dropped connection is a network error the SDK retries', async () => {
    proxy.inject({ service: 'ec2', action: 'DescribeInstances', fault: { kind: 'drop' }, times: 1 });
    const err = await failure(ec2(1).send(new DescribeInstancesCommand({})));
    // The SDK's Node handler renames a reset socket `TimeoutError` and keeps the system code.
    expect([err.name, (err as { code?: string }).code, err.message]).toEqual(['TimeoutError', 'ECONNRESET', 'socket hang up']);
    expect(err.$metadata?.httpStatusCode).toBeUndefined();
    expect(awsErrorCode(err)).toBe('TimeoutError');
    expect([isThrottling(err), isCapacityError(err), isServerFault(err), isPermanent(err)]).toEqual([false, false, false, false]);

    proxy.inject({ service: 'ec2', action: 'DescribeInstances', fault: { kind: 'drop' }, times: 1 });
    await ec2(2).send(new DescribeInstancesCommand({}));
    expect(proxy.requests.map((r) => r.outcome)).toEqual(['dropped', 'dropped', 'forwarded']);
  });

  test('latency: a delayed call takes at least the delay; the rule expires', async () => {
    const rule = proxy.delay({ service: 'ec2', ms: 300, times: 1 });
    const client = ec2(1);
    const started = Date.now();
    await client.send(new DescribeInstancesCommand({}));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(rule).toMatchObject({ applied: 1, active: false });
  });

  test('a cleared rule stops at once', async () => {
    const rule = proxy.inject({ service: 'ec2', fault: { kind: 'throttle' } });
    const client = ec2(1);
    await failure(client.send(new DescribeInstancesCommand({})));
    rule.clear();
    await client.send(new DescribeInstancesCommand({}));
    expect(proxy.requests.map((r) => r.outcome)).toEqual(['refused', 'forwarded']);
  });
});
