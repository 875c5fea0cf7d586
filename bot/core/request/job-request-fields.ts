/**
 * The fields of a job request, one validator each: container payload (env, argv), placement
 * (instance types, price, retries), run limits (timeout, name), and the problem-wording helpers
 * they share with bot/core/request/job-request.ts, which assembles a request from them. How a job
 * recovers (on-demand, retry exits, rebalance) is in recovery-fields.ts, GPUs in gpu-fields.ts.
 * Each validator appends its problems, prefixed with the REST field name, and returns undefined on any.
 */
import { ENV_KEY_PATTERN } from '../agent-script.js';
import { MAX_INTERRUPTIONS_TOLERATED, isInstanceType } from '../facts.js';

/**
 * The env and argv no longer travel in the EC2 user data (the agent fetches them from the bot, within
 * `MAX_AGENT_SPEC_BYTES`); `payloadBytes` is kept as it was, a bound on what one job hands its container.
 */
export const JOB_REQUEST_LIMITS = {
  /** A `datetime` this far in the past still counts as "now" (clock skew, slow clients). */
  pastGraceSeconds: 60,
  envCount: 100,
  envKeyLength: 256,
  envValueLength: 4096,
  commandArgs: 128,
  commandArgLength: 4096,
  /** UTF-8 bytes of env keys, values and argv together. */
  payloadBytes: 6144,
  instanceTypes: 10,
  retries: MAX_INTERRUPTIONS_TOLERATED,
  /** Far beyond any sensible container run; it only rules out absurd numbers. */
  timeoutSeconds: 30 * 24 * 3600,
  nameLength: 80,
  /**
   * `on_demand_wait` at most: a job no pool can place is given up after an hour (the lifecycle's
   * `capacityGiveUpSeconds`), so a longer wait would never end in an on-demand launch.
   */
  onDemandWaitSeconds: 3600,
  /** Distinct exit codes in `retry_exit_codes`. */
  retryExitCodes: 20,
  /** Problems listed one by one for repeated mistakes (unknown fields, env entries) before "…and N more". */
  listedRepeats: 20,
} as const;

const PRICE_REGEX = /^(?:0|[1-9]\d{0,5})(?:\.\d{1,6})?$/;
const BARE_SECONDS_REGEX = /^[1-9]\d{0,7}$/;
/** Units largest first, each at most once, so "1h30m" reads one way only ("1h30" would not). */
const COMPOUND_DURATION_REGEX = /^(?:(\d{1,8})d)?\s*(?:(\d{1,8})h)?\s*(?:(\d{1,8})m)?\s*(?:(\d{1,8})s)?$/;
/**
 * Control characters, lone surrogates, line/paragraph separators and bidi overrides: a name is
 * shown in Slack and logs, where these would forge lines or reorder text.
 */
