/**
 * What every benchmark prints: one JSON object per line, with the measured figures, the issue's
 * target in words, `met` computed against it, and — where the original design applies — that
 * design's figure measured in the same run (`baseline`) and `ratio` (baseline ÷ measured, so
 * bigger is better). A missed target is a result, never a failure: only a crash exits non-zero.
 */

/** One benchmark's line. `figures` are the measured numbers, flat, named with their unit. */
export interface BenchResult {
  bench: string;
  figures: Record<string, unknown>;
  /** The target in words, as the issue states it. */
  target: string;
  met: boolean;
  /** The original design's figure for the headline measure, measured in the same run. */
  baseline?: number;
  /** baseline ÷ measured, for the same headline measure. */
  ratio?: number;
}

/** The JSON line of a result: `bench`, the figures, then `target`, `met`, `baseline`, `ratio`. */
export function resultLine(result: BenchResult): string {
  const { bench, figures, target, met, baseline, ratio } = result;
  return JSON.stringify({
    bench,
    ...figures,
    target,
    met,
    ...(baseline !== undefined && { baseline }),
    ...(ratio !== undefined && { ratio: round(ratio, 1) }),
  });
}

/** Prints a result's line on stdout. */
export function emit(result: BenchResult): void {
  console.log(resultLine(result));
}

/** baseline ÷ measured; `Infinity` when the measured figure is 0 and the baseline is not. */
export function ratioOf(baseline: number, measured: number): number {
  if (measured === 0) return baseline === 0 ? 1 : Infinity;
  return baseline / measured;
}

/** The p-th percentile (0–100) of `values`, nearest rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Milliseconds since `start` (a `performance.now()` value), rounded to 0.1 ms. */
export function msSince(start: number): number {
  return round(performance.now() - start, 1);
}
