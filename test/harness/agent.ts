/**
 * Runs the real agent script (bot/core/agent-script.ts) on this machine without letting it touch
 * the machine, with these pieces:
 *
 * - `makeStubBin` — a folder of fake host commands to put first on PATH: a `docker`/`podman`
 *   that records its argv and plays the container (and whose `stop -t N <name>` sends the
 *   running container SIGTERM, then SIGKILL after N s, recording when), and recorders for
 *   `shutdown`, `systemctl`, `dnf`… that do nothing.
 * - `startFakeImds` — a loopback IMDSv2 fake whose spot instance-action and rebalance
 *   recommendation can be switched on.
 * - `startNotificationReceiver` — a loopback server recording the agent's notifications; it also
 *   answers the agent's `GET /v1/agent/<job-id>` with the job `renderServedAgentScript` gave it.
 * - `runAgentScript` — runs a script with bash in its own process group, with the stubs first on
 *   PATH and a loopback (or `off`) `SCHED_IMDS_URL`, reports any process of the group that
 *   outlives bash, and kills the group when it is done.
 * - `fakeClockEnv` — replaces the script's `sleep` with one that only moves bash's clock on.
 *
 * Typical use:
 * ```ts
 * const stubs = await makeStubBin({ dockerOutput: 'hello\n' });
 * const imds = await startFakeImds();
 * const bot = await startNotificationReceiver();
 * const script = renderServedAgentScript(bot, { ..., image, command, env, notifyBaseUrl: bot.url });
 * const run = await runAgentScript(script, { stubBin: stubs.dir, env: { SCHED_IMDS_URL: imds.url }, timeoutMs: 10_000 });
 * ```
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderAgentScript, type AgentScriptInput, type AgentSpec } from '../../bot/core/agent-script.js';
import { renderAgentSpec } from '../../bot/core/agent-spec.js';

/** Host commands the script might reach; each stub records its call and does nothing. */
export const HOST_COMMAND_STUBS = ['shutdown', 'poweroff', 'reboot', 'halt', 'systemctl', 'dnf', 'yum', 'sudo', 'aws'] as const;
/** Container CLIs faked by the stub folder. */
export const CONTAINER_CLI_STUBS = ['docker', 'podman'] as const;

export interface StubBinOptions {
  /** Exit code of a fake `run`; default 0. */
  dockerExitCode?: number;
  /** Bytes a fake `run` writes to stdout; default none. */
  dockerOutput?: string;
  /** How long a fake `run` lasts; default 0. */
  dockerSleepMs?: number;
  /** Makes `pull` fail with exit code 1 and an error message. */
  pullFails?: boolean;
  /**
   * A fake `run` lasts until this stub (e.g. a `passThrough` one) has been called at least once,
   * at most 30 s, before it sleeps `dockerSleepMs`.
   */
  dockerRunsUntilCalled?: string;
  /** A fake `run` records the mode of everything under `$TMPDIR` (see `ContainerRun.tmpdirModes`). */
  recordTmpdir?: boolean;
  /** Real commands to wrap: the wrapper records its argv like the other stubs, then execs the real one. */
  passThrough?: ('curl' | 'sleep')[];
  /** A fake `pull` lasts until a fake `stop` has been called, at most 30 s. */
  pullLastsUntilStop?: boolean;
  /** Exit code of a fake `run` that gets SIGTERM (from a fake `stop`); default 143. */
  dockerTermExitCode?: number;
  /** The engine does not answer, as a docker CLI whose daemon is stopped: `version` and `run` fail. */
  engineDown?: boolean;
}

export interface ContainerRun {
  /** The CLI's arguments, starting with `run`. */
  argv: string[];
  /** The environment the CLI process itself saw. */
  env: Record<string, string>;
  /** With `recordTmpdir`: permission bits of every path under `$TMPDIR` (relative) while it ran. */
  tmpdirModes: Record<string, number>;
  /** When it began, ms since the epoch. */
  startedAtMs: number;
  /** When a fake `stop` gave it SIGTERM / SIGKILL, ms since the epoch. */
  sigtermAtMs?: number;
  sigkillAtMs?: number;
}

