/**
 * Starts an in-process dynalite (DynamoDB emulator) on loopback for one test file: in memory by
 * default, on disk with `path`. No table states to wait through (`createTableMs: 0`), though
 * CreateTable still answers CREATING first.
 */
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { TEST_CREDENTIALS, TEST_REGION } from './moto.js';

export interface Dynalite {
  endpoint: string;
  /** A new client for this server (explicit endpoint, region and dummy credentials); destroy it when done. */
  client(): DynamoDBClient;
  /** Closes the server and every client made by `client()`. */
  stop(): Promise<void>;
}

export async function startDynalite(opts: { path?: string } = {}): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(opts.path ? { path: opts.path } : {}) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: DynamoDBClient[] = [];
  return {
    endpoint,
    client() {
      const client = new DynamoDBClient({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients.splice(0)) client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
