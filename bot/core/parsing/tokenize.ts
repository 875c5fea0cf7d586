/**
 * Splits a `/sched` command line into words the way a POSIX shell would — quotes and backslashes
 * respected — without being a shell: nothing is expanded and nothing is executed.
 *
 * - `$VAR`, `${VAR}`, `$(…)`, `#`, globs (`*.csv`) and `~` reach the container literally. The
 *   container's own shell can expand them (`sh -c 'echo $HOME'`); the bot has no environment a
 *   user should see.
 * - Shell operators (`|`, `;`, `&&`, `>`, `(`…) are refused with a hint to quote them: the user
 *   almost certainly meant a pipeline, which would otherwise run as a single argv.
 * - Unbalanced quotes are refused. shell-quote silently drops an unclosed quote, which would hand
 *   the container a different argv than the one the user typed.
 * - Typographic quotes (‘ ’ “ ”), which some Slack clients substitute as the user types, are read
 *   as ASCII quotes — except ’ between two letters, which is an apostrophe ("it’s").
 */
import { parse } from 'shell-quote';

export type TokenizeResult = { ok: true; tokens: string[] } | { ok: false; error: string };

const SMART_QUOTES_REGEX = /[\u2018\u2019\u201A\u201B\u201C\u201D\u201E\u201F]/g;
const SMART_DOUBLE_QUOTES = '\u201C\u201D\u201E\u201F';
const WORD_CHAR_REGEX = /[\p{L}\p{N}]/u;

/** Replaces typographic quotes by ASCII ones, keeping apostrophes inside words. */
export function normaliseQuotes(text: string): string {
  return text.replace(SMART_QUOTES_REGEX, (char: string, offset: number) => {
    if (SMART_DOUBLE_QUOTES.includes(char)) return '"';
    if (char === '\u2019' && isWordChar(text[offset - 1]) && isWordChar(text[offset + 1])) return char;
    return "'";
  });
}

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && WORD_CHAR_REGEX.test(char);
}

export function tokenize(text: string): TokenizeResult {
  const prepared = escapeExpansions(normaliseQuotes(text));
  if (!prepared.ok) return prepared;

  let entries: ReturnType<typeof parse>;
  try {
    // The env function is a second guard: every unquoted or double-quoted `$` is escaped above,
    // so it is not reached; if a case were missed, `$NAME` would stay literal instead of ''.
    entries = parse(prepared.text, (name: string) => `$${name}`);
  } catch (err) {
    return { ok: false, error: `could not split the command into words: ${err instanceof Error ? err.message : String(err)}` };
  }

  const tokens: string[] = [];
  for (const entry of entries) {
    if (typeof entry === 'string') {
      tokens.push(entry);
    } else if ('op' in entry && entry.op === 'glob') {
      // No files to match on the bot's side: the pattern is the argument, as the user typed it.
      tokens.push(entry.pattern);
    } else if ('op' in entry) {
      return { ok: false, error: operatorError(entry.op) };
    } else {
      // Unreachable: every unquoted `#` is escaped above. Refused rather than dropped, so that
      // no part of what the user typed silently disappears.
      return { ok: false, error: 'a comment (#) is not allowed here; quote the # to pass it as an argument' };
    }
  }
  return { ok: true, tokens };
}

function operatorError(op: string): string {
  const refusal = `"${op}" is a shell operator, and Sched runs no shell. To pass it as an argument, quote it: '${op}'`;
  if (/^[<>]|^&>/.test(op)) return `${refusal}. To redirect, run a shell in the container: sh -c 'command > file'`;
  if (/[|;&]/.test(op)) return `${refusal}. To chain commands, run a shell in the container: sh -c 'first | second'`;
  return refusal;
}

/**
 * One pass of the shell's quoting rules over the text: finds an unclosed quote (reported with its
 * position) and escapes each `$` and `#` that the shell would have treated specially, so that
 * shell-quote keeps them literal. Backslash escapes are copied as they are; shell-quote reads them.
 */
function escapeExpansions(text: string): { ok: true; text: string } | { ok: false; error: string } {
  let out = '';
  let quote: "'" | '"' | undefined;
  let quoteAt = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (quote === "'") {
      if (char === "'") quote = undefined;
      out += char;
      continue;
    }
    if (char === '\\') {
      const next = text[i + 1];
      if (next === undefined) {
        return { ok: false, error: 'the command ends with a backslash (\\), which escapes nothing; to pass a backslash, quote it: \'\\\'' };
      }
      // POSIX reads \` inside double quotes as a backtick; shell-quote would keep the backslash
      // (and its own quote() writes \` there), so the pair is resolved here.
      out += quote === '"' && next === '`' ? next : char + next;
      i++;
      continue;
    }
    if (quote === '"') {
      if (char === '"') quote = undefined;
      out += char === '$' ? '\\$' : char;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      quoteAt = i;
      out += char;
    } else if (char === '$' || char === '#') {
      out += `\\${char}`;
    } else {
      out += char;
    }
  }
  if (quote) {
    const kind = quote === '"' ? 'double' : 'single';
    const context = text
      .slice(Math.max(0, quoteAt - 10), quoteAt + 11)
      .replace(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/g, '')
      .replace(/\s+/g, ' ');
    return {
      ok: false,
      error: `unbalanced quotes: the ${kind} quote (${quote}) at character ${quoteAt + 1} (in ${JSON.stringify(`…${context}…`)}) is never closed`,
    };
  }
  return { ok: true, text: out };
}
