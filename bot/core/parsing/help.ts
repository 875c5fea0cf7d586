/**
 * What users read instead of documentation: one usage line per subcommand (shown under every
 * error) and a help page per subcommand and topic. Plain text, ≤ 80 columns, so that the terminal
 * prints it as is and Slack shows it in a code block.
 */
import { DEFAULT_INTERRUPTIONS_TOLERATED } from '../facts.js';
import type { JobDefaults } from '../request/job-request.js';
import { closest } from './suggest.js';
import { assertNever } from '../assert-never.js';

export const SUBCOMMANDS = ['run', 'list', 'status', 'cancel', 'logs', 'retry', 'help'] as const;
export type Subcommand = (typeof SUBCOMMANDS)[number];

/** Help pages that are not subcommands. */
export const HELP_TOPICS = ['times', 'cron'] as const;
export type HelpTopic = Subcommand | (typeof HELP_TOPICS)[number];

export const USAGE: { readonly [K in Subcommand]: string } = {
  run: '/sched run [OPTIONS] IMAGE [COMMAND] [ARG...]',
  list: '/sched list [--all]',
  status: '/sched status JOB',
  cancel: '/sched cancel JOB',
  logs: '/sched logs [-f] JOB',
  retry: '/sched retry JOB',
  help: '/sched help [COMMAND]',
};

/** All subcommands at once; the usage shown when no subcommand could be read. */
export const SCHED_USAGE =
  '/sched run [OPTIONS] IMAGE [COMMAND] [ARG...] | list [--all] | status JOB | cancel JOB | logs [-f] JOB | retry JOB | help [COMMAND]';

/**
 * Defaults the operator configured, and where help is read: it shows them when the surface knows
 * them, and speaks of what this deployment does (EC2 spot instances or this machine; the Slack
 * profile's time zone or this machine's).
 */
export type HelpDefaults = Partial<JobDefaults> & {
  /** Whose time zone `--at` and `--cron` default to; absent: the Slack profile's. */
  zoneFrom?: { kind: 'slack' } | { kind: 'machine'; zone: string };
};

/** The words that differ between deployments and surfaces. */
interface ModeWords {
  /** "on EC2 spot instances" / "on this machine". */
  where: string;
  /** "on an EC2 spot instance" / "on this machine". */
  whereOne: string;
  /** "your Slack time zone" / "this machine's time zone (Europe/Paris)". */
  zone: string;
  /** What cancelling stops. */
  cancelled: string;
  /** Where each firing of a schedule runs. */
  firing: string;
}

function modeWords(defaults: HelpDefaults): ModeWords {
  const local = defaults.compute === 'local';
  const from = defaults.zoneFrom;
  return {
    where: local ? 'on this machine (with docker or podman)' : 'on EC2 spot instances',
    whereOne: local ? 'on this machine' : 'on an EC2 spot instance',
    zone: from?.kind === 'machine' ? `this machine's time zone (${from.zone})` : 'your Slack time zone',
    cancelled: local ? 'its container is\nstopped' : 'its spot request is withdrawn and its\ninstance terminated',
    firing: local ? 'its own job on this machine' : 'its own job on a new spot instance',
  };
}

export function isHelpTopic(topic: string): topic is HelpTopic {
  return (SUBCOMMANDS as readonly string[]).includes(topic) || (HELP_TOPICS as readonly string[]).includes(topic);
}

/** The closest help topic to a misspelt one. */
export function suggestHelpTopic(topic: string): string | undefined {
  return closest(topic, [...SUBCOMMANDS, ...HELP_TOPICS]);
}

/**
 * The help page for `topic` (a subcommand, "times" or "cron"), or the overview. An unknown topic
 * gets the overview; the grammar reports it as an error before this is reached.
 */
export function helpText(topic?: string, defaults: HelpDefaults = {}): string {
  const key = topic?.toLowerCase();
  const words = modeWords(defaults);
  if (key === undefined || !isHelpTopic(key)) return overview(words);
  switch (key) {
    case 'run':
      return runHelp(defaults, words);
    case 'list':
      return LIST_HELP;
    case 'status':
      return STATUS_HELP;
    case 'cancel':
      return cancelHelp(words);
    case 'logs':
      return LOGS_HELP;
    case 'retry':
      return RETRY_HELP;
    case 'help':
      return HELP_HELP;
    case 'times':
      return timesHelp(words);
    case 'cron':
      return cronHelp(words);
    default:
      return assertNever(key, 'help topic');
  }
}

