/**
 * The spot states moto never produces (open requests waiting on capacity or price, the
 * interruption notice, interruptions, bad parameters), as EC2 answers them: recorded-shape XML
 * served by a loopback stand-in for EC2, read by the real adapter through the real SDK, then
 * correlated and decided on as the engine does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEc2Client } from '../../bot/adapters/aws-clients.js';
import { Ec2Fleet } from '../../bot/adapters/ec2-fleet.js';
import { indexSnapshot, observationsFor } from '../../bot/core/lifecycle/correlate.js';
import { decide, DEFAULT_TIMINGS } from '../../bot/core/lifecycle/lifecycle.js';
import { describeEvent, jobReason } from '../../bot/core/view/event-words.js';
import { makeJob } from '../harness/jobs.js';

interface Recorded {
  jobId: string;
  requestId: string;
  state: string;
  code: string;
  message: string;
  instanceId?: string;
}

// Status messages as EC2 writes them (EC2 User Guide, "Spot request status").
const RECORDED: Recorded[] = [
  { jobId: 'j-capacity', requestId: 'sir-cap00001', state: 'open', code: 'capacity-not-available', message: 'There is no Spot capacity available that matches your request.' },
  { jobId: 'j-price', requestId: 'sir-prc00001', state: 'open', code: 'price-too-low', message: 'Your Spot request price of 0.001 is lower than the minimum required Spot request fulfillment price of 0.0113.' },
  { jobId: 'j-pending', requestId: 'sir-pnd00001', state: 'open', code: 'pending-fulfillment', message: 'Your Spot request is pending fulfillment.' },
  { jobId: 'j-notice', requestId: 'sir-ntc00001', state: 'active', code: 'marked-for-termination', message: 'Spot Instance terminated due to no available capacity.', instanceId: 'i-0notice000000001' },
  { jobId: 'j-reclaimed', requestId: 'sir-rcl00001', state: 'closed', code: 'instance-terminated-no-capacity', message: 'Spot Instance terminated due to no available capacity.', instanceId: 'i-0reclaim00000001' },
  { jobId: 'j-bad', requestId: 'sir-bad00001', state: 'closed', code: 'bad-parameters', message: 'The request is not valid. The following parameters are not valid: AMI.' },
];

const tag = (key: string, value: string) => `<item><key>${key}</key><value>${value}</value></item>`;

function describeSpotXml(): string {
  const items = RECORDED.map(
    (r) => `<item>
      <spotInstanceRequestId>${r.requestId}</spotInstanceRequestId>
      <spotPrice>0.050000</spotPrice>
      <type>one-time</type>
      <state>${r.state}</state>
      <status><code>${r.code}</code><updateTime>2026-11-27T10:00:00.000Z</updateTime><message>${r.message}</message></status>
      <launchSpecification><imageId>ami-0abcdef1234567890</imageId><instanceType>m7g.medium</instanceType></launchSpecification>
      ${r.instanceId ? `<instanceId>${r.instanceId}</instanceId>` : ''}
      <createTime>2026-11-27T09:58:00.000Z</createTime>
      <productDescription>Linux/UNIX</productDescription>
      <tagSet>${tag('sched-job-id', r.jobId)}${tag('sched-attempt', '1')}${tag('sched-deployment', 'rec')}</tagSet>
      <instanceInterruptionBehavior>terminate</instanceInterruptionBehavior>
    </item>`,
  ).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>
<DescribeSpotInstanceRequestsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>rec-1</requestId><spotInstanceRequestSet>${items}</spotInstanceRequestSet></DescribeSpotInstanceRequestsResponse>`;
}

function describeInstancesXml(): string {
  // The reclaimed instance is gone already; the noticed one still runs.
  return `<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>rec-2</requestId><reservationSet><item>
  <reservationId>r-1</reservationId><ownerId>123456789012</ownerId>
  <instancesSet><item>
    <instanceId>i-0notice000000001</instanceId><imageId>ami-0abcdef1234567890</imageId>
    <instanceState><code>16</code><name>running</name></instanceState>
    <instanceType>m7g.medium</instanceType><spotInstanceRequestId>sir-ntc00001</spotInstanceRequestId><instanceLifecycle>spot</instanceLifecycle>
    <tagSet>${tag('sched-job-id', 'j-notice')}${tag('sched-attempt', '1')}${tag('sched-deployment', 'rec')}</tagSet>
  </item></instancesSet>
</item></reservationSet></DescribeInstancesResponse>`;
}

let server: Server;
let endpoint: string;
const actions: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const action = new URLSearchParams(body).get('Action') ?? '';
      actions.push(action);
      const xml = action === 'DescribeSpotInstanceRequests' ? describeSpotXml() : action === 'DescribeInstances' ? describeInstancesXml() : undefined;
      if (!xml) {
        res.writeHead(400, { 'content-type': 'text/xml' }).end('<Response><Errors><Error><Code>InvalidAction</Code><Message>not recorded</Message></Error></Errors><RequestID>x</RequestID></Response>');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/xml;charset=UTF-8' }).end(xml);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('EC2 spot states from recorded responses', () => {
  test('the adapter reads every state and the lifecycle takes its decision', async () => {
    const client = createEc2Client({ endpoint, region: 'us-west-2', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    const fleet = new Ec2Fleet({ client, deployment: 'rec', amiId: 'ami-0abcdef1234567890', subnetIds: [], securityGroupIds: [], logger: { warn: () => undefined } });
    const snapshot = await fleet.observe();
    client.destroy();
    // One of each list (the price lookup for the running instance is not recorded here: cost unknown).
    expect(actions.filter((a) => a === 'DescribeInstances' || a === 'DescribeSpotInstanceRequests').sort()).toEqual(['DescribeInstances', 'DescribeSpotInstanceRequests']);
    expect(snapshot.requests.find((r) => r.jobId === 'j-price')).toMatchObject({ state: 'open', statusCode: 'price-too-low', statusMessage: expect.stringContaining('0.0113') });

    const index = indexSnapshot(snapshot);
    const now = new Date('2026-11-27T10:10:00.000Z');
    const outcome = (jobId: string, over: Parameters<typeof makeJob>[0]) => {
      let job = makeJob({ id: jobId, attempt: 1, requestedAt: '2026-11-27T09:58:00.000Z', spec: { instanceTypes: ['m7g.medium', 'm6g.medium'] }, ...over });
      const effects = [];
      for (const observation of observationsFor(job, index)) {
        const decided = decide(job, observation, now, DEFAULT_TIMINGS);
        job = decided.job;
        effects.push(...decided.effects.map((e) => e.kind));
      }
      return { job, effects };
    };

    // Waiting on capacity past the fallback threshold: the next instance type, same attempt.
    const capacity = outcome('j-capacity', { status: 'requested', spotRequestId: 'sir-cap00001' });
    expect(capacity.job).toMatchObject({ status: 'requested', attempt: 1, instanceTypeIndex: 1, abandonedRequestIds: ['sir-cap00001'] });
    expect(capacity.effects).toEqual(expect.arrayContaining(['cancelSpotRequest', 'launch']));
    expect(capacity.job.events.map(describeEvent).join('\n')).toContain('no spot capacity for this instance type right now');

    const price = outcome('j-price', { status: 'requested', spotRequestId: 'sir-prc00001', requestedAt: '2026-11-27T10:09:00.000Z' });
    expect(price.job).toMatchObject({ status: 'requested', spotStatusCode: 'price-too-low', instanceTypeIndex: 0 });
    expect(describeEvent(price.job.events.at(-1)!)).toContain('the max price is below the current spot price');

    expect(outcome('j-pending', { status: 'requested', spotRequestId: 'sir-pnd00001' }).effects).toEqual([]);

    const notice = outcome('j-notice', { status: 'running', spotRequestId: 'sir-ntc00001', instanceId: 'i-0notice000000001', startedAt: '2026-11-27T10:00:00.000Z' });
    // The notice on the request: the replacement is launched now, the old instance drains.
    expect(notice.job).toMatchObject({ status: 'requested', attempt: 2, interruptions: 1, draining: { attempt: 1, instanceId: 'i-0notice000000001', cause: 'notice' } });
    expect(notice.effects.filter((kind) => kind !== 'notify')).toEqual(['launch']);

    const reclaimed = outcome('j-reclaimed', { status: 'running', spotRequestId: 'sir-rcl00001', instanceId: 'i-0reclaim00000001', startedAt: '2026-11-27T10:00:00.000Z' });
    expect(reclaimed.job).toMatchObject({ status: 'requested', attempt: 2, interruptions: 1 });

    const bad = outcome('j-bad', { status: 'requested', spotRequestId: 'sir-bad00001' });
    expect(bad.job.status).toBe('failed');
    expect(jobReason(bad.job)).toContain('bad-parameters: The request is not valid');
  });
});