const UNPRINTABLE_REGEX = /[\p{Cc}\p{Cs}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

/**
 * A positive duration in seconds: bare seconds ("600") or units d, h, m, s in that order
 * ("90s", "10m", "2h", "1h30m", "1d"). Shared by the REST API and the chat grammar so both
 * surfaces accept the same durations. Undefined when the text is not one, or is zero.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (BARE_SECONDS_REGEX.test(trimmed)) return Number(trimmed);
  if (trimmed === '' || trimmed.length > 40) return undefined;
  const match = COMPOUND_DURATION_REGEX.exec(trimmed);
  if (!match) return undefined;
  const [days, hours, minutes, seconds] = match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number];
  const total = days * 86400 + hours * 3600 + minutes * 60 + seconds;
  return total > 0 ? total : undefined;
}

export function parseEnv(value: unknown, problems: string[]): Record<string, string> | undefined {
  if (value === undefined) return {};
  if (!isPlainObject(value)) {
    problems.push(`env_vars: must be an object of names to string values, got ${typeName(value)}`);
    return undefined;
  }
  const entries = Object.entries(value);
  const entryProblems: string[] = [];
  if (entries.length > JOB_REQUEST_LIMITS.envCount) {
    problems.push(`env_vars: ${entries.length} variables, at most ${JOB_REQUEST_LIMITS.envCount}`);
  }
  for (const [key, entry] of entries) {
    if (key.length > JOB_REQUEST_LIMITS.envKeyLength) {
      entryProblems.push(`env_vars: name ${quote(key)} is longer than ${JOB_REQUEST_LIMITS.envKeyLength} characters`);
    } else if (!ENV_KEY_PATTERN.test(key)) {
      entryProblems.push(`env_vars: name ${quote(key)} must match ${ENV_KEY_PATTERN.source}`);
    }
    if (typeof entry !== 'string') {
      entryProblems.push(`env_vars.${safeLabel(key)}: value must be a string, got ${typeName(entry)}`);
    } else if (entry.length > JOB_REQUEST_LIMITS.envValueLength) {
      entryProblems.push(
        `env_vars.${safeLabel(key)}: value is ${entry.length} characters, at most ${JOB_REQUEST_LIMITS.envValueLength}`,
      );
    } else if (entry.includes('\0')) {
      // A NUL cannot cross into a process environment; the container would see a truncated value.
      entryProblems.push(`env_vars.${safeLabel(key)}: value contains a NUL character`);
    }
  }
  listRepeated(problems, entryProblems, 'env_vars problems');
  if (entries.length > JOB_REQUEST_LIMITS.envCount || entryProblems.length > 0) return undefined;
  // fromEntries defines own properties, so a key named "__proto__" stays a plain entry.
  return Object.fromEntries(entries as [string, string][]);
}

export function parseCommand(value: unknown, problems: string[]): string[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push(`command: must be an array of strings (argv), e.g. ["python", "run.py"], got ${typeName(value)}`);
    return undefined;
  }
  if (value.length > JOB_REQUEST_LIMITS.commandArgs) {
    problems.push(`command: ${value.length} arguments, at most ${JOB_REQUEST_LIMITS.commandArgs}`);
    return undefined;
  }
  const argProblems: string[] = [];
  value.forEach((arg: unknown, index) => {
    if (typeof arg !== 'string') {
      argProblems.push(`command[${index}]: must be a string, got ${typeName(arg)}`);
    } else if (arg.length > JOB_REQUEST_LIMITS.commandArgLength) {
      argProblems.push(`command[${index}]: ${arg.length} characters, at most ${JOB_REQUEST_LIMITS.commandArgLength}`);
    } else if (arg.includes('\0')) {
      argProblems.push(`command[${index}]: contains a NUL character`);
    }
  });
  listRepeated(problems, argProblems, 'command problems');
  return argProblems.length === 0 ? (value as string[]) : undefined;
}

export function parseInstanceTypes(value: unknown, defaults: string[], problems: string[]): string[] | undefined {
  if (value === undefined) {
    if (defaults.length === 0) {
      problems.push('instance_types: required, no default is configured');
      return undefined;
    }
    return [...defaults];
  }
  let types: unknown[];
  if (typeof value === 'string') types = value.split(',').map((part) => part.trim());
  else if (Array.isArray(value)) types = value;
  else {
    problems.push(`instance_types: must be an array of instance types or a comma-separated string, got ${typeName(value)}`);
    return undefined;
  }
  if (types.length === 0) {
    problems.push('instance_types: must name at least one instance type');
    return undefined;
  }
  return parseDistinctList<string>('instance_types', types, JOB_REQUEST_LIMITS.instanceTypes, 'types', problems, (type) =>
    typeof type === 'string' && isInstanceType(type)
      ? { value: type, shown: quote(type) }
      : { problem: `${typeof type === 'string' ? quote(type) : typeName(type)} is not an instance type like "t3.micro"` },
  );
}

/**
 * A list of at most `limit` distinct items, each read by `read` (its value and how it is shown,
 * or what is wrong with it): problems name the field, every bad item and every repeat, and the
 * list is undefined on any. `noun` counts the items ("3 types, at most 10").
 */
export function parseDistinctList<T>(
  field: string,
  items: readonly unknown[],
  limit: number,
  noun: string,
  problems: string[],
  read: (item: unknown) => { value: T; shown: string } | { problem: string },
): T[] | undefined {
  if (items.length > limit) {
    problems.push(`${field}: ${items.length} ${noun}, at most ${limit}`);
    return undefined;
  }
  const before = problems.length;
  const seen = new Set<T>();
  for (const item of items) {
    const outcome = read(item);
    if ('problem' in outcome) problems.push(`${field}: ${outcome.problem}`);
    else if (seen.has(outcome.value)) problems.push(`${field}: ${outcome.shown} is listed twice`);
    else seen.add(outcome.value);
  }
  return problems.length === before ? [...seen] : undefined;
}

/** Keeps EC2's own format, a decimal string of USD per hour. */
export function parseMaxPrice(value: unknown, problems: string[]): string | undefined {
  if (value === undefined) return undefined;
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      problems.push('max_price: must be a finite number');
      return undefined;
    }
    // toFixed, not String(): String(1e-7) is "1e-7", which EC2 would not take.
    text = value.toFixed(6).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    problems.push(`max_price: must be a decimal string or a number (USD per hour), got ${typeName(value)}`);
    return undefined;
  }
  if (!PRICE_REGEX.test(text)) {
    problems.push(`max_price: ${quote(String(value))} is not a price in USD per hour such as "0.05" (at most 6 decimals)`);
    return undefined;
  }
  if (Number(text) <= 0) {
    problems.push(`max_price: must be greater than 0 (at least 0.000001)`);
    return undefined;
  }
  return text;
}

