/**
 * "Did you mean": the closest of a few known words, for unknown subcommands, options, help topics
 * and time zones. Close means an edit distance small for the word's length, so that a typo gets a
 * suggestion and an unrelated word gets the list of valid ones instead.
 */

/** The candidate nearest to `input`, if it is near enough to be a likely typo. */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const word = input.toLowerCase();
  // Beyond this length a typo is unlikely, and the distance table would grow for nothing.
  if (word.length === 0 || word.length > 64) return undefined;
  // An abbreviation ("stat", "--max") is as telling as a typo when only one word starts with it,
  // unless it is a typo of a word that shares all but its last letter ("--retry": --retries, not
  // --retry-exit).
  const extending = candidates.filter((candidate) => candidate.toLowerCase().startsWith(word));
  const typo = nearest(word, candidates);
  const typoOfStem = typo !== undefined && typo.candidate !== extending[0] && typo.candidate.toLowerCase().startsWith(word.slice(0, -1));
  if (word.replace(/^-+/, '').length >= 2 && extending.length === 1 && !typoOfStem) return extending[0];
  return typo?.candidate;
}

/** The candidate within a typo's distance of `word`. */
function nearest(word: string, candidates: readonly string[]): { candidate: string; distance: number } | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best === undefined) return undefined;
  const allowed = Math.min(3, Math.max(1, Math.ceil(Math.max(word.length, best.length) / 3)));
  return bestDistance <= allowed ? { candidate: best, distance: bestDistance } : undefined;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, at(i - 2, j - 2) + 1);
      d[i * cols + j] = value;
    }
  }
  return at(a.length, b.length);
}
