import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { followOutput, wholeLines } from '../../../bot/core/view/follow-output.js';

describe('followOutput (logs -f)', () => {
  it('takes only whole lines until the run ends, then the rest', () => {
    expect(followOutput('', 'one\ntw', false)).toEqual({ fresh: 'one\n', shown: 'one\n', gap: false });
    expect(followOutput('one\n', 'one\ntwo\nthr', false)).toEqual({ fresh: 'two\n', shown: 'one\ntwo\n', gap: false });
    expect(followOutput('one\ntwo\n', 'one\ntwo\nthree', true)).toEqual({ fresh: 'three', shown: 'one\ntwo\nthree', gap: false });
    expect(followOutput('one\n', 'one\n', false)).toEqual({ fresh: '', shown: 'one\n', gap: false });
  });

  it('lines up a tail that slid on: only what follows the overlap is new', () => {
    // The window keeps 8 characters: "aaa\nbbb\n" then "bbb\nccc\n".
    expect(followOutput('aaa\nbbb\n', 'bbb\nccc\n', false)).toEqual({ fresh: 'ccc\n', shown: 'bbb\nccc\n', gap: false });
    // A repeated line is new output, not the old one again.
    expect(followOutput('x\n', 'x\nx\n', false)).toEqual({ fresh: 'x\n', shown: 'x\nx\n', gap: false });
  });

  it('says when the new tail does not line up (more output than a tail keeps came in between)', () => {
    expect(followOutput('aaa\n', 'zzz\n', false)).toEqual({ fresh: 'zzz\n', shown: 'zzz\n', gap: true });
  });

  it('property: looking at sliding tails of a growing output shows every line once, in order', () => {
    // Numbered lines, so a tail lines up in one place only; partial lines arrive too.
    const look = fc.record({ lines: fc.array(fc.stringMatching(/^[a-z ]{0,10}$/), { maxLength: 4 }), partial: fc.stringMatching(/^[a-z]{0,3}$/) });
    fc.assert(
      fc.property(fc.array(look, { minLength: 1, maxLength: 15 }), fc.integer({ min: 120, max: 200 }), (looks, window) => {
        let output = '';
        let n = 0;
        let shown = '';
        let printed = '';
        for (const [index, { lines, partial }] of looks.entries()) {
          for (const line of lines) output += `${n++}:${line}\n`;
          output += partial;
          const final = index === looks.length - 1;
          const step = followOutput(shown, output.slice(-window), final);
          expect(step.gap).toBe(false);
          printed += step.fresh;
          shown = step.shown;
        }
        expect(printed).toBe(output);
      }),
    );
  });

  it('wholeLines keeps the complete lines of a first look', () => {
    expect(wholeLines('a\nb')).toBe('a\n');
    expect(wholeLines('a\nb\n')).toBe('a\nb\n');
    expect(wholeLines('partial')).toBe('');
  });
});
