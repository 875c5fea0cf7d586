/**
 * The `/sched` command language, shared by the Slack and terminal surfaces:
 *
 * ```
 * /sched run [OPTIONS] IMAGE [COMMAND] [ARG...]
 * /sched list [--all] | status JOB | cancel JOB | logs [-f] JOB | retry JOB | help [COMMAND]
 * ```
 *
 * `run` mirrors `docker run`: options come before IMAGE, and everything after IMAGE is the
 * container's argv, verbatim, even words that look like options. `--` also ends the options.
 * The job's own fields (image, env, argv, callback, types, price, retries, timeout, name) are
 * validated by the REST API's validator, so both surfaces accept exactly the same jobs.
 *
 * `parseCommand` never throws: every problem comes back as `{ ok: false }` with a message that
 * names what was wrong and the usage line of the subcommand.
 */
import type { JobSpec } from '../job.js';
import type { JobDefaults } from '../request/job-request.js';
import { isHelpTopic, SCHED_USAGE, SUBCOMMANDS, suggestHelpTopic, USAGE, type Subcommand } from './help.js';
import { buildSpec, optionLabel, resolveWhen, RUN_OPTIONS, type RunOptionKey } from './run-options.js';
import { closest } from './suggest.js';
import { tokenize } from './tokenize.js';
import { show } from './when.js';
import { assertNever } from '../assert-never.js';

export { helpText, SCHED_USAGE, SUBCOMMANDS, USAGE, type Subcommand } from './help.js';

export type RunWhen =
  | { kind: 'now' }
  /** `--at` or `--in`; `timezone` is the zone the time was read in (for showing it back). */
  | { kind: 'at'; runAt: string; timezone: string }
  | { kind: 'cron'; expression: string; timezone: string; next: string[] };

export type Command =
  /** `dryRun`: `--dry-run`, show the plan and change nothing. */
  | { kind: 'run'; spec: JobSpec; when: RunWhen; dryRun?: true }
  | { kind: 'list'; all: boolean }
  | { kind: 'status' | 'cancel' | 'retry'; target: string }
  /** `follow`: `-f`/`--follow`, print new output as it arrives (the terminal; elsewhere ignored). */
  | { kind: 'logs'; target: string; follow?: true }
  | { kind: 'help'; topic?: string };

export type ParseResult = { ok: true; command: Command } | { ok: false; error: string; usage: string };

export interface CommandContext {
  now: Date;
  /** The user's IANA zone (Slack profile `tz`); an invalid one is ignored in favour of UTC. */
  userTimezone?: string;
  defaults: JobDefaults;
}

export const COMMAND_LIMITS = {
  /** Slack's own limit on a slash command's text. */
  textLength: 4000,
  /** Job and schedule ids are short; anything longer is not one. */
  targetLength: 128,
} as const;

const TARGET_REGEX = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const HELP_FLAGS = ['-h', '--help'];

type Fail = { ok: false; error: string; usage: string };

/** Parses what follows `/sched` (a leading `/sched` is accepted too, as the terminal sends it). */
export function parseCommand(text: string, ctx: CommandContext): ParseResult {
  try {
    return parseUnsafe(text, ctx);
  } catch (err) {
    // A bug here must not take a chat handler down with it; the user still gets an answer.
    const reason = err instanceof Error ? err.message : String(err);
    return { ok: false, error: `could not read the command (${reason})`, usage: SCHED_USAGE };
  }
}

