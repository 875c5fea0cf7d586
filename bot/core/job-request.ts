/**
 * The body of `POST /v1/jobs`, validated. The field names are the original Flask service's
 * (`docker_image`, `datetime`, `callback`, `env_vars`) plus the new options of the command grammar
 * in snake_case. Every problem is reported at once, each prefixed with the field it concerns, so a
 * script author fixes a request in one round trip.
 *
 * `null` for an optional field means "not given": JSON clients commonly serialise absent values
 * that way, and the original read fields with `.get()`.
 */
import { validateCallbackUrlSyntax } from './callback.js';
import { MAX_INTERRUPTIONS_TOLERATED, isInstanceType } from './facts.js';
import { isValidImageReference, MAX_IMAGE_REFERENCE_LENGTH } from './image-ref.js';
import type { JobSpec } from './job.js';

/** The operator's defaults for what a job leaves out, on every surface (REST, Slack, terminal). */
export interface JobDefaults {
  /** Used when the request names none; must not be empty for such a request to pass. */
  instanceTypes: string[];
  interruptionsTolerated: number;
  maxPrice?: string;
}

export interface JobRequestContext {
  now: Date;
  defaults: JobDefaults;
}

export type JobRequestResult =
  | { ok: true; spec: JobSpec; runAt: string }
  | { ok: false; problems: string[] };

/**
 * The env and argv travel inside the EC2 user data, which AWS caps at 16 KB before base64, and the
 * agent script base64-encodes them again (+33 %) next to its own text. `payloadBytes` keeps
 * what a job brings well inside that budget.
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
  /** Problems listed one by one for repeated mistakes (unknown fields, env entries) before "…and N more". */
  listedRepeats: 20,
} as const;

export const JOB_REQUEST_FIELDS = [
  'docker_image',
  'datetime',
  'callback',
  'env_vars',
  'command',
  'instance_types',
  'max_price',
  'retries',
  'timeout',
  'name',
] as const;

export const ENV_KEY_REGEX = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DATETIME_REGEX = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})Z?$/;
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

export function parseJobRequest(body: unknown, ctx: JobRequestContext): JobRequestResult {
  if (!isPlainObject(body)) return { ok: false, problems: ['the body must be a JSON object'] };

  const problems: string[] = [];
  const unknown = Object.keys(body).filter((key) => !(JOB_REQUEST_FIELDS as readonly string[]).includes(key));
  listRepeated(
    problems,
    unknown.map((key, index) =>
      index === 0
        ? `${quote(key)}: unknown field (the fields are ${JOB_REQUEST_FIELDS.join(', ')})`
        : `${quote(key)}: unknown field`,
    ),
    'unknown fields',
  );

  const field = (name: (typeof JOB_REQUEST_FIELDS)[number]): unknown => {
    const value = Object.hasOwn(body, name) ? body[name] : undefined;
    return value === null ? undefined : value;
  };

  const image = parseImage(field('docker_image'), problems);
  const runAt = parseDatetime(field('datetime'), ctx.now, problems);
  const callbackUrl = parseCallback(field('callback'), problems);
  const env = parseEnv(field('env_vars'), problems);
  const command = parseCommand(field('command'), problems);
  const instanceTypes = parseInstanceTypes(field('instance_types'), ctx.defaults.instanceTypes, problems);
  const maxPrice = parseMaxPrice(field('max_price'), problems) ?? ctx.defaults.maxPrice;
  const interruptionsTolerated = parseRetries(field('retries'), problems) ?? ctx.defaults.interruptionsTolerated;
  const timeoutSeconds = parseTimeout(field('timeout'), problems);
  const name = parseName(field('name'), problems);

  if (env && command) {
    const bytes =
      Object.entries(env).reduce((sum, [key, value]) => sum + utf8Length(key) + utf8Length(value), 0) +
      command.reduce((sum, arg) => sum + utf8Length(arg), 0);
    if (bytes > JOB_REQUEST_LIMITS.payloadBytes) {
      problems.push(
        `env_vars and command: ${bytes} bytes together, at most ${JOB_REQUEST_LIMITS.payloadBytes} ` +
          '(they travel in the instance user data, which EC2 caps at 16 KB)',
      );
    }
  }

  if (problems.length > 0 || image === undefined || runAt === undefined || !env || !command || !instanceTypes) {
    return { ok: false, problems };
  }

  const spec: JobSpec = { image, command, env, instanceTypes, interruptionsTolerated };
  if (callbackUrl !== undefined) spec.callbackUrl = callbackUrl;
  if (maxPrice !== undefined) spec.maxPrice = maxPrice;
  if (timeoutSeconds !== undefined) spec.timeoutSeconds = timeoutSeconds;
  if (name !== undefined) spec.name = name;
  return { ok: true, spec, runAt };
}