export function parseRetries(value: unknown, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > JOB_REQUEST_LIMITS.retries) {
    problems.push(`retries: must be an integer from 0 to ${JOB_REQUEST_LIMITS.retries}`);
    return undefined;
  }
  return value;
}

export function parseTimeout(value: unknown, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  let seconds: number | undefined;
  if (typeof value === 'number') {
    seconds = Number.isInteger(value) && value > 0 ? value : undefined;
  } else if (typeof value === 'string') {
    seconds = parseDuration(value);
  } else {
    problems.push(`timeout: must be seconds (a positive integer) or a duration such as "90s", "10m", "2h", got ${typeName(value)}`);
    return undefined;
  }
  if (seconds === undefined) {
    problems.push(`timeout: ${quote(String(value))} is not a positive number of seconds or a duration such as "90s", "10m", "2h"`);
    return undefined;
  }
  if (seconds > JOB_REQUEST_LIMITS.timeoutSeconds) {
    problems.push(`timeout: at most ${JOB_REQUEST_LIMITS.timeoutSeconds / 86400} days`);
    return undefined;
  }
  return seconds;
}

export function parseName(value: unknown, problems: string[]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    problems.push(`name: must be a string, got ${typeName(value)}`);
    return undefined;
  }
  const name = value.trim();
  const before = problems.length;
  if (name.length === 0) problems.push('name: must not be empty');
  // Counted in code points, as a person counts characters, not UTF-16 units.
  const length = [...name].length;
  if (length > JOB_REQUEST_LIMITS.nameLength) {
    problems.push(`name: ${length} characters, at most ${JOB_REQUEST_LIMITS.nameLength}`);
  }
  if (UNPRINTABLE_REGEX.test(name)) problems.push('name: must contain only printable characters');
  return problems.length === before ? name : undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** Echoes user input in a problem: JSON-quoted (no raw control characters) and shortened. */
export function quote(text: string): string {
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return JSON.stringify(shown);
}

function safeLabel(key: string): string {
  return ENV_KEY_PATTERN.test(key) && key.length <= 60 ? key : quote(key);
}

export function listRepeated(problems: string[], found: string[], what: string): void {
  const limit = JOB_REQUEST_LIMITS.listedRepeats;
  problems.push(...found.slice(0, limit));
  if (found.length > limit) problems.push(`…and ${found.length - limit} more ${what}`);
}

export function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}
