// Over 300 lines: one class, because launch, observe, terminate and restart recovery share the runs map.
/**
 * The `Fleet` port on this machine: the compute of the embedded default (README.md, "A first session").
 * A "spot request" is fulfilled at once by running the job attempt's rendered agent script —
 * the very user data an EC2 instance would get — with bash, here, with Docker or Podman.
 *
 * One run per job attempt, in its own folder `<workDir>/<jobId>/<attempt>/`:
 * - `user-data.sh` — the script as rendered, run unchanged;
 * - `agent.log`    — everything it and the container print;
 * - `output.log`   — what the container alone prints (the script's `SCHED_OUTPUT_FILE`): `logs JOB`
 *                    reads its end while the run goes on, and after it ended, however it ended;
 * - `run.json`     — the run's record (ids, pid, process start marker, state), so a restarted bot
 *                    knows what ran before it and whether it still runs.
 *
 * The script runs detached in its own process group, like an instance that lives apart from the
 * bot: a stopped or crashed bot does not take its jobs down, and a restarted one finds them still
 * running.
 * Its environment turns every host action off (`SCHED_HOST_ACTIONS=off`: no package installs, no
 * systemctl, never a shutdown) and metadata polling with it (`SCHED_IMDS_URL=off`): a laptop has
 * no instance metadata and must never be powered off by a job.
 *
 * How runs map onto the EC2 view the engine reasons about:
 * - requestId `local-r-<jobId>-<attempt>`, always `active`/`fulfilled` (until cancelled);
 * - instanceId `local-i-<jobId>-<attempt>`, `running` while the script's process lives, then
 *   `terminated` — whether it ended by itself, was terminated, or vanished while the bot was down.
 *   The engine has already had `finished` from the agent when a run ends normally; otherwise the
 *   terminated instance is an interruption, retried under the job's usual rules.
 *
 * Finding the container CLI is container-engine.ts's part; reading and writing `run.json`,
 * local-runs.ts's.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, open, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FleetSnapshot, InstanceView, SpotRequestView } from '../core/lifecycle/observation.js';
import type { PoolQuote } from '../core/plan.js';
import { systemClock } from '../clock.js';
import { LaunchError, type Clock, type Fleet, type LaunchPlan, type Launched, type OutputTail } from '../ports.js';
import { checkContainerEngine, detectContainerCli, findOnPath, NO_CONTAINER_CLI_MESSAGE, writeEngineOnlyDockerConfig, type ContainerCli } from './container-engine.js';
import { processGroupAlive, processStartMarker, signalProcessGroup, waitUntilGone } from './local-process.js';
import { localRunIds, readRecord, writeRecord, type EndReason, type RunRecord } from './local-runs.js';

/** Structured logging; pino's `logger.info(obj, msg)` fits. */
export interface LocalFleetLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface LocalFleetOptions {
  /** Where run folders live, e.g. `<SCHED_DATA_DIR>/runs`; created when missing. */
  workDir: string;
  /** Absent: detected on `pathEnv` at each request, docker preferred. */
  containerCli?: ContainerCli;
  logger?: LocalFleetLogger;
  /** PATH for finding the CLI and for the script; the bot's own PATH, passed in by main.ts. */
  pathEnv?: string;
  /**
   * The rest of the script's environment (see `containerEnvFrom` in container-engine.ts). Nothing else is inherited.
   * It cannot turn host actions or metadata back on.
   */
  spawnEnv?: Record<string, string>;
  /**
   * What each container may use (`--memory`, `--cpus`, `--pids-limit`, via the script's
   * `SCHED_CONTAINER_*`); absent: no limits (tests of other things).
   */
  limits?: ContainerLimits;
  /** Between SIGTERM and SIGKILL of a run's process group; default 5 s. */
  terminateGraceMs?: number;
  /** A run that ended is listed this long, so the engine sees it terminated; default 1 h (EC2 too). */
  forgetAfterMs?: number;
  /** Stamps `startedAt`/`endedAt` and ages ended runs; default: the system clock. */
  clock?: Clock;
  /**
   * Why the CLI's engine does not answer (undefined: it does); default `<cli> version` through
   * `checkContainerEngine`. Asked before each run starts, so a job that cannot run says why.
   */
  checkEngine?: (cli: ContainerCli) => Promise<string | undefined>;
  /** Writes a run's record (`run.json`); default `writeRecord`. A test makes it fail to play a crash. */
  recordWriter?: (dir: string, record: RunRecord) => Promise<void>;
}

