/**
 * Arbitraries that reach the limits they stand for. fast-check's default size keeps strings and
 * arrays near ten elements whatever `maxLength` says, so a "huge text" property would never see
 * a text past 34 characters; these draw short values as often as before and, as often, values
 * anywhere up to `maxLength`, at and past every limit below it.
 */
import fc from 'fast-check';

/** Up to this many pieces are drawn one by one; longer texts repeat a drawn run of pieces. */
const DRAWN_PIECES = 24;

/** Text made of `piece`s, of any length from 0 to `maxLength`. */
export function textUpTo(piece: fc.Arbitrary<string>, maxLength: number): fc.Arbitrary<string> {
  const joined = (min: number, max: number) => fc.array(piece, { minLength: min, maxLength: max }).map((parts) => parts.join(''));
  const short = joined(0, Math.min(maxLength, DRAWN_PIECES)).map((text) => text.slice(0, maxLength));
  // Drawing thousands of pieces one by one is slow; a drawn run repeated to a drawn length is not.
  const long = fc
    .tuple(joined(1, DRAWN_PIECES), fc.integer({ min: 0, max: maxLength }))
    .map(([run, length]) => (run.length === 0 ? run : run.repeat(Math.ceil(length / run.length)).slice(0, length)));
  return fc.oneof(short, long);
}

/** Any string of code units (lone surrogates included), of any length up to `maxLength`. */
export function anyStringUpTo(maxLength: number): fc.Arbitrary<string> {
  return textUpTo(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), maxLength);
}

/** An array of any length up to `maxLength`, not only the first ten or so. */
export function arrayUpTo<T>(item: fc.Arbitrary<T>, maxLength: number, minLength = 0): fc.Arbitrary<T[]> {
  return fc.array(item, { minLength, maxLength, size: 'max' });
}
