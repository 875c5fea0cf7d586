/**
 * A minimal EC2 endpoint on loopback for the launch burst: it answers `RunInstances` with one
 * pending instance and every other action with an empty success, at once, and plays AWS's
 * RunInstances request bucket (a token bucket per account and Region), answering
 * `RequestLimitExceeded` (HTTP 503, EC2's error XML) when it is empty. moto could not take the
 * burst: it serves RunInstances a few a second, so a compressed burst queued past the SDK's
 * request timeout and measured moto instead of the limiter.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BucketLimit } from '../bot/core/token-bucket.js';
import { ec2ErrorXml } from '../test/harness/fault-proxy.js';

export interface FakeEc2 {
  endpoint: string;
  /** `performance.now()` of every RunInstances accepted, and of every one throttled. */
  readonly accepted: number[];
  readonly throttled: number[];
  close(): Promise<void>;
}

const XMLNS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeEc2(runInstancesBucket: BucketLimit): Promise<FakeEc2> {
  const accepted: number[] = [];
  const throttled: number[] = [];
  let tokens = runInstancesBucket.capacity;
  let at = performance.now();
  let sequence = 0;
  const take = (): boolean => {
    const now = performance.now();
    tokens = Math.min(runInstancesBucket.capacity, tokens + ((now - at) / 1000) * runInstancesBucket.refillPerSecond);
    at = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  };
  const server = createServer((req, res) => {
    void bodyOf(req).then((body) => {
      const action = new URLSearchParams(body).get('Action') ?? '';
      const requestId = `req-${++sequence}`;
      res.setHeader('content-type', 'text/xml');
      if (action === 'RunInstances') {
        if (!take()) {
          throttled.push(performance.now());
          res.statusCode = 503;
          res.end(ec2ErrorXml('RequestLimitExceeded', 'Request limit exceeded.', requestId));
          return;
        }
        accepted.push(performance.now());
        const id = `i-${sequence.toString(16).padStart(17, '0')}`;
        res.end(
          `<RunInstancesResponse xmlns="${XMLNS}"><requestId>${requestId}</requestId><reservationId>r-${sequence}</reservationId><ownerId>123456789012</ownerId>` +
            `<instancesSet><item><instanceId>${id}</instanceId><instanceType>t3.micro</instanceType><placement><availabilityZone>us-west-2a</availabilityZone></placement>` +
            `<instanceState><code>0</code><name>pending</name></instanceState></item></instancesSet></RunInstancesResponse>`,
        );
        return;
      }
      res.end(`<${action}Response xmlns="${XMLNS}"><requestId>${requestId}</requestId></${action}Response>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accepted,
    throttled,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