/** Resource limits of one local container, as docker and podman take them. */
export interface ContainerLimits {
  memory: string;
  cpus: string;
  pids: number;
}

/**
 * Where a run's container engine looks for registry logins: a folder of the run's own with none,
 * so a job's image is pulled anonymously, never with the host user's logins. docker reads
 * `$DOCKER_CONFIG/config.json` (logins, credential helpers); podman reads `REGISTRY_AUTH_FILE`
 * instead of `$XDG_RUNTIME_DIR/containers/auth.json` (older podman releases then
 * still tries `$XDG_CONFIG_HOME/containers/auth.json` and `$DOCKER_CONFIG/config.json`).
 */
const NO_LOGINS_DIR = 'no-registry-logins';

interface Run {
  record: RunRecord;
  dir: string;
  /** Record writes in order, so an older state never overwrites a newer one. */
  writes: Promise<void>;
  /** Set while this process is bash's parent and has not yet seen it exit. */
  child?: ChildProcess;
  stopping?: Promise<void>;
}

const SCRIPT_FILE = 'user-data.sh';
const LOG_FILE = 'agent.log';
const OUTPUT_FILE = 'output.log';
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';
const DEFAULT_TERMINATE_GRACE_MS = 5_000;
const DEFAULT_FORGET_AFTER_MS = 3600_000;
const CONTAINER_RM_TIMEOUT_MS = 30_000;
// Job ids become folder names: nothing that could climb out of workDir.
const JOB_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/** How long an engine that answered `version` is trusted before it is asked again. */
const ENGINE_TRUSTED_MS = 60_000;

/** What a user reads when the container engine does not answer: why, and how to start it. */
export function engineDownMessage(cli: ContainerCli, problem: string): string {
  const start = cli === 'docker' ? 'start Docker (Docker Desktop, or `sudo systemctl start docker`)' : 'start Podman (`podman machine start` on macOS and Windows)';
  return `${cli} does not answer (${problem}): ${start}, then retry the job`;
}

const silentLogger: LocalFleetLogger = { info: () => {}, warn: () => {} };

/** Job attempts as detached bash processes on this machine. */
export class LocalFleet implements Fleet {
  private readonly workDir: string;
  private readonly containerCli: ContainerCli | undefined;
  private readonly logger: LocalFleetLogger;
  private readonly pathEnv: string;
  private readonly spawnEnv: Record<string, string>;
  private readonly limits: ContainerLimits | undefined;
  private readonly terminateGraceMs: number;
  private readonly forgetAfterMs: number;
  private readonly clock: Clock;
  private readonly checkEngine: (cli: ContainerCli) => Promise<string | undefined>;
  private readonly recordWriter: (dir: string, record: RunRecord) => Promise<void>;
  /** When each CLI's engine last answered (ms): it is not asked again for a while. */
  private readonly engineAnsweredAt = new Map<ContainerCli, number>();
  /** By instance id. Ended runs stay until `forgetAfterMs` has passed. */
  private readonly runs = new Map<string, Run>();
  /** Launches in progress by instance id, so two at once for one attempt start one process. */
  private readonly starting = new Map<string, Promise<{ requestId: string; instanceId: string }>>();
  private loaded: Promise<void> | undefined;
  private closing = false;

