/**
 * Socket Mode end to end: the bot (its own process) opens a connection through a fake
 * `apps.connections.open` to a WebSocket server on loopback; a slash command arrives as an
 * envelope, is acknowledged over the socket, and runs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startNotificationReceiver, type NotificationReceiver } from '../harness/agent.js';
import { eventually, startBot, type BotProcess } from '../harness/bot-process.js';
import { startFakeSlack, type FakeSlack } from '../harness/fake-slack.js';
import { startFakeSocketMode, type FakeSocketMode } from '../harness/socket-mode.js';

let slack: FakeSlack;
let responses: NotificationReceiver;
let socketMode: FakeSocketMode;
let bot: BotProcess;
let dataDir: string;

beforeAll(async () => {
  socketMode = await startFakeSocketMode();
  [slack, responses] = await Promise.all([startFakeSlack({ socketModeUrl: socketMode.url }), startNotificationReceiver()]);
  dataDir = await mkdtemp(join(tmpdir(), 'sched-socket-'));
  bot = await startBot({
    SCHED_COMPUTE: 'local',
    SCHED_STORE: 'embedded',
    SCHED_DATA_DIR: dataDir,
    SCHED_CHAT: 'slack',
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_APP_TOKEN: 'xapp-test-token',
    SLACK_API_URL: slack.apiUrl,
    // Slack with local compute starts only with an allow-list.
    SCHED_ALLOWED_USERS: 'UALICE',
  });
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  await socketMode?.close();
  await Promise.all([slack?.close(), responses?.close()]);
  await rm(dataDir, { recursive: true, force: true });
});

test('a slash command over the socket is acknowledged and runs', async () => {
  const socket = await eventually(async () => socketMode.sockets[0], 'the bot to connect over Socket Mode');
  expect(slack.accepted('apps.connections.open')).toHaveLength(1);
  const envelope = {
    envelope_id: 'env-1',
    type: 'slash_commands',
    accepts_response_payload: true,
    payload: {
      token: 'legacy',
      team_id: 'T0001',
      channel_id: 'CJOBS',
      user_id: 'UALICE',
      command: '/sched',
      text: 'run --in 1h --name from-the-socket alpine true',
      api_app_id: 'A0001',
      response_url: `${responses.url}/response/socket-1`,
      trigger_id: '1.2.3',
    },
  };
  const sent = Date.now();
  socket.send(JSON.stringify(envelope));
  const ack = await eventually(async () => socketMode.received.find((m) => m.envelope_id === 'env-1'), 'the ack over the socket');
  // An empty acknowledgement: the answer goes to response_url, never in the ack.
  expect(ack).toEqual({ envelope_id: 'env-1', payload: {} });
  const reply = await eventually(async () => responses.requests.find((r) => r.path === '/response/socket-1'), 'the reply');
  expect(JSON.parse(reply.body).text).toMatch(/Job j-[a-z2-7]{12} is scheduled for/);
  console.log(JSON.stringify({ metric: 'socket_mode_command_to_reply_ms', ms: Date.now() - sent }));
  // The job exists and its message was posted to the channel.
  await eventually(async () => slack.messages('CJOBS').find((m) => JSON.stringify(m.blocks ?? m.text).includes('from-the-socket')), 'the job message');
});
