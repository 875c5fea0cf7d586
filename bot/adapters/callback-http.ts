/**
 * Delivers job callbacks over HTTP(S), signed, and refuses to be used as a proxy into the
 * network the bot runs in (SSRF):
 *
 * 1. callback-target.ts decides, before any socket exists, whether the URL's host may be reached
 *    and at which addresses (one non-public address refuses it, unless private targets are allowed);
 * 2. the connection goes only to those addresses (`pinnedLookup`), so a second resolution (DNS
 *    rebinding) never happens. The URL's hostname still goes into `Host` and TLS SNI, so virtual
 *    hosts and certificates work as usual;
 * 3. redirects are never followed: a 3xx could point anywhere, including back inside.
 */
import http from 'node:http';
import https from 'node:https';
import type { CallbackPayload } from '../core/callback.js';
import { systemClock } from '../clock.js';
import type { CallbackOutcome, CallbackSender, Clock } from '../ports.js';
import { signCallback } from '../security/hmac.js';
import { checkCallbackTarget, pinnedLookup, systemResolve, type CallbackTargetDecision, type HostResolver } from './callback-target.js';

export interface HttpCallbackSenderOptions {
  /** HMAC key for `X-Sched-Signature`. Never logged, never part of an outcome. */
  secret: string;
  /** Allow loopback, private, link-local and other non-public targets (SCHED_CALLBACK_ALLOW_PRIVATE). */
  allowPrivate: boolean;
  /** Budget for one delivery, resolution included, until the response headers arrive. Default 10 s. */
  timeoutMs?: number;
  /** For `X-Sched-Timestamp`; default: the system clock. */
  clock?: Clock;
  userAgent?: string;
  /** Default: the system resolver (`dns.lookup`, all addresses). */
  resolve?: HostResolver;
}

export const DEFAULT_CALLBACK_TIMEOUT_MS = 10_000;
export const DEFAULT_CALLBACK_USER_AGENT = 'Sched-Callback/1';
/** Receivers' answers are not used beyond the status; read this much, then hang up. */
export const MAX_CALLBACK_RESPONSE_BYTES = 4096;

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Whether a status is worth trying again later. */
function outcomeForStatus(statusCode: number): CallbackOutcome {
  if (statusCode >= 200 && statusCode < 300) return { ok: true, statusCode };
  if (statusCode >= 300 && statusCode < 400) {
    return {
      ok: false,
      statusCode,
      error: `callback answered HTTP ${statusCode} (a redirect); redirects are not followed, use the final URL`,
      permanent: true,
    };
  }
  // 408/425/429 say "not now"; 5xx says the receiver is broken, perhaps briefly.
  const retryable = statusCode === 408 || statusCode === 425 || statusCode === 429 || statusCode >= 500;
  return { ok: false, statusCode, error: `callback answered HTTP ${statusCode}`, permanent: !retryable };
}

class DeadlineExceeded extends Error {}

/** How long a job's creation waits for the callback host's resolution before accepting it unchecked. */
const REFUSAL_CHECK_TIMEOUT_MS = 3000;

export class HttpCallbackSender implements CallbackSender {
  // Private fields: a sender that ends up in a log or JSON.stringify must not carry the secret.
  readonly #secret: string;
  readonly #allowPrivate: boolean;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #userAgent: string;
  readonly #resolve: HostResolver;

  constructor(options: HttpCallbackSenderOptions) {
    if (options.secret.length === 0) throw new TypeError('HttpCallbackSender needs a non-empty secret');
    this.#secret = options.secret;
    this.#allowPrivate = options.allowPrivate;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_CALLBACK_TIMEOUT_MS;
    this.#clock = options.clock ?? systemClock;
    this.#userAgent = options.userAgent ?? DEFAULT_CALLBACK_USER_AGENT;
    this.#resolve = options.resolve ?? systemResolve;
  }

  /** The SSRF guard's permanent refusals, before a job takes the URL; a slow or failing DNS answers undefined. */
  async refusal(url: string): Promise<string | undefined> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DeadlineExceeded()), Math.min(this.#timeoutMs, REFUSAL_CHECK_TIMEOUT_MS));
    try {
      const target = await checkCallbackTarget(url, { allowPrivate: this.#allowPrivate, resolve: (host) => untilAborted(this.#resolve(host), controller.signal) });
      return !target.allowed && target.permanent ? target.reason : undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  async send(url: string, payload: CallbackPayload, idempotencyKey: string): Promise<CallbackOutcome> {
    if (!IDEMPOTENCY_KEY.test(idempotencyKey)) {
      return { ok: false, error: 'idempotency key must be 1–255 printable ASCII characters', permanent: true };
    }
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DeadlineExceeded()), this.#timeoutMs);
    const stopTimer = (): void => clearTimeout(timer);
    let requestOwnsTimer = false;
    try {
      const target = await checkCallbackTarget(url, {
        allowPrivate: this.#allowPrivate,
        resolve: (host) => untilAborted(this.#resolve(host), controller.signal),
      });
      if (!target.allowed) {
        if (controller.signal.aborted) return this.#timedOut();
        return { ok: false, error: target.reason, permanent: target.permanent };
      }
      const body = JSON.stringify(payload);
      const timestamp = Math.floor(this.#clock.now().getTime() / 1000);
      // The outcome is known at the response headers, but the body is still being drained: the
      // deadline keeps bounding that, so a receiver that trickles bytes cannot pin a socket.
      requestOwnsTimer = true;
      return await this.#post(target, body, timestamp, idempotencyKey, controller.signal, stopTimer);
    } finally {
      if (!requestOwnsTimer) stopTimer();
    }
  }

  #timedOut(): CallbackOutcome {
    return { ok: false, error: `callback timed out after ${this.#timeoutMs} ms`, permanent: false };
  }

  #post(
    target: Extract<CallbackTargetDecision, { allowed: true }>,
    body: string,
    timestamp: number,
    idempotencyKey: string,
    signal: AbortSignal,
    onClosed: () => void,
  ): Promise<CallbackOutcome> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (outcome: CallbackOutcome): void => {
        if (settled) return;
        settled = true;
        resolve(outcome);
      };
      const { url } = target;
      const transport = url.protocol === 'https:' ? https : http;
      let req: http.ClientRequest;
      try {
        req = transport.request({
          method: 'POST',
          protocol: url.protocol,
          hostname: target.hostname,
          port: url.port === '' ? undefined : Number(url.port),
          path: `${url.pathname}${url.search}`,
          headers: {
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(body),
            'User-Agent': this.#userAgent,
            'X-Sched-Timestamp': String(timestamp),
            'X-Sched-Signature': signCallback(this.#secret, timestamp, body),
            'Idempotency-Key': idempotencyKey,
          },
          lookup: pinnedLookup(target.addresses),
          // A fresh agent per delivery: a pooled keep-alive socket would skip the pinned lookup.
          agent: false,
          signal,
        });
      } catch (err) {
        onClosed();
        settle({ ok: false, error: `callback request could not be built: ${(err as Error).message}`, permanent: true });
        return;
      }
      req.on('close', onClosed);
      req.on('response', (res) => {
        settle(outcomeForStatus(res.statusCode ?? 0));
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_CALLBACK_RESPONSE_BYTES) res.destroy();
        });
        // Errors after the status is known change nothing.
        res.on('error', () => undefined);
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (signal.aborted) {
          settle(this.#timedOut());
          return;
        }
        settle({ ok: false, error: `callback request failed: ${err.code ?? err.message}`, permanent: false });
      });
      req.end(body);
    });
  }
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
