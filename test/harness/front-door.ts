/**
 * One address in front of several bot replicas, as a load balancer gives them in production: each
 * HTTP request goes to the next replica in turn, and to the following one when a replica refuses
 * the connection (killed or restarting). A replica that drops a request it had (killed while
 * answering) gives the client a 502, never a second try elsewhere: the request may have acted.
 * What the agents are given as `SCHED_PUBLIC_URL`. Loopback only.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FrontDoor {
  url: string;
  /** Requests answered by a replica, and requests no replica answered (502). */
  stats: { forwarded: number; failedOver: number; unanswered: number };
  close(): Promise<void>;
}

/** `targets()` is asked on every request, so replicas restarted on new ports are followed. */
export async function startFrontDoor(targets: () => string[]): Promise<FrontDoor> {
  const stats = { forwarded: 0, failedOver: 0, unanswered: 0 };
  let next = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const list = targets();
      const first = next++ % Math.max(1, list.length);
      const tryTarget = (i: number): void => {
        if (i >= list.length) {
          stats.unanswered++;
          res.writeHead(502).end();
          return;
        }
        const target = new URL(list[(first + i) % list.length]!);
        const upstream = httpRequest(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
          (answer) => {
            stats.forwarded++;
            if (i > 0) stats.failedOver++;
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        upstream.on('error', (err: NodeJS.ErrnoException) => {
          if (res.headersSent) res.destroy();
          else if (err.code === 'ECONNREFUSED') tryTarget(i + 1);
          else {
            stats.unanswered++;
            res.writeHead(502).end();
          }
        });
        upstream.end(body);
      };
      tryTarget(0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stats,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
