/**
 * Every property test in a run draws from one seed, printed when the run starts, so a failure is
 * a finding that can be replayed: `FC_SEED=<seed> npx vitest run <file>`. fast-check's own failure
 * message adds the seed and the shrink path of the counterexample.
 */
import fc from 'fast-check';

const seed = Number(process.env.FC_SEED);
if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer, not ${JSON.stringify(process.env.FC_SEED)}`);
fc.configureGlobal({ seed });

/**
 * The seeds a property suite runs under: the run's one seed, or, with `FC_SEEDS=FIRST-LAST`, each
 * of those fixed seeds in turn within one process (`scripts/property-seeds.sh`).
 */
export function propertySeeds(): number[] {
  const range = process.env.FC_SEEDS;
  if (!range) return [seed];
  const match = /^(\d+)-(\d+)$/.exec(range);
  if (!match) throw new Error(`FC_SEEDS must be FIRST-LAST, not ${JSON.stringify(range)}`);
  const [first, last] = [Number(match[1]), Number(match[2])];
  return Array.from({ length: Math.max(0, last - first + 1) }, (_, index) => first + index);
}