function parseUnsafe(text: string, ctx: CommandContext): ParseResult {
  if (typeof text !== 'string') return fail('the command must be text', SCHED_USAGE);
  if (text.length > COMMAND_LIMITS.textLength) {
    return fail(`the command is ${text.length} characters long; at most ${COMMAND_LIMITS.textLength}`, SCHED_USAGE);
  }
  const body = text.replace(/^\s*\/sched(?=\s|$)/i, '');
  const tokenized = tokenize(body);
  if (!tokenized.ok) return fail(tokenized.error, usageOf(body.trim().split(/\s+/)[0] ?? ''));
  const [first, ...rest] = tokenized.tokens;
  if (first === undefined) return help(undefined);

  const name = first.toLowerCase();
  if (HELP_FLAGS.includes(name)) return parseHelp(rest);
  if (!isSubcommand(name)) {
    const suggestion = closest(name, SUBCOMMANDS);
    return fail(
      `unknown command ${show(first)}` +
        (suggestion ? `; did you mean "${suggestion}"?` : `; the commands are ${SUBCOMMANDS.join(', ')}`),
      SCHED_USAGE,
    );
  }
  switch (name) {
    case 'run':
      return parseRun(rest, ctx);
    case 'list':
      return parseList(rest);
    case 'status':
    case 'cancel':
    case 'retry':
      return parseTarget(name, rest);
    case 'logs':
      return parseLogs(rest);
    case 'help':
      return parseHelp(rest);
    default:
      return assertNever(name, 'subcommand');
  }
}

function isSubcommand(word: string): word is Subcommand {
  return (SUBCOMMANDS as readonly string[]).includes(word);
}

function usageOf(word: string): string {
  const name = word.toLowerCase();
  return isSubcommand(name) ? USAGE[name] : SCHED_USAGE;
}

function fail(error: string, usage: string): Fail {
  return { ok: false, error, usage };
}

function help(topic: string | undefined): ParseResult {
  return { ok: true, command: topic === undefined ? { kind: 'help' } : { kind: 'help', topic } };
}

function parseHelp(args: string[]): ParseResult {
  const words = args.filter((arg) => !HELP_FLAGS.includes(arg.toLowerCase()));
  if (words.length > 1) return fail(`help takes one command, got ${words.length} words`, USAGE.help);
  const word = words[0];
  if (word === undefined) return help(undefined);
  const topic = word.toLowerCase().replace(/^\/sched$/, '');
  if (topic === '') return help(undefined);
  if (!isHelpTopic(topic)) {
    const suggestion = suggestHelpTopic(topic);
    return fail(
      `no help on ${show(word)}` +
        (suggestion ? `; did you mean "${suggestion}"?` : `; try one of ${[...SUBCOMMANDS, 'times', 'cron'].join(', ')}`),
      USAGE.help,
    );
  }
  return help(topic);
}

function parseList(args: string[]): ParseResult {
  let all = false;
  for (const arg of args) {
    const word = arg.toLowerCase();
    if (HELP_FLAGS.includes(word)) return help('list');
    if (word === '--all' || word === '-a') {
      all = true;
      continue;
    }
    if (arg.startsWith('-')) {
      const suggestion = closest(arg, ['--all']);
      return fail(`unknown option ${show(arg)} for list` + (suggestion ? `; did you mean "${suggestion}"?` : '; the only option is --all'), USAGE.list);
    }
    return fail(`list takes no arguments, only --all; got ${show(arg)}`, USAGE.list);
  }
  return { ok: true, command: { kind: 'list', all } };
}

function parseTarget(kind: 'status' | 'cancel' | 'logs' | 'retry', args: string[]): ParseResult {
  const usage = USAGE[kind];
  if (args.some((arg) => HELP_FLAGS.includes(arg.toLowerCase()))) return help(kind);
  const [target, ...extra] = args;
  if (target === undefined) return fail(`${kind} needs a JOB: a job id such as j-4fq2k7x9abcd, or a schedule id (see /sched list)`, usage);
  if (extra.length > 0) return fail(`${kind} takes one JOB; got ${args.length} words (${args.map(show).slice(0, 3).join(' ')}${args.length > 3 ? ' …' : ''})`, usage);
  if (target.startsWith('-')) return fail(`unknown option ${show(target)} for ${kind}; ${kind} takes only a JOB`, usage);
  if (target.length > COMMAND_LIMITS.targetLength || !TARGET_REGEX.test(target)) {
    return fail(`${show(target)} is not a job or schedule id (ids look like j-4fq2k7x9abcd; see /sched list)`, usage);
  }
  return { ok: true, command: { kind, target } };
}

