import fc from 'fast-check';
import { quote } from 'shell-quote';
import { describe, expect, it } from 'vitest';
import {
  COMMAND_LIMITS,
  helpText,
  parseCommand,
  SCHED_USAGE,
  SUBCOMMANDS,
  USAGE,
  type Command,
  type CommandContext,
  type RunWhen,
} from '../../../bot/core/parsing/grammar.js';
import type { JobSpec } from '../../../bot/core/job.js';
import { anyStringUpTo, arrayUpTo, textUpTo } from '../../harness/arbitraries.js';

/** Thursday 2026-03-05, 10:00 in New York (EST, UTC-5), 16:00 in Paris (CET, UTC+1). */
const NOW = new Date('2026-03-05T15:00:00.000Z');
const CTX: CommandContext = { now: NOW, defaults: { instanceTypes: ['t3.micro', 't3a.micro'], interruptionsTolerated: 3 } };
const NY: CommandContext = { ...CTX, userTimezone: 'America/New_York' };

function ok(text: string, ctx: CommandContext = CTX): Command {
  const result = parseCommand(text, ctx);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(text)} to parse, got: ${result.error}`);
  return result.command;
}

function run(text: string, ctx: CommandContext = CTX): { spec: JobSpec; when: RunWhen } {
  const command = ok(text, ctx);
  if (command.kind !== 'run') throw new Error(`expected run, got ${command.kind}`);
  return command;
}

function bad(text: string, ctx: CommandContext = CTX): { error: string; usage: string } {
  const result = parseCommand(text, ctx);
  if (result.ok) throw new Error(`expected ${JSON.stringify(text)} to fail, got ${JSON.stringify(result.command)}`);
  return result;
}

const DEFAULT_SPEC: JobSpec = { image: 'alpine', command: [], env: {}, instanceTypes: ['t3.micro', 't3a.micro'], interruptionsTolerated: 3 };

describe('parseCommand: subcommands', () => {
  it.each<[string, Command]>([
    ['', { kind: 'help' }],
    ['   ', { kind: 'help' }],
    ['/sched', { kind: 'help' }],
    ['/sched   ', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['--help', { kind: 'help' }],
    ['-h', { kind: 'help' }],
    ['help run', { kind: 'help', topic: 'run' }],
    ['help RUN', { kind: 'help', topic: 'run' }],
    ['help cron', { kind: 'help', topic: 'cron' }],
    ['help times', { kind: 'help', topic: 'times' }],
    ['/sched help status', { kind: 'help', topic: 'status' }],
    ['run --help', { kind: 'help', topic: 'run' }],
    ['run -e A=1 -h alpine', { kind: 'help', topic: 'run' }],
    ['list -h', { kind: 'help', topic: 'list' }],
    ['cancel --help', { kind: 'help', topic: 'cancel' }],
    ['list', { kind: 'list', all: false }],
    ['list --all', { kind: 'list', all: true }],
    ['LIST -a', { kind: 'list', all: true }],
    ['/sched list --all', { kind: 'list', all: true }],
    ['status j-4fq2k7x9abcd', { kind: 'status', target: 'j-4fq2k7x9abcd' }],
    ['cancel s-weekday', { kind: 'cancel', target: 's-weekday' }],
    ['logs j-1', { kind: 'logs', target: 'j-1' }],
    ['logs -f j-1', { kind: 'logs', target: 'j-1', follow: true }],
    ['logs j-1 --follow', { kind: 'logs', target: 'j-1', follow: true }],
    ['retry job-000001', { kind: 'retry', target: 'job-000001' }],
    ['Status "j-1"', { kind: 'status', target: 'j-1' }],
  ])('%j', (text, expected) => {
    expect(ok(text)).toEqual(expected);
  });

  it.each<[string, RegExp, string]>([
    ['stauts j-1', /unknown command "stauts"; did you mean "status"\?/, SCHED_USAGE],
    ['stat j-1', /did you mean "status"\?/, SCHED_USAGE],
    ['lst', /did you mean "list"\?/, SCHED_USAGE],
    ['canel j-1', /did you mean "cancel"\?/, SCHED_USAGE],
    ['rnu alpine', /did you mean "run"\?/, SCHED_USAGE],
    ['frobnicate', /unknown command "frobnicate"; the commands are run, list, status, cancel, logs, retry, help/, SCHED_USAGE],
    ['--all', /unknown command "--all"/, SCHED_USAGE],
    ['list --al', /unknown option "--al" for list; did you mean "--all"\?/, USAGE.list],
    ['list --everything', /unknown option "--everything" for list; the only option is --all/, USAGE.list],
    ['list mine', /list takes no arguments, only --all; got "mine"/, USAGE.list],
    ['status', /status needs a JOB/, USAGE.status],
    ['cancel', /cancel needs a JOB/, USAGE.cancel],
    ['logs', /logs needs a JOB/, USAGE.logs],
    ['logs -f', /logs needs a JOB/, USAGE.logs],
    ['logs -f -f j-1', /logs takes -f or --follow once/, USAGE.logs],
    ['logs -x j-1', /unknown option "-x" for logs/, USAGE.logs],
    ['retry', /retry needs a JOB/, USAGE.retry],
    ['status j-1 j-2', /status takes one JOB; got 2 words/, USAGE.status],
    ['cancel --all', /unknown option "--all" for cancel/, USAGE.cancel],
    ['logs j/1', /"j\/1" is not a job or schedule id/, USAGE.logs],
    [`retry j-${'x'.repeat(200)}`, /is not a job or schedule id/, USAGE.retry],
    ['help foo', /no help on "foo"; try one of run, list, status, cancel, logs, retry, help, times, cron/, USAGE.help],
    ['help stat', /no help on "stat"; did you mean "status"\?/, USAGE.help],
    ['help run list', /help takes one command, got 2 words/, USAGE.help],
  ])('%j → error', (text, message, usage) => {
    const result = bad(text);
    expect(result.error).toMatch(message);
    expect(result.usage).toBe(usage);
  });

  it(`refuses text over ${COMMAND_LIMITS.textLength} characters`, () => {
    const result = bad(`run alpine echo ${'x'.repeat(COMMAND_LIMITS.textLength)}`);
    expect(result.error).toMatch(/characters long; at most 4000/);
  });

  it('reports tokenizer problems with the usage of the subcommand being typed', () => {
    expect(bad('run alpine echo "unclosed')).toEqual({
      ok: false,
      error: expect.stringMatching(/unbalanced quotes: the double quote/),
      usage: USAGE.run,
    });
    expect(bad('status j-1 | grep x').usage).toBe(USAGE.status);
    expect(bad('nonsense "x').usage).toBe(SCHED_USAGE);
  });
});

describe('parseCommand: run', () => {
  it.each<[string, Partial<JobSpec>]>([
    ['run alpine', {}],
    ['/sched run alpine', {}],
    ['run alpine echo hello', { command: ['echo', 'hello'] }],
    ['run ghcr.io/acme/etl:1.4 python run.py', { image: 'ghcr.io/acme/etl:1.4', command: ['python', 'run.py'] }],
    ['run -e MODE=full alpine', { env: { MODE: 'full' } }],
    ['run --env MODE=full alpine', { env: { MODE: 'full' } }],
    ['run --env=MODE=full alpine', { env: { MODE: 'full' } }],
    ['run -eMODE=full alpine', { env: { MODE: 'full' } }],
    ['run -e A=1 -e B=2 --env C= alpine', { env: { A: '1', B: '2', C: '' } }],
    ['run -e A=1 -e A=2 alpine', { env: { A: '2' } }],
    ['run -e "MSG=hello world" -e URL=a=b alpine', { env: { MSG: 'hello world', URL: 'a=b' } }],
    ['run -e HOME=$HOME alpine', { env: { HOME: '$HOME' } }],
    ['run --callback https://ci.example.com/hook alpine', { callbackUrl: 'https://ci.example.com/hook' }],
    ['run --type c7i.large alpine', { instanceTypes: ['c7i.large'] }],
    ['run --type c7i.large,c6i.large alpine', { instanceTypes: ['c7i.large', 'c6i.large'] }],
    ['run --type=c7i.large alpine', { instanceTypes: ['c7i.large'] }],
    ['run --type m7i.metal-24xl alpine', { instanceTypes: ['m7i.metal-24xl'] }],
    ['run --max-price 0.05 alpine', { maxPrice: '0.05' }],
    ['run --max-price $0.05 alpine', { maxPrice: '0.05' }],
    ['run --retries 0 alpine', { interruptionsTolerated: 0 }],
    ['run --retries=20 alpine', { interruptionsTolerated: 20 }],
    ['run --on-rebalance replace alpine', { onRebalance: 'replace' }],
    ['run --on-rebalance=warn alpine', { onRebalance: 'warn' }],
    ['run --timeout 90s alpine', { timeoutSeconds: 90 }],
    ['run --timeout 1h30m alpine', { timeoutSeconds: 5400 }],
    ['run --timeout 600 alpine', { timeoutSeconds: 600 }],
    ['run --name "nightly etl" alpine', { name: 'nightly etl' }],
    ['run --name=\u201Cnightly etl\u201D alpine', { name: 'nightly etl' }],
    ['RUN --NAME x alpine', { name: 'x' }],
  ])('%j', (text, expected) => {
    const { spec, when } = run(text);
    expect(spec).toEqual({ ...DEFAULT_SPEC, ...expected });
    expect(when).toEqual({ kind: 'now' });
  });

  it('uses the configured max price by default and --max-price over it', () => {
    const ctx = { ...CTX, defaults: { ...CTX.defaults, maxPrice: '0.10' } };
    expect(run('run alpine', ctx).spec.maxPrice).toBe('0.10');
    expect(run('run --max-price 0.02 alpine', ctx).spec.maxPrice).toBe('0.02');
  });

  it('takes every option at once', () => {
    const { spec, when } = run(
      'run --in 10m -e MODE=full --env DEBUG=1 --callback https://ci.example.com/h --type c7i.large,c6i.large ' +
        '--max-price 0.08 --retries 5 --timeout 2h --name etl ghcr.io/acme/etl:1.4 python run.py --since 24h',
    );
    expect(spec).toEqual({
      image: 'ghcr.io/acme/etl:1.4',
      command: ['python', 'run.py', '--since', '24h'],
      env: { MODE: 'full', DEBUG: '1' },
      callbackUrl: 'https://ci.example.com/h',
      instanceTypes: ['c7i.large', 'c6i.large'],
      maxPrice: '0.08',
      interruptionsTolerated: 5,
      timeoutSeconds: 7200,
      name: 'etl',
    });
    expect(when).toEqual({ kind: 'at', runAt: '2026-03-05T15:10:00.000Z', timezone: 'UTC' });
  });

  describe('the argv after IMAGE is the container’s, verbatim', () => {
    it.each<[string, string[]]>([
      ['run alpine --at 5 -e X=1 --name y', ['--at', '5', '-e', 'X=1', '--name', 'y']],
      ['run alpine -- --x', ['--', '--x']],
      ['run alpine sh -c "echo $HOME | tr a-z A-Z"', ['sh', '-c', 'echo $HOME | tr a-z A-Z']],
      ['run alpine echo \'$(id)\' "`id`" ${X}', ['echo', '$(id)', '`id`', '${X}']],
      ['run alpine ls *.csv ~/data #not-a-comment', ['ls', '*.csv', '~/data', '#not-a-comment']],
      ['run alpine echo "" \'\' x', ['echo', '', '', 'x']],
      ['run alpine echo \u201Chello world\u201D it\u2019s', ['echo', 'hello world', 'it\u2019s']],
      ['run alpine python -c "print(1)"', ['python', '-c', 'print(1)']],
    ])('%j', (text, argv) => {
      expect(run(text).spec.command).toEqual(argv);
    });

    it('-- ends the options: the next word is IMAGE', () => {
      expect(run('run -e A=1 -- alpine -x').spec).toMatchObject({ image: 'alpine', command: ['-x'], env: { A: '1' } });
    });

    it('-- as the first thing after the options, with nothing after, is a missing IMAGE', () => {
      expect(bad('run --').error).toMatch(/run needs an IMAGE/);
    });
  });

  it.each<[string, RegExp]>([
    ['run', /run needs an IMAGE, such as alpine/],
    ['run -e A=1', /run needs an IMAGE/],
    ['run --tpye t3.micro alpine', /unknown option "--tpye" for run; did you mean "--type"\?/],
    ['run --retry 3 alpine', /unknown option "--retry" for run; did you mean "--retries"\?/],
    ['run --envv A=1 alpine', /did you mean "--env"\?/],
    ['run --max 1 alpine', /did you mean "--max-price"\?/],
    ['run --detach alpine', /unknown option "--detach" for run; see \/sched help run/],
    ['run -d alpine', /unknown option "-d" for run/],
    ['run --at', /--at needs a value: --at TIME/],
    ['run --name --at 9am alpine', /--name needs a value: --name NAME/],
    ['run --name a --name b alpine', /--name is given twice/],
    ['run --type t3.micro --type=t3a.micro alpine', /--type is given twice/],
    ['run -e A alpine', /-e "A" has no value; write -e "A=VALUE"/],
    ['run -e "" alpine', /-e needs NAME=VALUE, got an empty word/],
    ['run -e =x alpine', /-e "=x" has no variable name before "="/],
    ['run -e 1A=x alpine', /-e\/--env: name "1A" must match/],
    ['run UPPER/case', /IMAGE: "UPPER\/case" is not a valid image reference/],
    ['run "alpine latest"', /IMAGE: "alpine latest" is not a valid image reference/],
    ['run --retries x alpine', /--retries "x" is not a whole number/],
    ['run --retries 99 alpine', /--retries: must be an integer from 0 to 20/],
    ['run --on-rebalance move alpine', /--on-rebalance: must be "replace" or "warn", got "move"/],
    ['run --timeout soon alpine', /--timeout: "soon" is not a positive number of seconds or a duration/],
    ['run --timeout 0s alpine', /--timeout: "0s"/],
    ['run --timeout 31d alpine', /--timeout: at most 30 days/],
    ['run --max-price abc alpine', /--max-price: "abc" is not a price in USD per hour/],
    ['run --max-price 0 alpine', /--max-price: must be greater than 0/],
    ['run --type T3.MICRO alpine', /--type: "T3.MICRO" is not an instance type/],
    ['run --type t3.micro,t3.micro alpine', /--type: "t3.micro" is listed twice/],
    ['run --callback ftp://x.example.com alpine', /--callback: the URL must use http or https/],
    ['run --callback nonsense alpine', /--callback: the URL is not a valid absolute URL/],
    ['run --callback https://user:pw@x.example.com alpine', /must not contain credentials/],
    [`run --name ${'n'.repeat(81)} alpine`, /--name: 81 characters, at most 80/],
    ['run --name "" alpine', /--name: must not be empty/],
    ['run alpine echo a | wc', /"\|" is a shell operator/],
    ['run alpine echo a; rm -rf /', /";" is a shell operator/],
    ['run alpine echo a && b', /"&&" is a shell operator/],
    ['run alpine echo a > /tmp/x', /">" is a shell operator/],
    ['run alpine "unclosed', /unbalanced quotes/],
    ['run alpine \u201Cunclosed', /unbalanced quotes/],
  ])('%j → error', (text, message) => {
    const result = bad(text);
    expect(result.error).toMatch(message);
    expect(result.usage).toBe(USAGE.run);
  });

  it('reports every problem with the job at once, one per line', () => {
    const { error } = bad('run -e 1A=x --retries 99 --max-price abc UPPER/x');
    expect(error.split('\n')).toEqual([
      expect.stringMatching(/^IMAGE: /),
      expect.stringMatching(/^-e\/--env: name "1A"/),
      expect.stringMatching(/^--max-price: /),
      expect.stringMatching(/^--retries: /),
    ]);
  });

  it('keeps the env and argv within the user-data budget, as the REST API does', () => {
    // Two-byte characters: Slack's 4,000-character limit would stop single-byte ones first.
    const big = 'é'.repeat(1600);
    expect(bad(`run -e A=${big} -e B=${big} alpine`).error).toMatch(/-e\/--env and COMMAND: \d+ bytes together, at most 6144/);
  });
});

describe('parseCommand: when', () => {
  const at = (text: string, ctx: CommandContext = CTX): RunWhen => run(text, ctx).when;

  it.each<[string, CommandContext, RunWhen]>([
    // "tomorrow 9am" in New York: Friday 2026-03-06 09:00 EST = 14:00 UTC.
    ['run --at "tomorrow 9am" alpine', NY, { kind: 'at', runAt: '2026-03-06T14:00:00.000Z', timezone: 'America/New_York' }],
    ['run --at "tomorrow 9am" --tz America/New_York alpine', CTX, { kind: 'at', runAt: '2026-03-06T14:00:00.000Z', timezone: 'America/New_York' }],
    ['run --at "tomorrow 9am" alpine', CTX, { kind: 'at', runAt: '2026-03-06T09:00:00.000Z', timezone: 'UTC' }],
        // It is already Friday 00:00 in Tokyo: tomorrow is Saturday.
    ['run --at "tomorrow 9am" --tz Asia/Tokyo alpine', NY, { kind: 'at', runAt: '2026-03-07T00:00:00.000Z', timezone: 'Asia/Tokyo' }],
    ['run --at 9am --tz utc alpine', NY, { kind: 'at', runAt: '2026-03-06T09:00:00.000Z', timezone: 'UTC' }],
    ['run --at 9am --tz US/Eastern alpine', CTX, { kind: 'at', runAt: '2026-03-06T14:00:00.000Z', timezone: 'US/Eastern' }],
    // --tz wins over the user's zone.
    ['run --at "friday 18:30" --tz Europe/Paris alpine', NY, { kind: 'at', runAt: '2026-03-06T17:30:00.000Z', timezone: 'Europe/Paris' }],
    ['run --at "2026-12-01 09:00" alpine', NY, { kind: 'at', runAt: '2026-12-01T14:00:00.000Z', timezone: 'America/New_York' }],
    ['run --at 2026-12-01T09:00:00Z alpine', NY, { kind: 'at', runAt: '2026-12-01T09:00:00.000Z', timezone: 'America/New_York' }],
    ['run --at 2026-12-01T09:00:00+02:00 alpine', CTX, { kind: 'at', runAt: '2026-12-01T07:00:00.000Z', timezone: 'UTC' }],
    // The zone name is accepted in any case and shown in its canonical spelling.
    ['run --at=noon --tz=europe/paris alpine', CTX, { kind: 'at', runAt: '2026-03-06T11:00:00.000Z', timezone: 'Europe/Paris' }],
    // 9am has passed in New York (it is 10:00): the next 9am is tomorrow.
    ['run --at 9am alpine', NY, { kind: 'at', runAt: '2026-03-06T14:00:00.000Z', timezone: 'America/New_York' }],
    ['run --at "in 3 days" alpine', NY, { kind: 'at', runAt: '2026-03-08T14:00:00.000Z', timezone: 'America/New_York' }],
    ['run --at now alpine', NY, { kind: 'at', runAt: NOW.toISOString(), timezone: 'America/New_York' }],
    // An invalid zone from the Slack profile is ignored: UTC.
    ['run --at "tomorrow 9am" alpine', { ...CTX, userTimezone: 'Mars/Olympus' }, { kind: 'at', runAt: '2026-03-06T09:00:00.000Z', timezone: 'UTC' }],
  ])('%j (user zone %#)', (text, ctx, expected) => {
    expect(at(text, ctx)).toEqual(expected);
  });

  it('reads a time after a daylight-saving change with the offset of that day, not of today', () => {
    // Today New York is on EST (UTC-5); Monday 2026-03-09 is after the switch to EDT (UTC-4).
    expect(at('run --at "monday 9am" alpine', NY)).toEqual({ kind: 'at', runAt: '2026-03-09T13:00:00.000Z', timezone: 'America/New_York' });
    expect(at('run --at "2026-07-01 09:00" alpine', NY)).toMatchObject({ runAt: '2026-07-01T13:00:00.000Z' });
  });

  it('moves a time that daylight saving skips forward by the gap, and takes the first of a repeated one', () => {
    // 2026-03-08 02:30 does not exist in New York: 03:30 EDT.
    expect(at('run --at "2026-03-08 02:30" alpine', NY)).toMatchObject({ runAt: '2026-03-08T07:30:00.000Z' });
    // 2026-11-01 01:30 happens twice in New York: the first, 01:30 EDT.
    expect(at('run --at "2026-11-01 01:30" alpine', NY)).toMatchObject({ runAt: '2026-11-01T05:30:00.000Z' });
  });

  it.each<[string, string]>([
    ['90s', '2026-03-05T15:01:30.000Z'],
    ['10m', '2026-03-05T15:10:00.000Z'],
    ['2h', '2026-03-05T17:00:00.000Z'],
    ['1h30m', '2026-03-05T16:30:00.000Z'],
    ['1d', '2026-03-06T15:00:00.000Z'],
    ['"1h 30m"', '2026-03-05T16:30:00.000Z'],
    ['45', '2026-03-05T15:00:45.000Z'],
  ])('--in %s', (duration, runAt) => {
    expect(at(`run --in ${duration} alpine`, NY)).toEqual({ kind: 'at', runAt, timezone: 'America/New_York' });
  });

  it.each<[string, CommandContext, RegExp]>([
    ['run --at "2026-03-05 09:00" alpine', NY, /--at "2026-03-05 09:00" is 2026-03-05 09:00 America\/New_York \(2026-03-05 14:00 UTC\), which is in the past; it is now 2026-03-05 10:00 America\/New_York/],
    ['run --at "2020-01-01 09:00" alpine', CTX, /is 2020-01-01 09:00 UTC, which is in the past; it is now 2026-03-05 15:00 UTC/],
    ['run --at "today 9am" alpine', NY, /which is in the past/],
    ['run --at "2028-01-01 09:00" alpine', CTX, /more than 366 days ahead; for a recurring job use --cron/],
    ['run --at soonish alpine', CTX, /--at "soonish" is not a time Sched understands; try "2026-12-01 09:00", "tomorrow 9am", "friday 18:30", or --in 2h/],
    ['run --at "tomorrow 9am please" alpine', CTX, /--at "tomorrow 9am please": understood "tomorrow 9am" but not "please"/],
    ['run --at tomorrow alpine', CTX, /--at "tomorrow" has no time of day; add one, such as "tomorrow 9am"/],
    ['run --at "9am - 10am" alpine', CTX, /is a range; give one time/],
    ['run --at "" alpine', CTX, /--at needs a time/],
    ['run --in soon alpine', CTX, /--in "soon" is not a duration such as 90s, 10m, 2h, 1h30m or 1d/],
    ['run --in 0s alpine', CTX, /--in "0s" is not a duration/],
    ['run --in 30m1h alpine', CTX, /--in "30m1h" is not a duration/],
    ['run --in 400d alpine', CTX, /more than 366 days ahead/],
    ['run --at 9am --in 1h alpine', CTX, /--at and --in cannot be combined: choose one/],
    ['run --at 9am --cron "0 9 * * *" alpine', CTX, /--at and --cron cannot be combined/],
    ['run --in 1h --cron "0 9 * * *" alpine', CTX, /--in and --cron cannot be combined/],
    ['run --tz Europe/Paris alpine', CTX, /--tz applies to --at and --cron only/],
    ['run --tz Europe/Paris --in 1h alpine', CTX, /--tz applies to --at and --cron only/],
    ['run --tz Paris --at 9am alpine', CTX, /--tz "Paris" is not an IANA time zone; did you mean Europe\/Paris\?/],
    ['run --tz America/New_Yrok --at 9am alpine', CTX, /did you mean America\/New_York\?/],
    ['run --tz PST --at 9am alpine', CTX, /did you mean America\/Los_Angeles\?/],
    ['run --tz EST --at 9am alpine', CTX, /"EST" is not an IANA time zone; did you mean America\/New_York\?/],
    ['run --tz "+05:00" --at 9am alpine', CTX, /"\+05:00" is not an IANA time zone/],
    ['run --tz Nowhere/Special --at 9am alpine', CTX, /is not an IANA time zone such as Europe\/Paris, America\/New_York or UTC/],
  ])('%j → error', (text, ctx, message) => {
    const result = bad(text, ctx);
    expect(result.error).toMatch(message);
    expect(result.usage).toBe(USAGE.run);
  });

  describe('--cron', () => {
    it('gives the next three firings in UTC, read in the zone, across a daylight-saving change', () => {
      // New York switches to EDT on Sunday 2026-03-08: 08:30 is 13:30 UTC before, 12:30 after.
      expect(at('run --cron "30 8 * * *" alpine', NY)).toEqual({
        kind: 'cron',
        expression: '30 8 * * *',
        timezone: 'America/New_York',
        next: ['2026-03-06T13:30:00.000Z', '2026-03-07T13:30:00.000Z', '2026-03-08T12:30:00.000Z'],
      });
      // Paris switches to CEST on Sunday 2026-03-29.
      const paris = { ...CTX, now: new Date('2026-03-27T12:00:00Z') };
      expect(at('run --cron "0 9 * * *" --tz Europe/Paris alpine', paris)).toMatchObject({
        next: ['2026-03-28T08:00:00.000Z', '2026-03-29T07:00:00.000Z', '2026-03-30T07:00:00.000Z'],
      });
    });

    it.each<[string, string[]]>([
      ['0 9 * * 1-5', ['2026-03-06T09:00:00.000Z', '2026-03-09T09:00:00.000Z', '2026-03-10T09:00:00.000Z']],
      ['*/5 * * * *', ['2026-03-05T15:05:00.000Z', '2026-03-05T15:10:00.000Z', '2026-03-05T15:15:00.000Z']],
      ['0,30 * * * *', ['2026-03-05T15:30:00.000Z', '2026-03-05T16:00:00.000Z', '2026-03-05T16:30:00.000Z']],
      ['0 18 * * FRI', ['2026-03-06T18:00:00.000Z', '2026-03-13T18:00:00.000Z', '2026-03-20T18:00:00.000Z']],
      ['0 0 L * *', ['2026-03-31T00:00:00.000Z', '2026-04-30T00:00:00.000Z', '2026-05-31T00:00:00.000Z']],
      ['55 23 * * *', ['2026-03-05T23:55:00.000Z', '2026-03-06T23:55:00.000Z', '2026-03-07T23:55:00.000Z']],
      ['  0   9 * *   1-5 ', ['2026-03-06T09:00:00.000Z', '2026-03-09T09:00:00.000Z', '2026-03-10T09:00:00.000Z']],
    ])('%j in UTC', (expression, next) => {
      expect(at(`run --cron "${expression}" alpine`)).toEqual({ kind: 'cron', expression: expression.trim().replace(/\s+/g, ' '), timezone: 'UTC', next });
    });

    it.each<[string, RegExp]>([
      ['* * * * *', /fires every minute; the minimum is every 5 minutes, because each firing starts its own spot instance/],
      ['*/2 * * * *', /fires 2 minutes apart/],
      ['*/4 9 * * *', /fires 4 minutes apart/],
      ['0,1 * * * *', /fires 1 minutes apart|fires every minute/],
      ['58 * * * *', /^$/],
      ['0,58 0,1 * * *', /fires 2 minutes apart/],
      ['0,57 23,0 * * *', /fires 3 minutes apart/],
      ['0 9 * *', /has 4 fields; it needs five \(minute hour day-of-month month day-of-week\)/],
      ['0 0 9 * * *', /has 6 fields; it needs five .*; seconds are not supported/],
      ['61 * * * *', /is not a valid cron expression: Invalid value for minute: 61/],
      ['0 25 * * *', /is not a valid cron expression/],
      ['a b c d e', /is not a valid cron expression/],
      ['0 0 31 2 *', /never fires/],
      ['@daily', /write the five fields instead: --cron "0 0 \* \* \*"/],
      ['', /--cron needs five fields/],
    ])('%j', (expression, message) => {
      const result = parseCommand(`run --cron "${expression}" alpine`, CTX);
      if (message.source === '^$') {
        expect(result.ok).toBe(true);
        return;
      }
      if (result.ok) throw new Error(`expected ${expression} to be refused`);
      expect(result.error).toMatch(message);
      expect(result.usage).toBe(USAGE.run);
    });
  });
});

describe('help', () => {
  it.each([...SUBCOMMANDS, 'times', 'cron'])('has a page for %s with its usage and an example', (topic) => {
    const text = helpText(topic);
    expect(text).toMatch(/Example/);
    if ((SUBCOMMANDS as readonly string[]).includes(topic)) expect(text).toContain(USAGE[topic as keyof typeof USAGE]);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(90);
  });

  it('documents every run option', () => {
    const text = helpText('run');
    for (const option of ['--at', '--in', '--cron', '--tz', '-e, --env', '--callback', '--type', '--max-price', '--retries', '--on-rebalance', '--timeout', '--name', '--']) {
      expect(text).toContain(option);
    }
  });

  it('shows the configured defaults when given', () => {
    expect(helpText('run', { instanceTypes: ['c7i.large'], interruptionsTolerated: 5 })).toMatch(/default: c7i\.large[\s\S]*default: 5/);
  });

  it('gives the overview without a topic', () => {
    expect(helpText()).toContain(USAGE.run);
    expect(helpText()).toContain(USAGE.list);
  });

  it('every example in the help parses', () => {
    const examples = [...SUBCOMMANDS, 'times', 'cron', undefined].flatMap((topic) => {
      const lines = helpText(topic).split('\n');
      const start = lines.findIndex((line) => /^Examples?$/.test(line));
      const end = lines.findIndex((line, index) => index > start && line.trim() === '');
      return lines.slice(start + 1, end === -1 ? undefined : end).map((line) => line.trim());
    });
    expect(examples.length).toBeGreaterThan(15);
    for (const example of examples) {
      expect(parseCommand(example, CTX), example).toMatchObject({ ok: true });
    }
  });
});

describe('properties', () => {
  it('never throws, and every error names a problem and a usage line', () => {
    const word = fc.oneof(
      fc.constantFrom('run', 'list', 'status', 'cancel', 'logs', 'retry', 'help', '/sched', '--', '-e', '--at', '--in', '--cron', '--tz', '--type', '--retries', '--timeout', '--name', '--max-price', '--callback', '--all', 'alpine', 'A=1', '"', "'", '\u201C', '|', '$X', '*', '9am', 'tomorrow', '0 9 * * *', 'Europe/Paris'),
      // Past the 128-character id limit now and then.
      anyStringUpTo(COMMAND_LIMITS.targetLength + 40),
    );
    // Texts reach past Slack's 4,000-character limit; word lists reach past a dozen words.
    // Token-shaped: an option and a value that may or may not fit it (issue 13's fuzz).
    const option = fc.tuple(fc.constantFrom('-e', '--at', '--in', '--cron', '--tz', '--type', '--retries', '--timeout', '--max-price', '--callback', '--gpus', '--on-demand-after', '--on-demand-wait', '--retry-exit', '--on-rebalance'), word).map((pair) => pair.join(' '));
    const text = fc.oneof(anyStringUpTo(COMMAND_LIMITS.textLength + 1000), arrayUpTo(word, 60).map((words) => words.join(' ')), arrayUpTo(option, 12).map((options) => `run ${options.join(' ')} alpine`));
    fc.assert(
      fc.property(text, fc.constantFrom(CTX, NY), (input, ctx) => {
        const result = parseCommand(input, ctx);
        if (!result.ok) {
          expect(result.error.length).toBeGreaterThan(0);
          expect(result.usage.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 10_000 },
    );
  });

  it('run IMAGE followed by any quoted argv gives back that argv', () => {
    const char = fc.oneof(
      fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
      fc.constantFrom('é', '😀', '\t'),
    );
    const word = textUpTo(char, 120);
    fc.assert(
      fc.property(arrayUpTo(word, 60), (argv) => {
        const text = `run alpine ${quote(argv)}`;
        fc.pre(text.length <= COMMAND_LIMITS.textLength);
        expect(run(text).spec.command).toEqual(argv);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('run: fallback options (--on-demand-after, --on-demand-wait, --retry-exit)', () => {
  it.each<[string, Partial<JobSpec>]>([
    ['run --on-demand-after 2 alpine', { onDemandAfter: 2 }],
    ['run --on-demand-after 0 --retries 0 alpine', { onDemandAfter: 0, interruptionsTolerated: 0 }],
    ['run --on-demand-wait 20s alpine', { onDemandWaitSeconds: 20 }],
    ['run --on-demand-wait=10m alpine', { onDemandWaitSeconds: 600 }],
    ['run --retry-exit 137,143 alpine', { retryExitCodes: [137, 143] }],
    ['run --retry-exit " 137 , 143 " alpine', { retryExitCodes: [137, 143] }],
    ['run --retry-exit 1 alpine', { retryExitCodes: [1] }],
  ])('%j', (text, expected) => {
    const { spec } = run(text);
    expect(spec).toEqual({ ...DEFAULT_SPEC, ...expected });
  });

  it.each<[string, RegExp]>([
    ['run --on-demand-after x alpine', /--on-demand-after "x" is not a whole number/],
    ['run --on-demand-after 21 alpine', /--on-demand-after: must be an integer from 0 to 20/],
    ['run --on-demand-after 4 alpine', /--on-demand-after: 4 is more than retries \(3\)/],
    ['run --on-demand-after 2 --retries 1 alpine', /--on-demand-after: 2 is more than retries \(1\)/],
    ['run --on-demand-wait soon alpine', /--on-demand-wait: "soon" is not a duration such as "20s", "10m"/],
    ['run --on-demand-wait 0s alpine', /--on-demand-wait: "0s"/],
    ['run --on-demand-wait 2h alpine', /--on-demand-wait: at most 60m/],
    ['run --retry-exit 0 alpine', /--retry-exit: 0 is not an exit code from 1 to 255/],
    ['run --retry-exit 256 alpine', /--retry-exit: 256 is not an exit code from 1 to 255/],
    ['run --retry-exit 137,abc alpine', /--retry-exit: "abc" is not an exit code from 1 to 255/],
    ['run --retry-exit 137,137 alpine', /--retry-exit: 137 is listed twice/],
    ['run --retry-exit 137, alpine', /--retry-exit: "" is not an exit code/],
    ['run --on-demand-after', /--on-demand-after needs a value: --on-demand-after N/],
  ])('%j → error', (text, message) => {
    const result = bad(text);
    expect(result.error).toMatch(message);
    expect(result.usage).toBe(USAGE.run);
  });

  it('documents them in help run', () => {
    const text = helpText('run');
    for (const option of ['--on-demand-after N', '--on-demand-wait DURATION', '--retry-exit CODES']) expect(text).toContain(option);
  });
});