export interface StubBin {
  /** The folder to put first on PATH. */
  dir: string;
  /** Where the stubs write their records. */
  recordDir: string;
  /** Every `run` of the fake docker or podman, in call order. */
  dockerRuns(): Promise<ContainerRun[]>;
  /** The argv (without the command name) of every call of one stub, in call order. */
  calls(name: string): Promise<string[][]>;
  /** The same, with when each call began (ms since the epoch). */
  timedCalls(name: string): Promise<{ argv: string[]; atMs: number }[]>;
  cleanup(): Promise<void>;
}

/** Single-quotes for bash: the only paths quoted here come from mkdtemp, but be exact anyway. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

// Every call is one file named <nanoseconds>.<pid>, so sorting the names gives the call order;
// argv is written NUL-terminated so newlines inside arguments survive.
function recorderPrelude(recordDir: string, name: string): string {
  return `#!/bin/bash
rec=${shellQuote(join(recordDir, name))}
mkdir -p "$rec"
call="$rec/$(date +%s%N).$$"
printf '%s\\0' "$@" >"$call.argv"
`;
}

/** The real executable `name` on this process's PATH: stubs call it by path, never through PATH. */
function realCommand(name: string): string {
  for (const dir of (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const candidate = join(dir || '.', name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder.
    }
  }
  throw new Error(`the test harness needs \`${name}\` on PATH`);
}

// A fake `run` plays the container in the stub's own process: it registers under its `--name` in
// the containers folder (its pid, the pid of whatever it sleeps in, its record), so a fake `stop`
// can signal it as the runtime would. Its sleeps run in the background so SIGTERM is handled at
// once.
function containerStub(recordDir: string, name: string, dir: string, opts: StubBinOptions): string {
  const sleepSeconds = ((opts.dockerSleepMs ?? 0) / 1000).toFixed(3);
  // The real sleep by path: a sleep stub or an exported sleep function must not see the container's.
  const sleep = shellQuote(realCommand('sleep'));
  const containers = shellQuote(join(recordDir, '.containers'));
  const waitForCall = opts.dockerRunsUntilCalled
    ? `until compgen -G ${shellQuote(join(recordDir, opts.dockerRunsUntilCalled))}'/*.argv' >/dev/null || ((SECONDS >= 30)); do nap 0.05; done`
    : '';
  const recordTmpdir = opts.recordTmpdir ? `if [ -n "\${TMPDIR:-}" ]; then find "$TMPDIR" -mindepth 1 -printf '%m %P\\0' >"$call.tmpdir"; fi` : '';
  const engineDown = opts.engineDown
    ? `case "\${1:-}" in version | run | pull) echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; [ "$1" = run ] && exit 125; exit 1 ;; esac`
    : '';
  return `${recorderPrelude(recordDir, name)}
${engineDown}
case "\${1:-}" in
  pull)
    ${opts.pullLastsUntilStop ? `until [ -e ${containers}/.stop-called ] || ((SECONDS >= 30)); do ${sleep} 0.05; done` : ''}
    ${opts.pullFails ? `echo "Error response from daemon: pull access denied for \${2:-}" >&2; exit 1` : `echo "\${2:-}: Pulled (fake)"; exit 0`}
    ;;
  run)
    env -0 >"$call.env"
    ${recordTmpdir}
    container=; previous=
    for arg in "$@"; do if [ "$previous" = --name ]; then container="$arg"; fi; previous="$arg"; done
    sleeper=
    trap 'date +%s%N >"$call.sigterm"; if [ -n "$sleeper" ]; then kill "$sleeper" 2>/dev/null; wait "$sleeper"; fi; rm -f "$registered"; exit ${opts.dockerTermExitCode ?? 143}' TERM
    registered=
    if [ -n "$container" ]; then
      mkdir -p ${containers}
      registered=${containers}/"$container"
      printf '%s %s %s\\n' "$$" "$$" "$call" >"$registered"
    fi
    nap() {
      ${sleep} "$1" &
      sleeper=$!
      if [ -n "$registered" ]; then printf '%s %s %s\\n' "$$" "$sleeper" "$call" >"$registered"; fi
      wait "$sleeper"
      sleeper=
    }
    cat ${shellQuote(join(dir, '.container-output'))}
    ${waitForCall}
    nap ${sleepSeconds}
    rm -f "$registered"
    exit ${opts.dockerExitCode ?? 0}
    ;;
  stop)
    grace=10; previous=
    for arg in "$@"; do case "$previous" in -t | --time | --timeout) grace="$arg" ;; esac; previous="$arg"; done
    mkdir -p ${containers}
    : >${containers}/.stop-called
    container="\${*: -1}"
    if ! read -r pid sleeper runcall 2>/dev/null <${containers}/"$container"; then
      echo "Error response from daemon: No such container: $container" >&2
      exit 1
    fi
    kill -TERM "$pid" 2>/dev/null
    for ((tenth = 0; tenth < grace * 10; tenth++)); do
      kill -0 "$pid" 2>/dev/null || exit 0
      ${sleep} 0.1
    done
    date +%s%N >"$runcall.sigkill"
    kill -KILL "$pid" "$sleeper" 2>/dev/null
    rm -f ${containers}/"$container"
    exit 0
    ;;
  *) exit 0 ;;
esac
`;
}

function splitNul(data: string): string[] {
  const parts = data.split('\0');
  parts.pop(); // every field is NUL-terminated
  return parts;
}

async function readCalls(recordDir: string, name: string): Promise<{ id: string; argv: string[] }[]> {
  const dir = join(recordDir, name);
  let files: string[];
  try {
    files = await readdir(dir);
  } catch {
    return [];
  }
  const ids = files.filter((f) => f.endsWith('.argv')).map((f) => f.slice(0, -'.argv'.length)).sort(compareCallIds);
  return Promise.all(ids.map(async (id) => ({ id: join(dir, id), argv: splitNul(await readFile(join(dir, `${id}.argv`), 'utf8')) })));
}

function compareCallIds(a: string, b: string): number {
  const [ta = '0'] = a.split('.');
  const [tb = '0'] = b.split('.');
  return ta.length - tb.length || (ta < tb ? -1 : ta > tb ? 1 : 0);
}

export async function makeStubBin(opts: StubBinOptions = {}): Promise<StubBin> {
  const dir = await mkdtemp(join(tmpdir(), 'sched-stubs-'));
  const recordDir = join(dir, '.records');
  await mkdir(recordDir);
  await writeFile(join(dir, '.container-output'), opts.dockerOutput ?? '');
  for (const cli of CONTAINER_CLI_STUBS) {
    await writeFile(join(dir, cli), containerStub(recordDir, cli, dir, opts));
  }
  for (const name of HOST_COMMAND_STUBS) {
    await writeFile(join(dir, name), `${recorderPrelude(recordDir, name)}exit 0\n`);
  }
  const passThrough = opts.passThrough ?? [];
  for (const name of passThrough) {
    // exec keeps the pid, so whoever kills the wrapper kills the real command.
    await writeFile(join(dir, name), `${recorderPrelude(recordDir, name)}exec ${shellQuote(realCommand(name))} "$@"\n`);
  }
  await Promise.all([...CONTAINER_CLI_STUBS, ...HOST_COMMAND_STUBS, ...passThrough].map((name) => chmod(join(dir, name), 0o755)));

  return {
    dir,
    recordDir,
    async calls(name) {
      return (await readCalls(recordDir, name)).map((c) => c.argv);
    },
    async timedCalls(name) {
      return (await readCalls(recordDir, name)).map((c) => ({ argv: c.argv, atMs: callTimeMs(c.id) }));
    },
    async dockerRuns() {
      const all = (await Promise.all(CONTAINER_CLI_STUBS.map((cli) => readCalls(recordDir, cli)))).flat();
      const runs = all.filter((c) => c.argv[0] === 'run').sort((a, b) => compareCallIds(baseName(a.id), baseName(b.id)));
      return Promise.all(
        runs.map(async (c) => {
          const env: Record<string, string> = {};
          for (const entry of await readNulFile(`${c.id}.env`)) {
            const eq = entry.indexOf('=');
            if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
          }
          const tmpdirModes: Record<string, number> = {};
          for (const entry of await readNulFile(`${c.id}.tmpdir`)) {
            const space = entry.indexOf(' ');
            tmpdirModes[entry.slice(space + 1)] = parseInt(entry.slice(0, space), 8);
          }
          const run: ContainerRun = { argv: c.argv, env, tmpdirModes, startedAtMs: callTimeMs(c.id) };
          const sigterm = await readTimeMs(`${c.id}.sigterm`);
          if (sigterm !== undefined) run.sigtermAtMs = sigterm;
          const sigkill = await readTimeMs(`${c.id}.sigkill`);
          if (sigkill !== undefined) run.sigkillAtMs = sigkill;
          return run;
        }),
      );
    },
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function readNulFile(path: string): Promise<string[]> {
  return splitNul(await readFile(path, 'utf8').catch(() => ''));
}

/** A call's id starts with the nanoseconds at which it began. */
function callTimeMs(id: string): number {
  return Number(BigInt(baseName(id).split('.')[0] ?? '0') / 1_000_000n);
}

/** A file holding `date +%s%N`, in ms; undefined when there is none. */
async function readTimeMs(path: string): Promise<number | undefined> {
  const text = (await readFile(path, 'utf8').catch(() => '')).trim();
  return /^\d+$/.test(text) ? Number(BigInt(text) / 1_000_000n) : undefined;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

async function listen(server: ReturnType<typeof createServer>): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: ReturnType<typeof createServer>): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export interface FakeImds {
  /** Base URL to pass as `SCHED_IMDS_URL`. */
  url: string;
  /** `null`: instance-action answers 404 (no notice); a string: 200 with that body. */
  setInstanceAction(body: string | null): void;
  /** `null`: events/recommendations/rebalance answers 404 (none); a string: 200 with that body. */
  setRebalance(body: string | null): void;
  requests: { method: string; path: string }[];
  close(): Promise<void>;
}

const FAKE_IMDS_TOKEN = 'fake-imds-token';

/** A loopback IMDSv2: `PUT /latest/api/token` issues a token the metadata paths require. */
export async function startFakeImds(): Promise<FakeImds> {
  let instanceAction: string | null = null;
  let rebalance: string | null = null;
  const requests: FakeImds['requests'] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? '';
    const path = req.url ?? '';
    requests.push({ method, path });
    req.resume();
    if (path === '/latest/api/token') {
      if (method !== 'PUT' || !req.headers['x-aws-ec2-metadata-token-ttl-seconds']) {
        res.writeHead(method === 'PUT' ? 400 : 405).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end(FAKE_IMDS_TOKEN);
      return;
    }
    if (req.headers['x-aws-ec2-metadata-token'] !== FAKE_IMDS_TOKEN) {
      res.writeHead(401).end();
      return;
    }
    if (method === 'GET' && path === '/latest/meta-data/spot/instance-action' && instanceAction !== null) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(instanceAction);
      return;
    }
    if (method === 'GET' && path === '/latest/meta-data/events/recommendations/rebalance' && rebalance !== null) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(rebalance);
      return;
    }
    res.writeHead(404).end();
  });
  const url = await listen(server);
  return {
    url,
    requests,
    setInstanceAction(body) {
      instanceAction = body;
    },
    setRebalance(body) {
      rebalance = body;
    },
    close: () => close(server),
  };
}

