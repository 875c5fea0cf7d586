/**
 * `logs -f`: which part of a newer tail of a run's output is new. Each look at a run gives only
 * the last few thousand characters of an output that only grows, so the new tail is lined up
 * against what was already shown: the longest end of `shown` that the new tail starts with is
 * the overlap, and what follows it is new. Until the run ends, only whole lines are taken (a line
 * still being written is shown once it is complete).
 */

export interface FollowStep {
  /** Raw output not shown before (whole lines unless `final`); clean it before printing. */
  fresh: string;
  /** What has now been shown, to pass to the next step. */
  shown: string;
  /** The new tail does not line up with what was shown: output in between was too much to keep. */
  gap: boolean;
}

/** `final`: the run ended and `tail` is its last word, so a last line without a newline counts too. */
export function followOutput(shown: string, tail: string, final: boolean): FollowStep {
  const overlap = overlapLength(shown, tail);
  let fresh = tail.slice(overlap);
  if (!final) fresh = fresh.slice(0, fresh.lastIndexOf('\n') + 1);
  return { fresh, shown: tail.slice(0, overlap + fresh.length), gap: overlap === 0 && shown !== '' && tail !== '' };
}

/** The length of the longest end of `shown` that `tail` starts with. */
function overlapLength(shown: string, tail: string): number {
  for (let start = Math.max(0, shown.length - tail.length); start < shown.length; start++) {
    let i = 0;
    const length = shown.length - start;
    while (i < length && shown.charCodeAt(start + i) === tail.charCodeAt(i)) i++;
    if (i === length) return length;
  }
  return 0;
}

/** The whole lines of a first look at the output: where following starts from. */
export function wholeLines(text: string): string {
  return text.slice(0, text.lastIndexOf('\n') + 1);
}