const overview = (words: ModeWords): string => `Sched runs Docker containers ${words.where}: now, later, or on a schedule.

  ${USAGE.run}
                          start a container job, like docker run
  ${USAGE.list}     your jobs and schedules (--all: this channel's)
  ${USAGE.status}       one job or schedule in detail
  ${USAGE.cancel}       stop a job, or a schedule's future firings
  ${USAGE.logs}    the last lines the container printed
  ${USAGE.retry}        run an ended job again, same settings
  ${USAGE.help}   help on one command; also: help times, help cron

Examples
  /sched run alpine echo hello
  /sched run --in 10m -e MODE=full ghcr.io/acme/etl:1.4 python run.py
  /sched run --cron "0 9 * * 1-5" --tz Europe/Paris acme/report
  /sched status j-4fq2k7x9abcd`;

function runHelp(defaults: HelpDefaults, words: ModeWords): string {
  const types = defaults.instanceTypes?.length ? defaults.instanceTypes.join(',') : 'set by the operator';
  const retries = defaults.interruptionsTolerated ?? DEFAULT_INTERRUPTIONS_TOLERATED;
  const defaultPrice = defaults.maxPrice ?? defaults.guardRails?.maxPriceCeiling;
  const price = defaultPrice ? `default ${defaultPrice}` : 'default: the on-demand price';
  const local = defaults.compute === 'local'; // then no instance, price, on-demand or rebalance options
  return `${USAGE.run}

Runs IMAGE ${words.whereOne}, like docker run. Everything after IMAGE
is the container's command and arguments, passed exactly as written — even
words that look like options (they belong to the container). Quote words
with spaces as in a shell. There is no shell: $VAR, *, ~ reach the container
as typed, and | ; && > must be quoted (for a pipeline: sh -c 'a | b').
The job's message shows every step: requested, running, finished.

When (at most one; default: now)
  --at TIME           at a time: "2026-12-01 09:00", "tomorrow 9am",
                      "friday 18:30" (see: /sched help times)
  --in DURATION       after a delay: 90s, 10m, 2h, 1h30m, 1d
  --cron "EXPR"       on a schedule, one job per firing, at most every
                      5 minutes (see: /sched help cron)
  --tz ZONE           IANA time zone for --at and --cron, e.g. Europe/Paris
                      (default: ${words.zone}, else UTC)

Container
  -e, --env K=V       environment variable; repeat for more
  --timeout DURATION  stop the container after this long; the job fails
  --name NAME         a label shown with the job (at most 80 characters)

${local ? localAttempts(retries) : ec2Instance(types, price, retries)}

Notification
  --callback URL      POSTed a signed JSON summary when the job ends

Plan
  --dry-run           check the job and show the plan: ${local ? 'when it would run;\n                      nothing is started or stored' : `when it would run,
                      every pool with its spot and on-demand price, the
                      cost per hour; nothing is started or stored`}

Options also take the --opt=value form; -- ends the options.

Examples
  /sched run alpine echo hello
  /sched run --in 10m -e MODE=full ghcr.io/acme/etl:1.4 python run.py
  /sched run --at "tomorrow 9am" --tz America/New_York --name report acme/report
  /sched run --cron "0 2 * * *"${local ? '' : ' --type c7i.large,c6i.large'} acme/backup --full
  /sched run --timeout 2h --retries 5 --callback https://ci.example.com/hook acme/train
  /sched run alpine sh -c 'echo "$HOSTNAME" | tr a-z A-Z'`;
}

function ec2Instance(types: string, price: string, retries: number): string {
  return `Instance
  --type T[,T...]     instance types, tried in order when capacity is short
                      (default: ${types})
  --max-price USD     the most you pay per instance-hour, e.g. 0.05
                      (${price})
  --retries N         spot interruptions survived before the job fails
                      (default: ${retries}; 0: never relaunched)
  --on-demand-after N launch on-demand after N interruptions
  --on-demand-wait DURATION
                      launch on-demand when no pool has had spot capacity
                      for this long, e.g. 20s, 10m (at most 1h)
  --retry-exit CODES  exit codes that start a new attempt, e.g. 137,143
                      (counted against --retries)
  --gpus all|N        give the container the instance's NVIDIA GPUs (all,
                      or the first N); needs GPU types, e.g. --type g6.xlarge
  --on-rebalance replace|warn
                      on AWS's rebalance recommendation, launch the next
                      attempt at once (replace) or only say so (default: warn)`;
}