  constructor(opts: LocalFleetOptions) {
    if (!opts.workDir) throw new Error('LocalFleet: workDir must not be empty');
    // Absolute: each run's script is started from inside its own folder.
    this.workDir = resolve(opts.workDir);
    this.containerCli = opts.containerCli;
    this.logger = opts.logger ?? silentLogger;
    this.pathEnv = opts.pathEnv ?? DEFAULT_PATH;
    this.spawnEnv = { ...opts.spawnEnv };
    this.limits = opts.limits;
    this.terminateGraceMs = opts.terminateGraceMs ?? DEFAULT_TERMINATE_GRACE_MS;
    this.forgetAfterMs = opts.forgetAfterMs ?? DEFAULT_FORGET_AFTER_MS;
    this.clock = opts.clock ?? systemClock;
    this.checkEngine = opts.checkEngine ?? ((cli) => checkContainerEngine(cli, this.pathEnv, this.spawnEnv));
    this.recordWriter = opts.recordWriter ?? writeRecord;
  }

  /**
   * Starts the attempt's script unless a run of this attempt exists already (in memory or on
   * disk), in which case its ids are returned and nothing starts. Throws `LaunchError`,
   * permanent when this machine has no container CLI.
   */
  async launch(launch: LaunchPlan): Promise<Launched & { requestId: string; instanceId: string }> {
    const ids = await this.place(launch);
    // One pool here: this machine; the first type names it, as the run record does.
    return { ...ids, pool: { instanceType: launch.pools[0]!.instanceType }, refused: [] };
  }

  /** One pool: this machine, at no charge, whatever the types (a dry run's plan). */
  async quote(instanceTypes: readonly string[]): Promise<PoolQuote[]> {
    return [{ instanceType: instanceTypes[0] ?? 'local', local: true }];
  }

