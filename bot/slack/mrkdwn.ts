/**
 * Text for Slack: mrkdwn escaping (`&`, `<`, `>`, so user text can neither mention nor link) and
 * fitting to a limit, cut on a code point, never inside a surrogate pair or an `&amp;` entity,
 * marked with "…".
 */


const LONE_SURROGATE_REGEX = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Slack rejects a payload that is not valid UTF-8; a lone surrogate cannot be encoded as UTF-8. */
function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE_REGEX, '\uFFFD');
}

/**
 * Escapes the three characters Slack's mrkdwn gives meaning to (mentions, links, entities), and
 * replaces lone surrogates.
 */
export function escapeMrkdwn(text: string): string {
  return wellFormed(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * What a user typed, from the text Slack sends with a slash command: entities decoded, and
 * Slack's auto-formatting undone (`<https://x|x>` → the URL, `<@U1|ana>` → `@ana`,
 * `<#C1|general>` → `#general`), so the grammar sees the user's words.
 */
export function unescapeSlackText(text: string): string {
  return text
    .replace(/<([^<>]*)>/g, (_match, inner: string) => {
      const [target = '', label] = inner.split('|', 2);
      if (/^(?:https?|mailto):/i.test(target)) return target.replace(/^mailto:/i, '');
      if (target.startsWith('@') || target.startsWith('#')) return label ? `${target[0]}${label}` : target;
      if (target.startsWith('!')) return label ?? `@${target.slice(1).split('^')[0]}`;
      return label ?? target;
    })
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

const ELLIPSIS = '…';

/**
 * Plain text cut to at most `max` UTF-16 units (Slack counts those, or fewer), on a code point,
 * ending in "…" when cut.
 */
export function fitText(raw: string, max: number): string {
  const text = wellFormed(raw);
  if (text.length <= max) return text;
  let out = '';
  for (const char of text) {
    if (out.length + char.length > max - ELLIPSIS.length) break;
    out += char;
  }
  return out + ELLIPSIS;
}

/** Raw text escaped for mrkdwn and fitted, never cutting an escape entity in half. */
export function fitMrkdwn(raw: string, max: number): string {
  const escaped = escapeMrkdwn(raw);
  if (escaped.length <= max) return escaped;
  let out = '';
  for (const char of wellFormed(raw)) {
    const piece = escapeMrkdwn(char);
    if (out.length + piece.length > max - ELLIPSIS.length) break;
    out += piece;
  }
  return out + ELLIPSIS;
}

/** The end of raw text, escaped and fitted: for output, where the last lines matter most. */
export function fitMrkdwnTail(raw: string, max: number): string {
  const escaped = escapeMrkdwn(raw);
  if (escaped.length <= max) return escaped;
  const chars = [...wellFormed(raw)];
  let out = '';
  for (let i = chars.length - 1; i >= 0; i--) {
    const piece = escapeMrkdwn(chars[i] as string);
    if (out.length + piece.length > max - ELLIPSIS.length) break;
    out = piece + out;
  }
  return ELLIPSIS + out;
}

/**
 * A last guard for mrkdwn assembled from already escaped parts: cut on a code point, and back
 * out of an entity that the cut would split.
 */
export function clampMrkdwn(mrkdwn: string, max: number): string {
  if (mrkdwn.length <= max) return mrkdwn;
  let out = fitText(mrkdwn, max).slice(0, -ELLIPSIS.length);
  const amp = out.lastIndexOf('&');
  if (amp >= 0 && amp > out.length - 5 && !out.slice(amp).includes(';')) out = out.slice(0, amp);
  return out + ELLIPSIS;
}

export function clampPlain(text: string, max: number): string {
  return fitText(text.length === 0 ? ' ' : text, max);
}

/** Inline code when the value has no backtick to break it, else plain: both escaped. */
export function code(raw: string, max: number): string {
  return raw.includes('`') || raw.length === 0 ? fitMrkdwn(raw, max) : `\`${fitMrkdwn(raw, max - 2)}\``;
}