const FOLLOW_FLAGS = ['-f', '--follow'];

/** `logs [-f] JOB`: the flag before or after the JOB, once. */
function parseLogs(args: string[]): ParseResult {
  const follow = args.filter((arg) => FOLLOW_FLAGS.includes(arg));
  if (follow.length > 1) return fail(`logs takes ${FOLLOW_FLAGS.join(' or ')} once; got ${follow.map(show).join(' ')}`, USAGE.logs);
  const unknown = args.find((arg) => arg.startsWith('-') && !FOLLOW_FLAGS.includes(arg) && !HELP_FLAGS.includes(arg.toLowerCase()));
  if (unknown !== undefined) return fail(`unknown option ${show(unknown)} for logs; logs takes -f (--follow) and a JOB`, USAGE.logs);
  const parsed = parseTarget('logs', args.filter((arg) => !FOLLOW_FLAGS.includes(arg)));
  if (!parsed.ok || follow.length === 0) return parsed;
  return { ok: true, command: { ...(parsed.command as Extract<Command, { kind: 'logs' }>), follow: true } };
}

const RUN_OPTION_NAMES = [...Object.keys(RUN_OPTIONS), ...HELP_FLAGS];

function parseRun(args: string[], ctx: CommandContext): ParseResult {
  const usage = USAGE.run;
  const values = new Map<RunOptionKey, string[]>();
  let index = 0;
  for (; index < args.length; index++) {
    const arg = args[index] as string;
    if (arg === '--') {
      index++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    if (HELP_FLAGS.includes(arg.toLowerCase())) return help('run');

    let name = arg;
    let value: string | undefined;
    const equals = arg.indexOf('=');
    if (arg.startsWith('--') && equals > 0) {
      name = arg.slice(0, equals);
      value = arg.slice(equals + 1);
    } else if (arg.startsWith('-e') && !arg.startsWith('--') && arg.length > 2) {
      // docker run's attached form: -eKEY=value (and -e=KEY=value).
      name = '-e';
      value = arg.slice(arg[2] === '=' ? 3 : 2);
    }
    const option = RUN_OPTIONS[name.toLowerCase()];
    if (!option) {
      const suggestion = closest(name, RUN_OPTION_NAMES);
      return fail(
        `unknown option ${show(name)} for run` +
          (suggestion ? `; did you mean "${suggestion}"?` : '; see /sched help run for the options') +
          ' (options go before IMAGE; words after IMAGE are the container\'s)',
        usage,
      );
    }
    if (option.flag) {
      if (value !== undefined) return fail(`${name} takes no value; write ${name} alone`, usage);
      value = '';
    } else if (value === undefined) {
      const next = args[index + 1];
      if (next === undefined || (next.startsWith('-') && RUN_OPTIONS[next.split('=')[0]?.toLowerCase() ?? ''] !== undefined)) {
        return fail(`${name} needs a value: ${name} ${option.value}`, usage);
      }
      value = next;
      index++;
    }
    const seen = values.get(option.key) ?? [];
    if (seen.length > 0 && !option.repeatable) {
      return fail(`${optionLabel(option.key)} is given twice; give it once`, usage);
    }
    values.set(option.key, [...seen, value]);
  }

  const image = args[index];
  if (image === undefined) {
    return fail('run needs an IMAGE, such as alpine or ghcr.io/acme/etl:1.4', usage);
  }
  const command = args.slice(index + 1);
  const one = (key: RunOptionKey): string | undefined => values.get(key)?.[0];

  const problems: string[] = [];
  const when = resolveWhen(one, ctx, problems);
  const spec = buildSpec(image, command, values, ctx, problems);
  if (problems.length > 0 || !when || !spec) return fail(problems.join('\n'), usage);
  return { ok: true, command: { kind: 'run', spec, when, ...(values.has('dryRun') && { dryRun: true as const }) } };
}
