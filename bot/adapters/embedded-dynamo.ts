/**
 * The embedded DynamoDB of `npm start` without AWS: dynalite in this process, on disk under the
 * data directory, on a loopback port only this process uses.
 */
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
  mkdirSync(path, { recursive: true });
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createDynamoClient({
    endpoint,
    region: 'local',
    // dynalite checks nothing; explicit values keep the SDK from probing for real credentials.
    credentials: { accessKeyId: 'embedded', secretAccessKey: 'embedded' },
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
