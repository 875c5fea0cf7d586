/**
 * The system's wall clock, the `Clock` every adapter, surface and the engine default to. It is the
 * one place in bot/ that reads the time of day; everything else takes a `Clock`, so tests hand in
 * a fake one. Durations that only need to be monotonic (how long a pass took) use
 * `performance.now()` instead, and say so.
 */
import type { Clock } from './ports.js';

export const systemClock: Clock = { now: () => new Date() };