export interface ReceivedNotification {
  method: string;
  /** Path without the query string, e.g. `/v1/notifications/job-1`. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface NotificationReceiver {
  /** Base URL to pass as `notifyBaseUrl`. */
  url: string;
  /** The agent's notifications (every request but its `GET /v1/agent/…`). */
  requests: ReceivedNotification[];
  /** The agent's `GET /v1/agent/<job-id>` requests. */
  jobFetches: ReceivedNotification[];
  /** The body `GET /v1/agent/<jobId>` answers (200); undefined: 404. */
  serveAgentJob(jobId: string, body: string | undefined): void;
  /** As `respondWith`, for `GET /v1/agent/…` (a 200 answers the served job). */
  respondToJobFetchWith(...statuses: number[]): void;
  /**
   * Statuses for the next requests, one each, in order; the last one then answers every later
   * request. `respondWith(500, 500, 200)` fails twice then succeeds. Default: 200.
   */
  respondWith(...statuses: number[]): void;
  /** Resolves with the first request (already received or coming) that matches; rejects after `timeoutMs`. */
  waitFor(match: (r: ReceivedNotification) => boolean, timeoutMs: number): Promise<ReceivedNotification>;
  close(): Promise<void>;
}

/** A loopback stand-in for the bot's `PUT /v1/notifications/<job-id>` endpoint. */
export async function startNotificationReceiver(): Promise<NotificationReceiver> {
  const requests: ReceivedNotification[] = [];
  const jobFetches: ReceivedNotification[] = [];
  let queued: number[] = [200];
  let jobQueued: number[] = [200];
  const agentJobs = new Map<string, string>();
  const waiters = new Set<(r: ReceivedNotification) => void>();
  const server = createServer((req, res) => {
    void readBody(req).then((body) => {
      const parsed = new URL(req.url ?? '/', 'http://127.0.0.1');
      const received: ReceivedNotification = {
        method: req.method ?? '',
        path: parsed.pathname,
        query: Object.fromEntries(parsed.searchParams),
        headers: req.headers,
        body,
      };
      if (received.method === 'GET' && received.path.startsWith('/v1/agent/')) {
        jobFetches.push(received);
        const status = jobQueued.length > 1 ? jobQueued.shift()! : (jobQueued[0] ?? 200);
        const agentJob = agentJobs.get(decodeURIComponent(received.path.slice('/v1/agent/'.length)));
        if (status === 200 && agentJob !== undefined) res.writeHead(200, { 'content-type': 'application/json' }).end(agentJob);
        else res.writeHead(status === 200 ? 404 : status, { 'content-type': 'application/json' }).end('{"error":"test"}');
        return;
      }
      requests.push(received);
      const status = queued.length > 1 ? queued.shift()! : (queued[0] ?? 200);
      res.writeHead(status, { 'content-type': 'application/json' }).end(status < 300 ? '{"ok":true}' : '{"error":"test"}');
      for (const waiter of waiters) waiter(received);
    });
  });
  const url = await listen(server);
  return {
    url,
    requests,
    jobFetches,
    serveAgentJob(jobId, body) {
      if (body === undefined) agentJobs.delete(jobId);
      else agentJobs.set(jobId, body);
    },
    respondToJobFetchWith(...statuses) {
      if (statuses.length === 0) throw new Error('respondToJobFetchWith needs at least one status');
      jobQueued = [...statuses];
    },
    respondWith(...statuses) {
      if (statuses.length === 0) throw new Error('respondWith needs at least one status');
      queued = [...statuses];
    },
    waitFor(match, timeoutMs) {
      const seen = requests.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = (r: ReceivedNotification) => {
          if (!match(r)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(r);
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching notification within ${timeoutMs} ms; got ${JSON.stringify(requests.map((r) => r.query))}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close: () => close(server),
  };
}

/** The script's input and the job it fetches, as the engine has them together. */
export type ServedAgentInput = AgentScriptInput & AgentSpec;

/**
 * Renders the user data for `input` and has `receiver` answer the agent's `GET /v1/agent/…` with
 * `input`'s image, argv, env, GPUs and timeout, as the bot would (bot/core/agent-spec.ts).
 */
export function renderServedAgentScript(receiver: Pick<NotificationReceiver, 'serveAgentJob'>, input: ServedAgentInput): string {
  const { jobId, attempt, notifyBaseUrl, token, logTailBytes } = input;
  const script = renderAgentScript({ jobId, attempt, notifyBaseUrl, token, ...(logTailBytes !== undefined && { logTailBytes }) });
  const { image, command, env, timeoutSeconds, gpus } = input;
  receiver.serveAgentJob(jobId, renderAgentSpec({ image, command, env, ...(timeoutSeconds !== undefined && { timeoutSeconds }), ...(gpus !== undefined && { gpus }) }));
  return script;
}

export interface RunAgentScriptOptions {
  /** `makeStubBin().dir`: put first on PATH. */
  stubBin: string;
  /**
   * Extra environment for the script. Must include `SCHED_IMDS_URL`, pointing at loopback or
   * `off`: nothing else is inherited from the test process but PATH, HOME and TMPDIR.
   */
  env: Record<string, string>;
  /** The process group is killed after this long; `code` is then null. */
  timeoutMs: number;
  /** The umask bash starts with; default 0o022, the usual one for cloud-init, whatever the test runner's. */
  umask?: number;
}

export interface AgentScriptRun {
  /** bash's exit code; null when it was killed (time limit). */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /**
   * Processes of the script's group still alive `STRAY_GRACE_MS` after bash exited (pid and
   * command line), before the harness killed them: the script left them behind.
   */
  strays: string[];
}

/** How long a process the script stopped may take to go before it counts as left behind. */
export const STRAY_GRACE_MS = 10_000;

/**
 * Environment that replaces the script's `sleep` with an exported bash function that sleeps not
 * at all but moves bash's `SECONDS` on by its argument, and appends the argument to `logFile`: a
 * fake clock for the script's retry windows. Only for runs without the metadata watcher
 * (`SCHED_IMDS_URL=off`), whose background sleeps would otherwise return at once.
 */
export function fakeClockEnv(logFile: string): Record<string, string> {
  return { 'BASH_FUNC_sleep%%': `() { printf '%s\\n' "$1" >>${shellQuote(logFile)}; SECONDS=$((SECONDS + $1)); }` };
}

// A tripwire: a command called by absolute path would escape the PATH stubs.
const ABSOLUTE_HOST_COMMAND = /\/(?:usr\/)?s?bin\/(?:shutdown|poweroff|reboot|halt|systemctl|init|telinit)\b/;

function assertLoopbackImds(value: string | undefined): void {
  if (value === undefined) {
    throw new Error('runAgentScript: env.SCHED_IMDS_URL is required (a loopback fake, or "off"), so the script can never reach 169.254.169.254');
  }
  if (value === 'off') return;
  let host: string;
  try {
    host = new URL(value).hostname;
  } catch {
    throw new Error(`runAgentScript: SCHED_IMDS_URL ${JSON.stringify(value)} is not a URL`);
  }
  if (!/^127(?:\.\d{1,3}){3}$/.test(host) && host !== 'localhost' && host !== '[::1]') {
    throw new Error(`runAgentScript: SCHED_IMDS_URL must point at loopback, got ${JSON.stringify(value)}`);
  }
}

/** Live (not zombie) processes of a process group, as `pid command line`; reads /proc (Linux). */
async function groupMembers(pgid: number): Promise<string[]> {
  const members: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) !== pgid || state === 'Z') continue;
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').join(' ').trim();
      members.push(`${entry} ${cmdline}`);
    } catch {
      // The process ended while we looked.
    }
  }
  return members;
}

