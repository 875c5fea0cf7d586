/**
 * Slack's Socket Mode side on loopback: a WebSocket server that greets each connection with
 * `hello`, as Slack does, and records what the bot sends back (its acks). Give its `url` to
 * `startFakeSlack({ socketModeUrl })`, which hands it out from `apps.connections.open`.
 */
import { WebSocketServer, type WebSocket } from 'ws';

export interface FakeSocketMode {
  url: string;
  /** Every connection the bot opened, in order. */
  sockets: WebSocket[];
  /** Every message the bot sent, parsed. */
  received: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startFakeSocketMode(): Promise<FakeSocketMode> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const { port } = wss.address() as { port: number };
  const sockets: WebSocket[] = [];
  const received: Record<string, unknown>[] = [];
  wss.on('connection', (socket) => {
    sockets.push(socket);
    socket.on('message', (data) => received.push(JSON.parse(String(data)) as Record<string, unknown>));
    socket.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake' }, connection_info: { app_id: 'A0001' } }));
  });
  return {
    url: `ws://127.0.0.1:${port}/link`,
    sockets,
    received,
    async close() {
      for (const socket of sockets) socket.terminate();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}
