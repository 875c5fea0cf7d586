import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  constantTimeEqual,
  notificationToken,
  signCallback,
  verifyCallbackSignature,
  verifyNotificationToken,
} from '../../bot/security/hmac.js';

const SECRET = 'test-secret-0123456789';

describe('notificationToken', () => {
  it('is base64url(HMAC-SHA256(secret, "<job-id>.<attempt>")) as docs/rest-api.md states', () => {
    const expected = createHmac('sha256', SECRET).update('job-42.3').digest('base64url');
    expect(notificationToken(SECRET, 'job-42', 3)).toBe(expected);
    expect(expected).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('differs per job, per attempt and per secret', () => {
    const base = notificationToken(SECRET, 'job-1', 1);
    expect(notificationToken(SECRET, 'job-1', 2)).not.toBe(base);
    expect(notificationToken(SECRET, 'job-2', 1)).not.toBe(base);
    expect(notificationToken('other-secret', 'job-1', 1)).not.toBe(base);
  });

  it('refuses an empty secret and an attempt that is not a non-negative integer', () => {
    expect(() => notificationToken('', 'job-1', 1)).toThrow(/secret/);
    expect(() => notificationToken(SECRET, 'job-1', -1)).toThrow(RangeError);
    expect(() => notificationToken(SECRET, 'job-1', 1.5)).toThrow(RangeError);
    expect(() => notificationToken(SECRET, 'job-1', Number.NaN)).toThrow(RangeError);
  });
});

describe('verifyNotificationToken', () => {
  const token = notificationToken(SECRET, 'job-1', 2);

  it('accepts the token of the same job and attempt', () => {
    expect(verifyNotificationToken(SECRET, 'job-1', 2, token)).toBe(true);
  });

  it.each([
    ['a wrong attempt', SECRET, 'job-1', 1, token],
    ['a wrong job', SECRET, 'job-2', 2, token],
    ['a wrong secret', 'another-secret', 'job-1', 2, token],
    ['a truncated token', SECRET, 'job-1', 2, token.slice(0, -1)],
    ['an extended token', SECRET, 'job-1', 2, `${token}A`],
    ['an empty token', SECRET, 'job-1', 2, ''],
    ['a one-character token', SECRET, 'job-1', 2, 'x'],
    ['a very long token', SECRET, 'job-1', 2, token.repeat(100)],
    ['a token with a flipped character', SECRET, 'job-1', 2, `${token[0] === 'A' ? 'B' : 'A'}${token.slice(1)}`],
    ['the standard-base64 spelling', SECRET, 'job-1', 2, Buffer.from(token, 'base64url').toString('base64')],
    ['an invalid attempt', SECRET, 'job-1', -2, token],
  ])('refuses %s', (_label, secret, jobId, attempt, presented) => {
    expect(verifyNotificationToken(secret, jobId, attempt, presented)).toBe(false);
  });

  it('cannot be confused by dots in job ids (the attempt is always the part after the last dot)', () => {
    const t = notificationToken(SECRET, 'a.1', 2);
    expect(verifyNotificationToken(SECRET, 'a', 12, t)).toBe(false);
    expect(verifyNotificationToken(SECRET, 'a.1', 2, t)).toBe(true);
  });

  it('accepts exactly its own token (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.nat(), fc.nat(), fc.string(), (jobId, attempt, other, garbage) => {
        const own = notificationToken(SECRET, jobId, attempt);
        expect(verifyNotificationToken(SECRET, jobId, attempt, own)).toBe(true);
        if (other !== attempt) expect(verifyNotificationToken(SECRET, jobId, other, own)).toBe(false);
        if (garbage !== own) expect(verifyNotificationToken(SECRET, jobId, attempt, garbage)).toBe(false);
      }),
    );
  });
});