/** Waits until the group has no live process, at most `graceMs`; returns who is still there. */
async function waitForEmptyGroup(pgid: number, graceMs: number): Promise<string[]> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const members = await groupMembers(pgid);
    if (members.length === 0 || Date.now() >= deadline) return members;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Runs `script` with bash, detached in its own process group so the background metadata watcher
 * can be killed with it. When bash exits, whatever is left of the group gets `STRAY_GRACE_MS` to
 * go (reported as `strays` if it does not); then, or at the time limit, the group is killed.
 */
export async function runAgentScript(script: string, opts: RunAgentScriptOptions): Promise<AgentScriptRun> {
  assertLoopbackImds(opts.env.SCHED_IMDS_URL);
  if (ABSOLUTE_HOST_COMMAND.test(script)) {
    throw new Error('runAgentScript: the script calls a host command by absolute path, which the PATH stubs cannot catch');
  }
  const dir = await mkdtemp(join(tmpdir(), 'sched-agent-script-'));
  const file = join(dir, 'user-data.sh');
  await writeFile(file, script, { mode: 0o700 });
  const env: Record<string, string> = {
    PATH: `${opts.stubBin}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
    HOME: process.env.HOME ?? dir,
    TMPDIR: dir,
    ...opts.env,
  };
  const umask = (opts.umask ?? 0o022).toString(8).padStart(4, '0');

  try {
    // `exec` keeps the pid, so the script's bash leads the group.
    const child = spawn('bash', ['-c', 'umask "$1" && exec bash "$2"', 'bash', umask, file], { detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => stdout.push(c));
    child.stderr.on('data', (c: Buffer) => stderr.push(c));
    // Background children keep the pipes open: 'close' comes only once the group is gone.
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    };
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, opts.timeoutMs);
    const exitCode = await new Promise<number | null>((resolve, reject) => {
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    const strays = timedOut ? [] : await waitForEmptyGroup(child.pid!, STRAY_GRACE_MS);
    killGroup();
    await closed;
    return {
      code: timedOut ? null : exitCode,
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
      timedOut,
      strays,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
