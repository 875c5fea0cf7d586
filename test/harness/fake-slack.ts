/**
 * A fake Slack Web API on loopback, for Bolt 5.x and `WebClient` pointed at it with `slackApiUrl`,
 * so that the Slack tests never reach slack.com.
 *
 * - Records every request that reaches it in `calls` (refused ones too, with their HTTP status),
 *   with the arguments parsed from a form-encoded or JSON body. The token is never recorded:
 *   only whether one came (`authorized`).
 * - Answers `ok: true` with the fields Bolt and the bot read: `chat.postMessage` (increasing
 *   `ts`), `chat.update`, `chat.postEphemeral`, `views.publish`, `views.open` (kept in `modals()`), `users.info` (a time zone per
 *   user), `auth.test`, `apps.connections.open` (a Socket Mode URL you choose). Any other method
 *   answers `{ ok: true }`.
 * - Keeps what a user would see: `messages(channel)` is each top-level message in its latest
 *   edited state with its thread replies.
 * - Slack's message limits: `chat.postMessage` and `chat.update` answer `invalid_blocks` for more
 *   than 50 blocks and `msg_blocks_too_long` when the text in the blocks totals more than
 *   `maxBlocksText` (Slack's figure, about 12,000 characters, counted on every `text` string).
 * - Faults: `rateLimit(...)` answers 429 with `Retry-After` while active (until its time is up or
 *   the test lifts it); `failNext(method, 5xx)`; `errorNext(method, 'channel_not_found')` answers
 *   200 with `ok: false`.
 * - Timing under the test's control: `hold(method)` records the calls as they arrive but answers
 *   none of them until the test releases the hold, so a test can see what the code under test did
 *   while a call was still in flight, on any machine.
 *
 * ```ts
 * const fake = await startFakeSlack({ userTimezones: { U1: 'Europe/Paris' } });
 * const client = new webApi.WebClient('xoxb-test', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } });
 * ...
 * expect(fake.messages('C1')[0]?.text).toBe('succeeded');
 * await fake.close();
 * ```
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSlackCall {
  /** Web API method, e.g. `chat.postMessage`. */
  method: string;
  /** `Date.now()` when the request arrived. */
  at: number;
  /** The arguments, token removed; Block Kit fields (`blocks`, `view`, …) decoded from JSON. */
  args: Record<string, unknown>;
  /** A token came, in the Authorization header or the body. */
  authorized: boolean;
  /** The HTTP status the fake answered: 200, 429 (rate limited) or an injected 5xx. */
  status: number;
  /** Set on a 429: the `Retry-After` announced, in seconds. */
  retryAfterSeconds?: number;
}

export interface FakeReply {
  ts: string;
  text?: string;
  blocks?: unknown[];
  /** How many `chat.update`s were applied. */
  edits: number;
}

export interface FakeMessage extends FakeReply {
  /** The `metadata` it was posted with (event_type, event_payload). */
  metadata?: unknown;
  /** Thread replies (`thread_ts` = this message's ts), oldest first. */
  replies: FakeReply[];
  /** False when replies or updates named a ts the fake never issued. */
  posted: boolean;
}

export interface RateLimitRule {
  /** Only this method; default every method. */
  method?: string;
  /** Only calls whose `channel` argument is this; default every channel. */
  channel?: string;
  retryAfterSeconds: number;
  /** How long the rule is active, from now; default until lifted. */
  forMs?: number;
}

/** A rate limit in force: `lift()` ends it now. */
export interface ActiveRateLimitHandle {
  lift(): void;
}

/** Calls that arrived and wait for their answer until `release()`. */
export interface Hold {
  /** Calls held so far and not yet answered. */
  pending(): number;
  /** Answers every held call, and every later one at once. */
  release(): void;
}

