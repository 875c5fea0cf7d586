/**
 * Text a view may show. Everything user-provided or machine-provided is made printable here:
 * control characters, terminal escape sequences and bidi overrides in a container's output or argv
 * must not reach a terminal (where they act) or Slack (where they forge lines).
 */
import { describeInstant } from '../parsing/when.js';
import { JOB_VIEW_LIMITS, type ViewField } from './view-model.js';

/** "2026-03-05 15:04 UTC". */
export function utcMinute(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? printable(iso) : describeInstant(date, 'UTC');
}

// Line breaks and C0/C1 controls, lone surrogates, and bidi/line-separator characters.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNPRINTABLE_REGEX = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function printableField(field: ViewField): ViewField {
  return { ...field, label: printable(field.label), value: printable(field.value) };
}

/** One line of text, safe to show anywhere: unprintable characters become visible escapes. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE_REGEX, (char) => {
    if (char === '\n') return '\\n';
    if (char === '\t') return '\\t';
    if (char === '\r') return '\\r';
    const code = char.charCodeAt(0);
    return code >= 0xd800 && code <= 0xdfff ? '\uFFFD' : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

// eslint-disable-next-line no-control-regex -- matching terminal escape sequences is the point
const ANSI_SEQUENCE_REGEX = /\u001B(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001B]*(?:\u0007|\u001B\\)?|[@-Z\\-_])/g;
// eslint-disable-next-line no-control-regex -- as above: every control character but tab and newline
const OUTPUT_CONTROL_REGEX = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069]/g;

/**
 * A container's output as lines a person can read: colour and cursor sequences dropped, each
 * carriage-return-overwritten line (progress bars) reduced to what was finally shown, other
 * control characters dropped, broken surrogates replaced. Keeps the last `logTail` characters.
 */
export function cleanOutput(text: string): string {
  const tail = text.length > JOB_VIEW_LIMITS.logTail * 2 ? text.slice(-JOB_VIEW_LIMITS.logTail * 2) : text;
  const cleaned = tail
    .replace(ANSI_SEQUENCE_REGEX, '')
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => {
      const parts = line.split('\r').filter((part) => part !== '');
      return parts[parts.length - 1] ?? '';
    })
    .join('\n')
    .replace(OUTPUT_CONTROL_REGEX, '')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
    .replace(/\n+$/, '');
  if (cleaned.length <= JOB_VIEW_LIMITS.logTail) return cleaned;
  let cut = cleaned.length - JOB_VIEW_LIMITS.logTail;
  // Never start inside a surrogate pair.
  if (/[\uDC00-\uDFFF]/.test(cleaned[cut] ?? '')) cut++;
  return cleaned.slice(cut);
}
