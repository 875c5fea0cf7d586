import { expect, test } from 'vitest';
import { formatDuration } from '../../bot/core/duration.js';

test.each([
  [0, '0s'],
  [-5, '0s'],
  [44.6, '45s'],
  [60, '1m'],
  [845, '14m 5s'],
  [3600, '1h'],
  [9000, '2h 30m'],
  [9059, '2h 30m'],
])('formatDuration(%d) is "%s"', (seconds, words) => {
  expect(formatDuration(seconds)).toBe(words);
});