function parseImage(value: unknown, problems: string[]): string | undefined {
  if (value === undefined) {
    problems.push('docker_image: required (an image reference such as "ghcr.io/acme/etl:1.4")');
    return undefined;
  }
  if (typeof value !== 'string') {
    problems.push(`docker_image: must be a string, got ${typeName(value)}`);
    return undefined;
  }
  if (value.length > MAX_IMAGE_REFERENCE_LENGTH) {
    problems.push(`docker_image: ${value.length} characters, at most ${MAX_IMAGE_REFERENCE_LENGTH}`);
    return undefined;
  }
  if (!isValidImageReference(value)) {
    problems.push(
      `docker_image: ${quote(value)} is not a valid image reference ` +
        '([registry[:port]/]name[:tag][@sha256:<64 hex>], name in lowercase)',
    );
    return undefined;
  }
  return value;
}

/** Returns the ISO time to run at; absent means now. */
function parseDatetime(value: unknown, now: Date, problems: string[]): string | undefined {
  if (value === undefined) return now.toISOString();
  if (typeof value !== 'string') {
    problems.push(`datetime: must be a string "YYYY-MM-DD HH:MM:SS" (UTC), got ${typeName(value)}`);
    return undefined;
  }
  const match = DATETIME_REGEX.exec(value);
  if (!match) {
    problems.push(`datetime: ${quote(value)} is not "YYYY-MM-DD HH:MM:SS" (UTC)`);
    return undefined;
  }
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number, number, number, number, number, number,
  ];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(ms);
  // Date.UTC rolls 02-30 over to 03-02 and 24:00 to the next day; a round trip catches both.
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    problems.push(`datetime: ${quote(value)} is not a real date and time`);
    return undefined;
  }
  if (ms < now.getTime() - JOB_REQUEST_LIMITS.pastGraceSeconds * 1000) {
    problems.push(`datetime: ${quote(value)} is in the past (now is ${formatUtc(now)} UTC)`);
    return undefined;
  }
  return date.toISOString();
}

function parseCallback(value: unknown, problems: string[]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    problems.push(`callback: must be a URL string, got ${typeName(value)}`);
    return undefined;
  }
  const urlProblems = validateCallbackUrlSyntax(value);
  // They already name the field and never quote the URL (it may carry a token).
  problems.push(...urlProblems);
  return urlProblems.length === 0 ? value : undefined;
}

function parseEnv(value: unknown, problems: string[]): Record<string, string> | undefined {
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
    } else if (!ENV_KEY_REGEX.test(key)) {
      entryProblems.push(`env_vars: name ${quote(key)} must match ${ENV_KEY_REGEX.source}`);
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

function parseCommand(value: unknown, problems: string[]): string[] | undefined {
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

function parseInstanceTypes(value: unknown, defaults: string[], problems: string[]): string[] | undefined {
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
  if (types.length > JOB_REQUEST_LIMITS.instanceTypes) {
    problems.push(`instance_types: ${types.length} types, at most ${JOB_REQUEST_LIMITS.instanceTypes}`);
    return undefined;
  }
  const before = problems.length;
  const seen = new Set<string>();
  for (const type of types) {
    if (typeof type !== 'string' || !isInstanceType(type)) {
      problems.push(
        `instance_types: ${typeof type === 'string' ? quote(type) : typeName(type)} is not an instance type like "t3.micro"`,
      );
    } else if (seen.has(type)) {
      problems.push(`instance_types: ${quote(type)} is listed twice`);
    } else {
      seen.add(type);
    }
  }
  return problems.length === before ? [...seen] : undefined;
}

/** Keeps EC2's own format, a decimal string of USD per hour. */
function parseMaxPrice(value: unknown, problems: string[]): string | undefined {
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

function parseRetries(value: unknown, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > JOB_REQUEST_LIMITS.retries) {
    problems.push(`retries: must be an integer from 0 to ${JOB_REQUEST_LIMITS.retries}`);
    return undefined;
  }
  return value;
}

function parseTimeout(value: unknown, problems: string[]): number | undefined {
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

function parseName(value: unknown, problems: string[]): string | undefined {
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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** Echoes user input in a problem: JSON-quoted (no raw control characters) and shortened. */
function quote(text: string): string {
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return JSON.stringify(shown);
}

function safeLabel(key: string): string {
  return ENV_KEY_REGEX.test(key) && key.length <= 60 ? key : quote(key);
}

function listRepeated(problems: string[], found: string[], what: string): void {
  const limit = JOB_REQUEST_LIMITS.listedRepeats;
  problems.push(...found.slice(0, limit));
  if (found.length > limit) problems.push(`…and ${found.length - limit} more ${what}`);
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}

/** The original's "YYYY-MM-DD HH:MM:SS" form, UTC. */
export function formatUtc(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}
