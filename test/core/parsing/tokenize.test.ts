import fc from 'fast-check';
import { quote } from 'shell-quote';
import { describe, expect, it } from 'vitest';
import { normaliseQuotes, tokenize } from '../../../bot/core/parsing/tokenize.js';
import { anyStringUpTo, arrayUpTo, textUpTo } from '../../harness/arbitraries.js';

function tokens(text: string): string[] {
  const result = tokenize(text);
  if (!result.ok) throw new Error(`expected tokens, got error: ${result.error}`);
  return result.tokens;
}

function error(text: string): string {
  const result = tokenize(text);
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.tokens)}`);
  return result.error;
}

describe('tokenize', () => {
  it.each([
    ['plain words', 'run alpine echo hi', ['run', 'alpine', 'echo', 'hi']],
    ['runs of whitespace and newlines', '  run\talpine \n echo  ', ['run', 'alpine', 'echo']],
    ['double quotes', 'echo "a b"  c', ['echo', 'a b', 'c']],
    ['single quotes', "echo 'a \"b\" c'", ['echo', 'a "b" c']],
    ['quotes mid-word', `a'b c'"d e"f`, ['ab cd ef']],
    ['escaped backtick in double quotes', '"a\\`b"', ['a`b']],
    ['empty quoted argument kept', 'echo "" x', ['echo', '', 'x']],
    ['backslash escapes', 'echo a\\ b \\"q\\"', ['echo', 'a b', '"q"']],
    ['backslash inside double quotes', '"a\\"b" "c\\\\d" "e\\xf"', ['a"b', 'c\\d', 'e\\xf']],
    ['$VAR literal', 'echo $HOME', ['echo', '$HOME']],
    ['${VAR} literal, braces kept', 'echo ${HOME}/x', ['echo', '${HOME}/x']],
    ['$VAR literal in double quotes', 'echo "$HOME is home"', ['echo', '$HOME is home']],
    ["$'…' is not ANSI-C quoting", "echo $'\\n'", ['echo', '$\\n']],
    ['escaped dollar stays one dollar', 'echo \\$X "\\$Y"', ['echo', '$X', '$Y']],
    ['# is literal, at a word start or inside', 'echo #tag a#b', ['echo', '#tag', 'a#b']],
    ['globs kept as typed', 'ls *.csv data/?.txt [ab]', ['ls', '*.csv', 'data/?.txt', '[ab]']],
    ['backticks and tilde literal', 'echo `id` ~/x', ['echo', '`id`', '~/x']],
    ['quoted operators are arguments', `sh -c 'a | b; c && d > e'`, ['sh', '-c', 'a | b; c && d > e']],
    ['an escaped operator is an argument', 'echo a \\| b', ['echo', 'a', '|', 'b']],
    ['unicode', 'echo héllo 😀', ['echo', 'héllo', '😀']],
    ['smart double quotes', 'echo \u201Chello world\u201D', ['echo', 'hello world']],
    ['smart single quotes', 'echo \u2018a b\u2019', ['echo', 'a b']],
    ['apostrophe inside a word kept', 'echo it\u2019s', ['echo', 'it\u2019s']],
    ['apostrophe inside smart quotes', '--name \u201CBob\u2019s job\u201D', ['--name', 'Bob\u2019s job']],
    ['low-9 quotes too', '\u201Ea b\u201C', ['a b']],
  ])('%s', (_name, input, expected) => {
    expect(tokens(input)).toEqual(expected);
  });

  it.each([
    ['|', 'echo a | wc', /"\|" is a shell operator.*quote it: '\|'.*sh -c/],
    [';', 'echo a; rm x', /";" is a shell operator/],
    ['&&', 'make && make install', /"&&" is a shell operator/],
    ['>', 'echo a > out', /">" is a shell operator.*redirect/],
    ['<', 'wc < in', /"<" is a shell operator.*redirect/],
    ['&', 'sleep 1 &', /"&" is a shell operator/],
    ['(', 'python -c print(1)', /"\(" is a shell operator.*quote it/],
    ['$( is still an operator', 'echo $(id)', /"\(" is a shell operator/],
  ])('refuses the operator %s and says to quote it', (_op, input, message) => {
    expect(error(input)).toMatch(message);
  });

  it.each([
    ['double', 'echo "abc', /unbalanced quotes: the double quote \("\) at character 6/],
    ['single', "echo 'abc", /unbalanced quotes: the single quote \('\) at character 6/],
    ['smart, unclosed', 'echo \u201Cabc', /unbalanced quotes: the double quote/],
    ['a quote inside the other kind does not close it', `echo "it's`, /double quote/],
  ])('refuses an unclosed %s quote, saying where', (_name, input, message) => {
    expect(error(input)).toMatch(message);
  });

  it('refuses a trailing backslash', () => {
    expect(error('echo a\\')).toMatch(/ends with a backslash/);
  });

  it('normalises typographic quotes except apostrophes', () => {
    expect(normaliseQuotes('\u2018a\u2019 \u201Cb\u201D don\u2019t')).toBe(`'a' "b" don\u2019t`);
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(anyStringUpTo(5000), (text) => {
        const result = tokenize(text);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it("reads back any argv quoted by shell-quote's quote()", () => {
    // Every printable ASCII character plus a few others; typographic quotes are excluded since
    // they are read as quotes by design.
    const char = fc.oneof(
      fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
      fc.constantFrom('é', '😀', '\t', '\n', 'ß'),
    );
    const word = textUpTo(char, 120);
    fc.assert(
      fc.property(arrayUpTo(word, 60, 1), (argv) => {
        expect(tokens(quote(argv))).toEqual(argv);
      }),
      { numRuns: 2000 },
    );
  });
});