export interface FakeSlackOptions {
  /** `users.info` answers these time zones; other users get `defaultTimezone`. */
  userTimezones?: Record<string, string>;
  /** Default `UTC`. */
  defaultTimezone?: string;
  /** What `apps.connections.open` answers; default `ws://127.0.0.1:9/` (nothing listens). */
  socketModeUrl?: string;
  /**
   * `chat.update` of a ts the fake never issued answers `message_not_found`, as Slack does.
   * Default false: such an update is accepted, so tests may update messages they made up.
   */
  strictUpdates?: boolean;
  /** Characters of text the blocks of one message may hold in total; default 12,000. */
  maxBlocksText?: number;
  /**
   * Enforces Slack's posting limit the way Slack does: per channel, a token bucket over the
   * `chat.*` calls that name one (about one a second, short bursts allowed); a call that finds it
   * empty answers 429 with `Retry-After: retryAfterSeconds` (default 1). Default: no limit.
   */
  channelLimit?: { callsPerSecond: number; burst: number; retryAfterSeconds?: number };
}

export interface FakeSlack {
  /** `http://127.0.0.1:PORT/api/`, for `slackApiUrl`. */
  apiUrl: string;
  /** Every request that reached the fake, in arrival order. */
  readonly calls: FakeSlackCall[];
  /** The calls answered 429. */
  refused(): FakeSlackCall[];
  /** Calls of one method answered 200 `ok: true`. */
  accepted(method?: string): FakeSlackCall[];
  /** Top-level messages of a channel in post order, each in its latest state, with its thread. */
  messages(channel: string): FakeMessage[];
  /** The last App Home view published for a user. */
  homeView(userId: string): unknown;
  /** Every modal opened with `views.open`, oldest first, with the trigger it answered. */
  modals(): { triggerId: unknown; view: unknown }[];
  rateLimit(rule: RateLimitRule): ActiveRateLimitHandle;
  /**
   * Slack's per-method workspace limit: more than `max` calls of `method` (any channel) within
   * any `windowMs` are answered 429 with `Retry-After`. Refused calls do not count.
   */
  workspaceLimit(rule: { method: string; max: number; windowMs: number; retryAfterSeconds: number }): void;
  /** Holds the answers of `method` (every method when absent) until released. */
  hold(method?: string): Hold;
  /** The next `count` calls of `method` answer HTTP `status` (a 5xx). */
  failNext(method: string, status: number, count?: number): void;
  /**
   * The next `count` calls of `method` take effect (a post is posted) but answer as if they had
   * failed: 200 `{ ok: false, error }` (`fatal_error`), or, for `'timeout'`, no answer at all.
   */
  succeedThenFail(method: string, error: string, count?: number): void;
  /** The next `count` calls of `method` answer 200 `{ ok: false, error }`. */
  errorNext(method: string, error: string, count?: number, channel?: string): void;
  setUserTimezone(userId: string, tz: string): void;
  setSocketModeUrl(url: string): void;
  /** Forgets calls, messages, views and faults. */
  reset(): void;
  close(): Promise<void>;
}

/** Argument fields WebClient JSON-encodes inside a form body. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'metadata', 'unfurls', 'user_auth_blocks']);

/** Slack ts values: seconds since the epoch; a counter keeps them unique and increasing. */
const TS_BASE_SECONDS = 1_767_225_600;

interface Fault {
  method: string;
  /** Only calls whose `channel` argument is this. */
  channel?: string;
  remaining: number;
  answer: { kind: 'http'; status: number } | { kind: 'platform'; error: string } | { kind: 'after-success'; error: string };
}

interface ActiveRateLimit extends RateLimitRule {
  until: number;
}

