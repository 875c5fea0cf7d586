/**
 * The embedded DynamoDB of `npm start` without AWS: dynalite in this process, on disk under the
 * data directory, on a loopback port only this process uses.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import dynalite from 'dynalite';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoClient } from './aws-clients.js';

export interface EmbeddedDynamo {
  client: DynamoDBClient;
  endpoint: string;
  close(): Promise<void>;
}

export async function startEmbeddedDynamo(path: string): Promise<EmbeddedDynamo> {
  // Owner-only: the store holds every job's env values.
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // dynalite checks no signature and answers any web origin (CORS *): on its own, any local
  // process or a web page could read and rewrite the jobs. Only this process's client, which
  // signs with a key made for this run, gets through; browsers (which send Origin) never do.
  const accessKeyId = `sched${randomBytes(16).toString('hex')}`;
  const inner = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const authorization = req.headers.authorization ?? '';
    if (req.headers.origin !== undefined || !authorization.includes(`Credential=${accessKeyId}/`)) {
      res.writeHead(403, { 'content-type': 'application/x-amz-json-1.0' }).end('{"__type":"com.amazon.coral.service#AccessDeniedException","message":"not this process"}');
      return;
    }
    for (const listener of inner) listener(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createDynamoClient({
    endpoint,
    region: 'local',
    // Explicit values also keep the SDK from probing for real credentials.
    credentials: { accessKeyId, secretAccessKey: randomBytes(16).toString('hex') },
  });
  return {
    client,
    endpoint,
    close: () =>
      new Promise<void>((resolve) => {
        client.destroy();
        server.close(() => resolve());
      }),
  };
}
