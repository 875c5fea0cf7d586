import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ReconcileLoop } from '../../bot/engine/reconcile-loop.js';

function loop(random: number, maxBackoffMs?: number): ReconcileLoop {
  return new ReconcileLoop({ intervalMs: 1000, logger: pino({ level: 'silent' }), pass: async () => undefined, random: () => random, ...(maxBackoffMs !== undefined && { maxBackoffMs }) });
}

describe('ReconcileLoop.delayAfter', () => {
  it('waits one interval while passes succeed', () => {
    expect(loop(0.5).delayAfter(0)).toBe(1000);
  });

  it('backs off with full jitter under interval · 2^errors, never below half an interval', () => {
    expect([1, 2, 3, 4].map((errors) => loop(0.999).delayAfter(errors))).toEqual([1998, 3996, 7992, 15984]);
    expect([1, 2, 3].map((errors) => loop(0.5).delayAfter(errors))).toEqual([1000, 2000, 4000]);
    expect(loop(0).delayAfter(5)).toBe(500);
  });

  it('caps the ceiling at maxBackoffMs (5 minutes by default) and the exponent at 10', () => {
    expect(loop(0.5).delayAfter(20)).toBe(150_000);
    expect(loop(0.5, 10_000_000).delayAfter(10)).toBe(512_000);
    expect(loop(0.5, 10_000_000).delayAfter(30)).toBe(512_000);
  });
});