interface HeldCalls {
  method?: string;
  waiting: (() => void)[];
}

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const timezones = new Map(Object.entries(options.userTimezones ?? {}));
  let socketModeUrl = options.socketModeUrl ?? 'ws://127.0.0.1:9/';
  const calls: FakeSlackCall[] = [];
  let rateLimits: ActiveRateLimit[] = [];
  let workspaceLimits: { method: string; max: number; windowMs: number; retryAfterSeconds: number; accepted: number[] }[] = [];
  let faults: Fault[] = [];
  let holds: HeldCalls[] = [];
  /** channel → ts → message, in post order (Map keeps insertion order). */
  let channels = new Map<string, Map<string, FakeMessage>>();
  let homeViews = new Map<string, unknown>();
  let modals: { triggerId: unknown; view: unknown }[] = [];
  let tsCounter = 0;
  /** When each ts was issued (ms since the epoch): what `oldest` is compared with, as Slack's ts is its time. */
  const issuedAt = new Map<string, number>();

  const nextTs = (): string => {
    const ts = `${TS_BASE_SECONDS + ++tsCounter}.000100`;
    issuedAt.set(ts, Date.now());
    return ts;
  };

  const channelMessages = (channel: string): Map<string, FakeMessage> => {
    let messages = channels.get(channel);
    if (!messages) {
      messages = new Map();
      channels.set(channel, messages);
    }
    return messages;
  };

  const parentOf = (channel: string, ts: string): FakeMessage => {
    const messages = channelMessages(channel);
    let parent = messages.get(ts);
    if (!parent) {
      parent = { ts, edits: 0, replies: [], posted: false };
      messages.set(ts, parent);
    }
    return parent;
  };

  const findMessage = (channel: string, ts: string): FakeReply | undefined => {
    const messages = channelMessages(channel);
    const top = messages.get(ts);
    if (top) return top;
    for (const message of messages.values()) {
      const reply = message.replies.find((r) => r.ts === ts);
      if (reply) return reply;
    }
    return undefined;
  };

  const answer = (method: string, args: Record<string, unknown>): Record<string, unknown> => {
    const channel = typeof args.channel === 'string' ? args.channel : '';
    const text = typeof args.text === 'string' ? args.text : undefined;
    const blocks = Array.isArray(args.blocks) ? args.blocks : undefined;
    if ((method === 'chat.postMessage' || method === 'chat.update') && blocks) {
      if (blocks.length > 50) return { ok: false, error: 'invalid_blocks' };
      if (blocksText(blocks) > (options.maxBlocksText ?? 12_000)) return { ok: false, error: 'msg_blocks_too_long' };
    }
    switch (method) {
      case 'chat.postMessage': {
        const ts = nextTs();
        const threadTs = typeof args.thread_ts === 'string' ? args.thread_ts : undefined;
        if (threadTs) {
          parentOf(channel, threadTs).replies.push({ ts, text, blocks, edits: 0 });
        } else {
          channelMessages(channel).set(ts, { ts, text, blocks, edits: 0, replies: [], posted: true, ...(args.metadata !== undefined && { metadata: args.metadata }) });
        }
        return {
          ok: true,
          channel,
          ts,
          message: { type: 'message', bot_id: 'B0FAKE', user: 'U0FAKEBOT', text, blocks, ts, ...(threadTs ? { thread_ts: threadTs } : {}) },
        };
      }
      case 'chat.update': {
        const ts = typeof args.ts === 'string' ? args.ts : '';
        let target = findMessage(channel, ts);
        if (!target) {
          if (options.strictUpdates) return { ok: false, error: 'message_not_found' };
          target = parentOf(channel, ts);
        }
        if (text !== undefined) target.text = text;
        if (blocks !== undefined) target.blocks = blocks;
        target.edits += 1;
        return { ok: true, channel, ts, text: target.text, message: { type: 'message', text: target.text, blocks: target.blocks } };
      }
      case 'conversations.history': {
        // Newest first, top-level messages only; metadata only when asked for, as Slack does.
        const oldest = Number(args.oldest ?? 0);
        const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
        const messages = [...channelMessages(channel).values()]
          .filter((m) => m.posted && (issuedAt.get(m.ts) ?? 0) >= oldest * 1000)
          .reverse()
          .slice(0, Number(args.limit ?? 100))
          .map((m) => ({ type: 'message', bot_id: 'B0FAKE', user: 'U0FAKEBOT', ts: m.ts, text: m.text, ...(withMetadata && m.metadata !== undefined && { metadata: m.metadata }) }));
        return { ok: true, messages, has_more: false };
      }
      case 'chat.postEphemeral':
        return { ok: true, message_ts: nextTs() };
      case 'views.publish': {
        const userId = typeof args.user_id === 'string' ? args.user_id : '';
        homeViews.set(userId, args.view);
        return { ok: true, view: { id: `V${userId}`, ...(typeof args.view === 'object' ? args.view : {}) } };
      }
      case 'views.open': {
        modals.push({ triggerId: args.trigger_id, view: args.view });
        return { ok: true, view: { id: `VMODAL${modals.length}`, ...(typeof args.view === 'object' ? args.view : {}) } };
      }
      case 'users.info': {
        const id = typeof args.user === 'string' ? args.user : '';
        const tz = timezones.get(id) ?? options.defaultTimezone ?? 'UTC';
        return { ok: true, user: { id, name: id.toLowerCase(), tz, is_bot: false } };
      }
      case 'auth.test':
        return { ok: true, url: 'https://fake.slack.test/', team: 'Fake', user: 'sched', team_id: 'T0FAKE', user_id: 'U0FAKEBOT', bot_id: 'B0FAKE' };
      case 'apps.connections.open':
        return { ok: true, url: socketModeUrl };
      default:
        return { ok: true };
    }
  };

  const activeRateLimit = (method: string, args: Record<string, unknown>, now: number): ActiveRateLimit | undefined => {
    rateLimits = rateLimits.filter((rule) => rule.until > now);
    return rateLimits.find((rule) => (rule.method === undefined || rule.method === method) && (rule.channel === undefined || rule.channel === args.channel));
  };

  const takeFault = (method: string, args: Record<string, unknown>): Fault | undefined => {
    const fault = faults.find((f) => f.method === method && f.remaining > 0 && (f.channel === undefined || f.channel === args.channel));
    if (fault) fault.remaining -= 1;
    faults = faults.filter((f) => f.remaining > 0);
    return fault;
  };

  const channelBuckets = new Map<string, { tokens: number; at: number }>();
  /** `options.channelLimit`'s answer for a call: a rule to refuse it with, or none (a token taken). */
  const channelLimited = (method: string, args: Record<string, unknown>, now: number): RateLimitRule | undefined => {
    const limit = options.channelLimit;
    if (!limit || !method.startsWith('chat.') || typeof args.channel !== 'string') return undefined;
    const bucket = channelBuckets.get(args.channel) ?? { tokens: limit.burst, at: now };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.callsPerSecond);
    bucket.at = now;
    channelBuckets.set(args.channel, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return { retryAfterSeconds: limit.retryAfterSeconds ?? 1 };
  };

  /** Answers one recorded call: rate limit (judged at its arrival), injected fault, or the answer. */
  const respond = (res: ServerResponse, method: string, args: Record<string, unknown>, call: FakeSlackCall): void => {
    const workspace = workspaceLimits.find((rule) => rule.method === method);
    if (workspace) workspace.accepted = workspace.accepted.filter((at) => at > call.at - workspace.windowMs);
    const limited = activeRateLimit(method, args, call.at) ?? (workspace && workspace.accepted.length >= workspace.max ? workspace : undefined) ?? channelLimited(method, args, call.at);
    if (!limited) workspace?.accepted.push(call.at);
    if (limited) {
      call.status = 429;
      call.retryAfterSeconds = limited.retryAfterSeconds;
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(limited.retryAfterSeconds) });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    const fault = takeFault(method, args);
    if (fault?.answer.kind === 'http') {
      call.status = fault.answer.status;
      res.writeHead(fault.answer.status, { 'content-type': 'text/plain' }).end('injected failure');
      return;
    }
    if (fault?.answer.kind === 'after-success') {
      answer(method, args);
      // A timeout: the call took effect and its answer never comes (the connection stays open).
      if (fault.answer.error === 'timeout') return;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: fault.answer.error }));
      return;
    }
    const body = fault?.answer.kind === 'platform' ? { ok: false, error: fault.answer.error } : answer(method, args);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const at = Date.now();
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const match = /^\/api\/([A-Za-z0-9_.]+)$/.exec(url.pathname);
      if (!match?.[1]) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: 'unknown_method' }));
        return;
      }
      const method = match[1];
      const { args, bodyToken } = parseArgs(Buffer.concat(chunks).toString('utf8'), req.headers['content-type'], url.searchParams);
      const authorized = /^Bearer \S+/.test(req.headers.authorization ?? '') || bodyToken;
      const call: FakeSlackCall = { method, at, args, authorized, status: 200 };
      calls.push(call);
      const held = holds.find((h) => h.method === undefined || h.method === method);
      if (held) held.waiting.push(() => respond(res, method, args, call));
      else respond(res, method, args, call);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    calls,
    refused: () => calls.filter((c) => c.status === 429),
    accepted: (method) => calls.filter((c) => c.status === 200 && (method === undefined || c.method === method)),
    messages: (channel) =>
      [...(channels.get(channel)?.values() ?? [])].map((m) => ({ ...m, replies: m.replies.map((r) => ({ ...r })) })),
    homeView: (userId) => homeViews.get(userId),
    modals: () => [...modals],
    workspaceLimit: (rule) => {
      workspaceLimits.push({ ...rule, accepted: [] });
    },
    rateLimit: (rule) => {
      const active: ActiveRateLimit = { ...rule, until: rule.forMs === undefined ? Infinity : Date.now() + rule.forMs };
      rateLimits.push(active);
      return {
        lift: () => {
          active.until = -Infinity;
        },
      };
    },
    hold: (method) => {
      const held: HeldCalls = { ...(method !== undefined && { method }), waiting: [] };
      holds.push(held);
      return {
        pending: () => held.waiting.length,
        release: () => {
          holds = holds.filter((h) => h !== held);
          for (const answerNow of held.waiting.splice(0)) answerNow();
        },
      };
    },
    failNext: (method, status, count = 1) => {
      faults.push({ method, remaining: count, answer: { kind: 'http', status } });
    },
    succeedThenFail: (method, error, count = 1) => {
      faults.push({ method, remaining: count, answer: { kind: 'after-success', error } });
    },
    errorNext: (method, error, count = 1, channel) => {
      faults.push({ method, remaining: count, answer: { kind: 'platform', error }, ...(channel !== undefined && { channel }) });
    },
    setUserTimezone: (userId, tz) => {
      timezones.set(userId, tz);
    },
    setSocketModeUrl: (url) => {
      socketModeUrl = url;
    },
    reset: () => {
      calls.length = 0;
      rateLimits = [];
      workspaceLimits = [];
      channelBuckets.clear();
      faults = [];
      // Held calls are answered (nothing may hang), then forgotten with the rest.
      for (const held of holds.splice(0)) for (const answerNow of held.waiting.splice(0)) answerNow();
      channels = new Map();
      homeViews = new Map();
      modals = [];
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function parseArgs(
  body: string,
  contentType: string | undefined,
  query: URLSearchParams,
): { args: Record<string, unknown>; bodyToken: boolean } {
  const args: Record<string, unknown> = {};
  for (const [key, value] of query) args[key] = value;
  if (body.length > 0) {
    if (contentType?.startsWith('application/json')) {
      try {
        const parsed: unknown = JSON.parse(body);
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) Object.assign(args, parsed);
      } catch {
        args._unparsedBody = body;
      }
    } else {
      for (const [key, value] of new URLSearchParams(body)) args[key] = JSON_FIELDS.has(key) ? decodeJson(value) : value;
    }
  }
  const bodyToken = typeof args.token === 'string' && args.token.length > 0;
  // Recorded calls end up in assertion messages and logs: a token must never be among them.
  delete args.token;
  return { args, bodyToken };
}

/** The text Slack counts against a message's blocks: every `text` string, however deep. */
function blocksText(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + blocksText(item), 0);
  if (!value || typeof value !== 'object') return 0;
  return Object.entries(value).reduce((sum, [key, item]) => sum + (key === 'text' && typeof item === 'string' ? item.length : blocksText(item)), 0);
}

function decodeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}