/** Instance and attempt options on EC2 (above); on this machine, only those that apply (a lost run counts as an interruption). */
function localAttempts(retries: number): string {
  return `Attempts
  --retries N         lost runs survived before the job fails (a run is lost
                      when its process dies: killed, the machine restarted)
                      (default: ${retries}; 0: never run again)
  --retry-exit CODES  exit codes that start a new attempt, e.g. 137,143
                      (counted against --retries)
  --gpus all|N        give the container this machine's NVIDIA GPUs (all,
                      or the first N); the engine needs NVIDIA's toolkit`;
}

const LIST_HELP = `${USAGE.list}

Lists your jobs from the last 24 hours, active ones first, and your active
schedules with their next firing.
  --all    everyone's jobs and schedules in this channel (admins: everywhere)

Example
  /sched list --all`;

const STATUS_HELP = `${USAGE.status}

Shows one job in detail: its status, instance, attempts and interruptions,
exit code, duration, cost, callback, recent events and the end of its output.
JOB is a job id (j-…) or a schedule id, as shown by /sched list.

Example
  /sched status j-4fq2k7x9abcd`;

const cancelHelp = (words: ModeWords): string => `${USAGE.cancel}

Cancels a job that has not ended: ${words.cancelled}. Given a schedule id, stops the schedule's future
firings; jobs it already started keep running (cancel them by their own id).
Only the job's owner or an admin may cancel it.

Example
  /sched cancel j-4fq2k7x9abcd`;

const LOGS_HELP = `${USAGE.logs}

Shows the last lines the container printed (stdout and stderr): all of its
output's end once it finished; while it runs, the output so far and how old
it is; after a cancel, the last output seen.

  -f, --follow   in the terminal: print new output as it arrives, until the
                 job ends or you press Enter (elsewhere: the same as logs)

Example
  /sched logs j-4fq2k7x9abcd
  /sched logs -f j-4fq2k7x9abcd`;

const RETRY_HELP = `${USAGE.retry}

Runs an ended job (succeeded, failed or cancelled) again now, as a new job
with the same image, command, environment and options. Only the job's owner
or an admin may retry it.

Example
  /sched retry j-4fq2k7x9abcd`;

const HELP_HELP = `${USAGE.help}

Shows help on one command: run, list, status, cancel, logs, retry; or on a
topic: times (--at, --in, --timeout), cron (--cron).

Example
  /sched help run`;

const timesHelp = (words: ModeWords): string => `Times and durations

--at TIME is read in --tz, else ${words.zone}, else UTC:
  2026-12-01 09:00           a date and a time
  2026-12-01T09:00:00Z       ISO 8601: its Z or +02:00 overrides --tz
  tomorrow 9am               tomorrow at 09:00
  friday 18:30               the coming Friday
  9am                        the next 09:00, today or tomorrow
  noon, midnight, in 3 days  also understood
A time in the past is refused, as is one more than a year ahead. A time
that daylight saving skips moves forward by the skipped hour.

--in DURATION and --timeout DURATION: 90s, 10m, 2h, 1h30m, 1d
(units d h m s, largest first; a bare number is seconds).

The reply shows the resolved time in UTC before anything runs.

Examples
  /sched run --at "2026-12-01 09:00" --tz Asia/Tokyo alpine date
  /sched run --in 1h30m acme/etl`;

const cronHelp = (words: ModeWords): string => `Schedules: --cron "EXPR"

Five fields, read in --tz (else ${words.zone}, else UTC), so 09:00
stays 09:00 across daylight saving changes:
  minute  hour  day-of-month  month  day-of-week
  0-59    0-23  1-31          1-12   0-7 (0 and 7: Sunday), or JAN, MON…
  * any   , list   - range   /N every N   L last day   5#2 second Friday

  "0 9 * * 1-5"     09:00 on weekdays
  "*/15 * * * *"    every 15 minutes
  "30 2 1 * *"      02:30 on the 1st of each month
  "0 18 * * FRI"    18:00 on Fridays

Each firing starts ${words.firing}, so a schedule may fire
at most every 5 minutes. The reply shows the next three firings in UTC.
/sched list shows schedules and their next firing; /sched cancel SCHEDULE
stops future firings.

Example
  /sched run --cron "0 9 * * 1-5" --tz Europe/Paris acme/report --daily`;