describe('constantTimeEqual', () => {
  it.each([
    ['', '', true],
    ['abc', 'abc', true],
    ['ünï', 'ünï', true],
    ['abc', 'abd', false],
    ['abc', 'abcd', false],
    ['abcd', 'abc', false],
    ['', 'a', false],
    ['a'.repeat(10_000), 'a'.repeat(10_001), false],
  ])('%j vs %j → %s (any lengths, no throw)', (a, b, equal) => {
    expect(constantTimeEqual(a, b)).toBe(equal);
  });

  it('agrees with === (property)', () => {
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => constantTimeEqual(a, b) === (a === b)));
  });
});

describe('signCallback / verifyCallbackSignature', () => {
  const ts = 1_760_000_000;
  const body = JSON.stringify({ job_id: 'job-1', status: 'succeeded', exit_code: 0 });

  it('is v1= + hex HMAC-SHA256 over "timestamp.body"', () => {
    const mac = createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex');
    expect(signCallback(SECRET, ts, body)).toBe(`v1=${mac}`);
  });

  it('verifies its own signature', () => {
    expect(verifyCallbackSignature(SECRET, ts, body, signCallback(SECRET, ts, body))).toBe(true);
  });

  it.each([
    ['a tampered body', SECRET, ts, `${body} `],
    ['a tampered timestamp', SECRET, ts + 1, body],
    ['a wrong secret', 'another-secret', ts, body],
  ])('refuses %s', (_label, secret, timestamp, receivedBody) => {
    const header = signCallback(SECRET, ts, body);
    expect(verifyCallbackSignature(secret, timestamp, receivedBody, header)).toBe(false);
  });

  it.each([
    ['an empty header', ''],
    ['the bare hex without version', signCallback(SECRET, ts, body).slice(3)],
    ['another version', signCallback(SECRET, ts, body).replace('v1=', 'v2=')],
    ['a truncated signature', signCallback(SECRET, ts, body).slice(0, -2)],
    ['upper-case hex', `v1=${signCallback(SECRET, ts, body).slice(3).toUpperCase()}`],
    ['a very long header', 'v1='.padEnd(50_000, 'f')],
  ])('refuses %s', (_label, header) => {
    expect(verifyCallbackSignature(SECRET, ts, body, header)).toBe(false);
  });

  it('accepts any of several comma-separated signatures (secret rotation)', () => {
    const header = `${signCallback('old-secret', ts, body)}, ${signCallback(SECRET, ts, body)}`;
    expect(verifyCallbackSignature(SECRET, ts, body, header)).toBe(true);
    expect(verifyCallbackSignature('third-secret', ts, body, header)).toBe(false);
  });

  it('refuses a stale or future timestamp when the receiver gives its clock', () => {
    const header = signCallback(SECRET, ts, body);
    expect(verifyCallbackSignature(SECRET, ts, body, header, { nowSeconds: ts + 300 })).toBe(true);
    expect(verifyCallbackSignature(SECRET, ts, body, header, { nowSeconds: ts + 301 })).toBe(false);
    expect(verifyCallbackSignature(SECRET, ts, body, header, { nowSeconds: ts - 301 })).toBe(false);
    expect(verifyCallbackSignature(SECRET, ts, body, header, { nowSeconds: ts + 1000, toleranceSeconds: 1000 })).toBe(true);
    expect(verifyCallbackSignature(SECRET, ts, body, header, { nowSeconds: Number.NaN })).toBe(false);
  });

  it('refuses a non-integer timestamp, and signs none', () => {
    expect(() => signCallback(SECRET, 1.5, body)).toThrow(RangeError);
    expect(verifyCallbackSignature(SECRET, Number.NaN, body, signCallback(SECRET, ts, body))).toBe(false);
  });

  it('refuses an empty secret on both sides', () => {
    expect(() => signCallback('', ts, body)).toThrow(/secret/);
    expect(() => verifyCallbackSignature('', ts, body, 'v1=00')).toThrow(/secret/);
  });
});