  /** The end of `output.log` in the attempt's folder, read whether the run goes on or ended. */
  async outputTail(jobId: string, attempt: number, maxChars: number): Promise<OutputTail | undefined> {
    if (!JOB_ID_PATTERN.test(jobId) || !Number.isSafeInteger(attempt) || attempt < 0) return undefined;
    const file = join(this.workDir, jobId, String(attempt), OUTPUT_FILE);
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      const { size, mtime } = await handle.stat();
      if (size === 0) return undefined;
      // Four bytes a character at most: enough for `maxChars` of any UTF-8.
      const length = Math.min(size, Math.max(1, maxChars) * 4);
      const bytes = Buffer.alloc(length);
      await handle.read(bytes, 0, length, size - length);
      let start = 0;
      // Not from the middle of a character.
      while (start < length && ((bytes[start] ?? 0) & 0xc0) === 0x80) start++;
      const text = bytes.subarray(start).toString('utf8');
      return { text: text.length > maxChars ? text.slice(-maxChars) : text, at: mtime.toISOString() };
    } finally {
      await handle.close();
    }
  }

  private async place(launch: LaunchPlan): Promise<{ requestId: string; instanceId: string }> {
    if (!JOB_ID_PATTERN.test(launch.jobId)) {
      throw new LaunchError('InvalidParameterValue', `job id ${JSON.stringify(launch.jobId)} is not a valid local run name`, true);
    }
    if (!Number.isSafeInteger(launch.attempt) || launch.attempt < 0) {
      throw new LaunchError('InvalidParameterValue', `attempt ${launch.attempt} must be a non-negative integer`, true);
    }
    if (launch.pools.length === 0) throw new LaunchError('InvalidParameterValue', 'a launch needs at least one pool', true);
    if (this.closing) throw new LaunchError('ShuttingDown', 'Sched is stopping; the job starts when it runs again', false);
    await this.load();
    const ids = localRunIds(launch.jobId, launch.attempt);
    if (this.runs.has(ids.instanceId)) return ids;
    const inFlight = this.starting.get(ids.instanceId);
    if (inFlight) return inFlight;
    const started = this.start(launch).finally(() => this.starting.delete(ids.instanceId));
    this.starting.set(ids.instanceId, started);
    return started;
  }

  async observe(): Promise<FleetSnapshot> {
    await this.load();
    await Promise.all([...this.runs.values()].map((run) => this.refresh(run)));
    const forgetBefore = this.clock.now().getTime() - this.forgetAfterMs;
    const requests: SpotRequestView[] = [];
    const instances: InstanceView[] = [];
    for (const [instanceId, { record }] of this.runs) {
      if (record.state === 'ended' && Date.parse(record.endedAt ?? record.startedAt) < forgetBefore) {
        this.runs.delete(instanceId);
        continue;
      }
      requests.push({
        requestId: record.requestId,
        jobId: record.jobId,
        attempt: record.attempt,
        state: record.requestState,
        statusCode: record.requestState === 'cancelled' ? 'request-canceled-and-instance-running' : 'fulfilled',
        instanceId: record.instanceId,
        instanceType: record.instanceType,
      });
      instances.push({
        instanceId: record.instanceId,
        jobId: record.jobId,
        attempt: record.attempt,
        // A run is fulfilled the moment it exists: there is no `pending` to wait through.
        state: record.state === 'ended' ? 'terminated' : 'running',
        instanceType: record.instanceType,
        spotRequestId: record.requestId,
        launchTime: record.startedAt,
      });
    }
    return { requests, instances };
  }

  /** Only marks the request: the run it launched lives on, as an EC2 instance would. */
  async cancelRequest(requestId: string): Promise<void> {
    await this.load();
    const run = [...this.runs.values()].find((r) => r.record.requestId === requestId);
    if (!run || run.record.requestState === 'cancelled') return;
    run.record.requestState = 'cancelled';
    await this.persist(run);
  }

  /**
   * Ends the run: SIGTERM to its process group, SIGKILL after the grace, then `<cli> rm -f` of its
   * container, which the container engine (not our process group) may still be running.
   */
  async terminateInstance(instanceId: string): Promise<void> {
    await this.load();
    await this.starting.get(instanceId)?.catch(() => undefined);
    const run = this.runs.get(instanceId);
    if (!run) return;
    run.stopping ??= this.stop(run).finally(() => {
      run.stopping = undefined;
    });
    await run.stopping;
  }

  /**
   * Refuses new runs and lets the ones going carry on: like instances, they outlive Sched (an
   * `exit`, Ctrl-C, SIGTERM or a crash alike), report to it when it runs again, and the next start
   * adopts them from their records — the job finishes once, in the attempt it was in. Waits only
   * for launches under way and record writes, so no run is left half recorded.
   */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled(this.starting.values());
    if (!this.loaded) return;
    await this.loaded.catch(() => undefined);
    await Promise.all([...this.runs.values()].map((run) => run.writes));
    const going = [...this.runs.values()].filter((run) => run.record.state !== 'ended').map((run) => run.record.jobId);
    if (going.length > 0) this.logger.info({ jobIds: going }, `${going.length} local run(s) keep running; the next start adopts them`);
  }

  // ---- runs ----

  /**
   * A CLI whose engine is down (docker installed, its daemon stopped) would start the run and fail
   * it with exit code 125, the reason buried in the output: the job is refused instead, saying why
   * and what to do. An engine that answered is trusted for a minute; one that did not is asked
   * again at the next job, so starting Docker is all it takes.
   */
  private async ensureEngineAnswers(cli: ContainerCli): Promise<void> {
    const now = this.clock.now().getTime();
    const answered = this.engineAnsweredAt.get(cli);
    if (answered !== undefined && now - answered < ENGINE_TRUSTED_MS) return;
    const problem = await this.checkEngine(cli);
    if (problem === undefined) {
      this.engineAnsweredAt.set(cli, now);
      return;
    }
    this.engineAnsweredAt.delete(cli);
    throw new LaunchError('ContainerEngineDown', engineDownMessage(cli, problem), true);
  }

  private async start(launch: LaunchPlan): Promise<{ requestId: string; instanceId: string }> {
    const ids = localRunIds(launch.jobId, launch.attempt);
    const cli = this.containerCli ?? detectContainerCli(this.pathEnv);
    if (!cli) throw new LaunchError('ContainerCliMissing', NO_CONTAINER_CLI_MESSAGE, true);
    await this.ensureEngineAnswers(cli);

    const dir = join(this.workDir, launch.jobId, String(launch.attempt));
    await mkdir(join(this.workDir, launch.jobId), { recursive: true, mode: 0o700 });
    try {
      await mkdir(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A run of this attempt from long ago (no longer in memory) is still that attempt's run.
      const earlier = await readRecord(dir);
      if (earlier) return ids;
      // A folder without a record: an earlier start stopped before it spawned anything.
    }
    await mkdir(join(dir, 'tmp'), { recursive: true, mode: 0o700 });
    await mkdir(join(dir, NO_LOGINS_DIR), { recursive: true, mode: 0o700 });
    // podman refuses an auth file that is not there; an empty one has no logins.
    await writeFile(join(dir, NO_LOGINS_DIR, 'auth.json'), '{}\n', { mode: 0o600 });
    if (cli === 'docker') await writeEngineOnlyDockerConfig(join(dir, NO_LOGINS_DIR), this.spawnEnv);
    await writeFile(join(dir, SCRIPT_FILE), launch.userData, { mode: 0o700 });

    const run: Run = {
      dir,
      writes: Promise.resolve(),
      record: {
        format: 1,
        jobId: launch.jobId,
        attempt: launch.attempt,
        ...ids,
        clientToken: launch.clientToken,
        instanceType: launch.pools[0]!.instanceType, // checked by `launch`
        containerCli: cli,
        containerName: `sched-${launch.jobId}-${launch.attempt}`,
        requestState: 'active',
        state: 'starting',
        startedAt: this.clock.now().toISOString(),
      },
    };
    // Recorded before the process exists: a crash now leaves a `starting` record (read as lost),
    // never a process nobody knows about.
    await this.persist(run);
    this.runs.set(ids.instanceId, run);

    const log = await open(join(dir, LOG_FILE), 'a', 0o600);
    let child: ChildProcess;
    try {
      // bash waits for "go" on its stdin before it becomes the script (same pid, same start
      // marker): the script runs only once its pid is on disk. A bot that dies before that closes
      // the pipe, and bash exits without running anything, so a restart that reads the record as
      // lost and launches the attempt's replacement never runs a second copy alongside it.
      child = spawn('bash', ['-c', 'IFS= read -r go && [ "$go" = go ] && exec bash "$0" </dev/null; exit 70', join(dir, SCRIPT_FILE)], {
        cwd: dir,
        env: this.scriptEnv(cli, dir),
        detached: true,
        stdio: ['pipe', log.fd, log.fd],
      });
    } finally {
      await log.close();
    }
    // A pipe closed early (bash gone already) must not crash the bot.
    child.stdin?.on('error', () => undefined);
    const pid = child.pid;
    if (pid === undefined) {
      const err = await new Promise<Error>((resolve) => child.once('error', resolve));
      this.markEnded(run, 'lost');
      await this.persist(run);
      throw new LaunchError('AgentStartFailed', `could not start bash for the job's script: ${err.message}`, true, { cause: err });
    }
    child.unref();
    run.child = child;
    child.once('exit', (code, signal) => this.onExit(run, code, signal));
    child.on('error', (err) => this.logger.warn({ err, jobId: launch.jobId, attempt: launch.attempt }, 'local run process error'));
    Object.assign(run.record, { state: run.record.state === 'starting' ? 'running' : run.record.state, pid, pgid: pid });
    run.record.startMarker = await processStartMarker(pid);
    try {
      await this.persistOrThrow(run);
    } catch (err) {
      // As if the bot had died here: no "go", so bash exits without running the script.
      child.stdin?.end();
      this.markEnded(run, 'lost');
      void this.persist(run);
      throw new LaunchError('RunNotRecorded', `could not record the local run, so it was not started: ${(err as Error).message}`, false, { cause: err });
    }
    child.stdin?.end('go\n');
    this.logger.info({ jobId: launch.jobId, attempt: launch.attempt, pid, dir, containerCli: cli }, 'local run started');
    return ids;
  }

  private scriptEnv(cli: ContainerCli, dir: string): Record<string, string> {
    return {
      ...this.spawnEnv,
      PATH: this.pathEnv,
      HOME: this.spawnEnv.HOME ?? dir,
      // mktemp leftovers of a killed script stay in the run's folder, not in /tmp.
      TMPDIR: join(dir, 'tmp'),
      SCHED_OUTPUT_FILE: join(dir, OUTPUT_FILE),
      // Last, so that nothing in spawnEnv can turn them back on.
      SCHED_HOST_ACTIONS: 'off',
      SCHED_IMDS_URL: 'off',
      SCHED_CONTAINER_CLI: cli,
      // Never the host user's registry logins (see NO_LOGINS_DIR): a job pulls anonymously.
      DOCKER_CONFIG: join(dir, NO_LOGINS_DIR),
      REGISTRY_AUTH_FILE: join(dir, NO_LOGINS_DIR, 'auth.json'),
      ...(this.limits && {
        SCHED_CONTAINER_MEMORY: this.limits.memory,
        SCHED_CONTAINER_CPUS: this.limits.cpus,
        SCHED_CONTAINER_PIDS: String(this.limits.pids),
      }),
    };
  }

  private onExit(run: Run, code: number | null, signal: NodeJS.Signals | null): void {
    run.child = undefined;
    const { record } = run;
    if (record.state !== 'ended' || record.endReason === 'lost') {
      this.markEnded(run, run.stopping ? 'terminated' : 'exited');
    }
    Object.assign(record, { exitCode: code, signal });
    void this.persist(run);
    this.logger.info({ jobId: record.jobId, attempt: record.attempt, exitCode: code, signal }, 'local run ended');
    // Anything the script left in its group must not outlive it.
    if (record.pgid !== undefined) signalProcessGroup(record.pgid, 'SIGKILL');
  }

  private markEnded(run: Run, reason: EndReason): void {
    Object.assign(run.record, { state: 'ended', endReason: reason, endedAt: this.clock.now().toISOString() });
  }

  /** For runs this process is not the parent of (started before a restart): is bash still there? */
  private async refresh(run: Run): Promise<void> {
    const { record } = run;
    if (record.state !== 'running' || run.child || run.stopping || this.starting.has(record.instanceId)) return;
    if (record.startMarker !== undefined && (await processStartMarker(record.pid!)) === record.startMarker) return;
    this.logger.warn({ jobId: record.jobId, attempt: record.attempt, pid: record.pid }, 'a local run is gone (Sched was stopped, or the process was killed)');
    this.markEnded(run, 'lost');
    await this.persist(run);
    await this.killLeftovers(record);
    await this.removeContainer(run);
  }

  private async stop(run: Run): Promise<void> {
    const { record } = run;
    if (record.state === 'ended' && record.containerRemoved) return;
    const pgid = await this.ownGroup(record);
    if (pgid !== undefined) {
      signalProcessGroup(pgid, 'SIGTERM');
      if (!(await waitUntilGone(pgid, this.terminateGraceMs))) {
        signalProcessGroup(pgid, 'SIGKILL');
        await waitUntilGone(pgid, 2_000);
      }
    }
    if (record.state !== 'ended') this.markEnded(run, 'terminated');
    await this.removeContainer(run);
    await this.persist(run);
    this.logger.info({ jobId: record.jobId, attempt: record.attempt }, 'local run terminated');
  }

  /**
   * The run's process group, if signalling it reaches only our processes: bash itself when its pid
   * still names it, or what it left behind when bash is gone (a pid is never handed out again
   * while a process group of that number exists). A pid reused by another process: nothing.
   */
  private async ownGroup(record: RunRecord): Promise<number | undefined> {
    if (record.pid === undefined || record.pgid === undefined) return undefined;
    const marker = await processStartMarker(record.pid);
    if (marker !== undefined) return marker === record.startMarker ? record.pgid : undefined;
    return (await processGroupAlive(record.pgid)) ? record.pgid : undefined;
  }

  private async killLeftovers(record: RunRecord): Promise<void> {
    const pgid = await this.ownGroup(record);
    if (pgid !== undefined) signalProcessGroup(pgid, 'SIGKILL');
  }

  /** Best effort, once: the container of a run that ended unexpectedly may still be running. */
  private async removeContainer(run: Run): Promise<void> {
    const { record } = run;
    if (record.containerRemoved) return;
    record.containerRemoved = true;
    const cliPath = findOnPath(record.containerCli, this.pathEnv);
    if (!cliPath) {
      this.logger.warn({ jobId: record.jobId, cli: record.containerCli }, 'cannot remove the run\'s container: the CLI is no longer on PATH');
      return;
    }
    await new Promise<void>((resolve) => {
      execFile(cliPath, ['rm', '-f', record.containerName], { env: this.scriptEnv(record.containerCli, run.dir), timeout: CONTAINER_RM_TIMEOUT_MS }, (err, _stdout, stderr) => {
        // "No such container" is the usual answer: the container ended with the script (--rm).
        if (err && !/no such container/i.test(stderr)) {
          this.logger.warn({ jobId: record.jobId, container: record.containerName, stderr: stderr.trim() }, 'removing the run\'s container failed');
        }
        resolve();
      });
    });
  }

  // ---- records ----

  /** Reads the records of runs from before this process, once. */
  private load(): Promise<void> {
    this.loaded ??= this.loadRecords().catch((err: unknown) => {
      this.loaded = undefined; // the next call tries again
      throw err;
    });
    return this.loaded;
  }

  private async loadRecords(): Promise<void> {
    await mkdir(this.workDir, { recursive: true, mode: 0o700 });
    const forgetBefore = this.clock.now().getTime() - this.forgetAfterMs;
    for (const jobDir of await readdir(this.workDir, { withFileTypes: true })) {
      if (!jobDir.isDirectory() || !JOB_ID_PATTERN.test(jobDir.name)) continue;
      const attempts = await readdir(join(this.workDir, jobDir.name), { withFileTypes: true });
      for (const attemptDir of attempts) {
        if (!attemptDir.isDirectory()) continue;
        const dir = join(this.workDir, jobDir.name, attemptDir.name);
        const record = await readRecord(dir);
        if (!record || this.runs.has(record.instanceId)) continue;
        if (record.state === 'ended' && Date.parse(record.endedAt ?? record.startedAt) < forgetBefore) continue;
        const run: Run = { record, dir, writes: Promise.resolve() };
        if (record.state === 'starting') {
          this.markEnded(run, 'lost');
          await this.persist(run);
        }
        this.runs.set(record.instanceId, run);
      }
    }
  }

  private persist(run: Run): Promise<void> {
    return this.persistOrThrow(run).catch((err: unknown) => this.logger.warn({ err, dir: run.dir }, 'writing a local run record failed'));
  }

  /** As `persist`, but the caller learns of a failed write (the writes stay in order either way). */
  private persistOrThrow(run: Run): Promise<void> {
    // The record as it is now: later changes go out with their own write.
    const snapshot = { ...run.record };
    const write = run.writes.then(() => this.recordWriter(run.dir, snapshot));
    run.writes = write.catch(() => undefined);
    return write;
  }
}
