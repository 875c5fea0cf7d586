// Over 300 lines: the one composition root, where each adapter is chosen and wired; its helpers open one thing each.
/**
 * The composition root: configuration → stores → fleet → engine → HTTP and chat surfaces, each
 * step a function here. The only place that reads process.env or constructs SDK clients.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { pino, type Logger } from 'pino';
import { systemClock } from './clock.js';
import { allowedInstanceTypes, chatChoice, gpuFacts, loadConfig, LOCAL_LIMIT_DEFAULTS, maskConfig, type Config } from './config.js';
import { createDynamoClient, createEc2Client, reportAwsCalls } from './adapters/aws-clients.js';
import { HttpCallbackSender } from './adapters/callback-http.js';
import { DynamoLeaseStore } from './adapters/dynamo-lease.js';
import { DynamoScheduleStore } from './adapters/dynamo-schedules.js';
import { DynamoJobStore } from './adapters/dynamo-store.js';
import { Ec2Fleet } from './adapters/ec2-fleet.js';
import { LaunchPermissionCheck } from './adapters/ec2-launch-check.js';
import { startEmbeddedDynamo } from './adapters/embedded-dynamo.js';
import { lockDataDir } from './adapters/data-dir-lock.js';
import { checkContainerEngine, containerEnvFrom, detectContainerCli, NO_CONTAINER_CLI_MESSAGE } from './adapters/container-engine.js';
import { LocalFleet } from './adapters/local-fleet.js';
import { LogNotifier } from './adapters/log-notifier.js';
import { coerceError } from './core/errors.js';
import { Engine } from './engine/engine.js';
import { EngineMetrics } from './engine/metrics.js';
import { HealthPart, HealthState } from './engine/health-state.js';
import { DEFAULT_TIMINGS } from './core/lifecycle/lifecycle.js';
import { RunPlanner } from './engine/run-planner.js';
import { onDemandPriceTable } from './core/on-demand-prices.js';
import { TerminalSurface } from './terminal/surface.js';
import { Scheduler } from './engine/scheduler.js';
import { buildHttpServer, type HttpServerDeps } from './http/server.js';
import type { ChatSurface, CommandDeps, HostFacts } from './commands/types.js';
import { activeJobsCapReached } from './commands/caps.js';
import type { SlackSurfaceOptions } from './slack/app.js';
import type { Fleet } from './ports.js';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

type Closer = () => Promise<void>;

/** The id /healthz's recheck reads while the store is degraded: no job has it (job ids are `j-…`). */
const HEALTH_PROBE_JOB_ID = 'sched-health-probe';

async function main(argv: string[]): Promise<void> {
  const config = configOrExit();
  if (argv.includes('--check-config')) {
    const chatNote = chatChoice(process.env, config);
    process.stdout.write(`${JSON.stringify({ ...(maskConfig(config) as object), ...(chatNote && { chatChoice: chatNote }) }, null, 2)}\n`);
    return;
  }
  if (argv.includes('--check-aws')) return checkAwsAndExit(config);
  // The embedded store and the local runs belong to one process: a second start says who has them.
  if (usesDataDir(config)) {
    const lock = lockDataDir(config.dataDir);
    // Every exit but SIGKILL gives it up; after SIGKILL the next start takes the dead pid's lock over.
    process.once('exit', () => lock.release());
  }
  // The terminal surface owns stdout: the JSON log goes to a file there.
  const logFile = config.chat === 'terminal' ? join(config.dataDir, 'sched.log') : undefined;
  const logger = openLogger(config, logFile);
  // `<cli> version` may take seconds: it runs while the rest opens.
  const computeChecked = checkCompute(config, logger);
  const closers: Closer[] = [];
  const secret = config.secret ?? embeddedSecret(config.dataDir);
  const defaults = { instanceTypes: config.spot.instanceTypes, interruptionsTolerated: config.defaultInterruptionsTolerated, maxPrice: config.spot.maxPrice, gpus: gpuFacts(config), allowedInstanceTypes: allowedInstanceTypes(config), compute: config.compute, guardRails: config.guardRails };

  // One registry and one health state for the process: the engine, the AWS clients and Slack report into them.
  const metrics = new EngineMetrics({ processMetrics: true });
  const health = new HealthState({ clock: systemClock });
  const stores = await openStores(config, closers, { metrics, health });
  // The scheduler and the Slack notifier call the engine, which is built after them (it takes
  // the scheduler and the surface's notifier): they reach it through this, bound below.
  const engineRef = new LateBound<Engine>('the engine');
  const scheduler = new Scheduler({
    store: stores.schedules,
    createJob: (input, id) => engineRef.get().createJob(input, id),
    checkCallback: (url) => engineRef.get().checkCallback(url),
    capReached: (owner) => activeJobsCapReached(owner, { jobs: engineRef.get(), access: config.access, limits: config.limits }),
    clock: systemClock,
    logger: logger.child({ component: 'scheduler' }),
    compute: config.compute,
  });
  const chat = await buildChatSurface(config, { defaults, logger, engine: engineRef, metrics });
  const fleet = openFleet(config, logger, closers, metrics);
  const launchCheck = launchPermissionCheck(config, fleet, logger, closers);
  // Dry runs: the same fleet's read-only quotes; no store.
  const planner = new RunPlanner({ fleet, publicUrl: config.publicUrl });
  const engine = engineRef.bind(
    new Engine({
      store: stores.jobs,
      fleet,
      callbacks: new HttpCallbackSender({ secret, allowPrivate: config.callbackAllowPrivate }),
      notifier: chat?.surface.notifier ?? new LogNotifier(logger.child({ component: 'jobs' })),
      clock: systemClock,
      logger: logger.child({ component: 'engine' }),
      lease: stores.lease,
      scheduler,
      secret,
      publicUrl: config.publicUrl,
      pollSeconds: config.pollSeconds,
      timings: { ...DEFAULT_TIMINGS, launchTimeoutSeconds: config.launchTimeoutSeconds },
      compute: config.compute,
      allowedInstanceTypes: defaults.allowedInstanceTypes,
      guardRails: config.guardRails,
      holderId: leaseHolder(config),
      metrics,
    }),
  );
  const http = buildHttpServer({
    jobs: engine,
    secret,
    apiToken: config.apiToken,
    defaults,
    clock: systemClock,
    logger,
    metrics: () => metrics.render(),
    health,
    planner,
    ...(chat?.rawRoutes && { rawRoutes: chat.rawRoutes }),
    ...(launchCheck && { launchPermission: () => launchCheck.current() }),
  });

  await http.listen({ port: config.port, host: config.host }).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    throw new Error(`port ${config.port} is in use by another program: set SCHED_PORT to a free port (or 0 for any)`);
  });
  await engine.start();
  await scheduler.start();
  // Not awaited: EC2 may be slow to answer, and /healthz says "not checked yet" meanwhile.
  void launchCheck?.start();
  const shutdown = shutdownOnSignals(
    logger,
    [
      ['scheduler', async () => scheduler.stop()],
      [config.chat, async () => chat?.surface.stop()],
      ['engine', () => engine.stop()],
      ['http', () => http.close()],
    ],
    closers,
  );
  const compute = await computeChecked;
  // The commands' dependencies, once, for whichever chat surface is configured.
  const deps: CommandDeps = { jobs: engine, schedules: scheduler, access: config.access, clock: systemClock, limits: config.limits, planner };
  const store: HostFacts['store'] = config.store === 'embedded' ? { kind: 'embedded', path: join(config.dataDir, 'db') } : { kind: 'dynamodb', table: config.table };
  const facts: HostFacts = { compute, store, apiUrl: http.listeningOrigin, apiTokenSet: config.apiToken !== undefined, logFile };
  await chat?.surface.start(deps, { facts, requestStop: (reason) => void shutdown(reason) });
  announceRunning(config, logger);
}

/** `SCHED_LOCAL_*`; without `SCHED_LOCAL_CPUS`, 2 CPUs or all of a smaller machine (docker refuses more than there are). */
function localContainerLimits(config: Config): { memory: string; cpus: string; pids: number } {
  const { memory, cpus, pids } = config.localLimits;
  return { memory, pids, cpus: cpus ?? String(Math.min(LOCAL_LIMIT_DEFAULTS.cpus, availableParallelism())) };
}

function announceRunning(config: Config, logger: Logger): void {
  logger.info({ port: config.port, compute: config.compute, store: config.store, chat: config.chat, publicUrl: config.publicUrl }, 'sched is running');
  if (!config.apiToken) logger.warn('SCHED_API_TOKEN is not set: the REST API refuses every request');
  if (config.compute === 'ec2' && /^https?:\/\/(127\.|localhost|\[::1\])/.test(config.publicUrl)) {
    logger.warn({ publicUrl: config.publicUrl }, 'SCHED_PUBLIC_URL is a loopback address: EC2 instances cannot report to it (set it to an address they reach)');
  }
}

function configOrExit(): Config {
  const loaded = loadConfig(process.env, { stdinIsTTY: Boolean(process.stdin.isTTY) });
  if (loaded.ok) return loaded.config;
  process.stderr.write(`sched: the configuration has ${loaded.problems.length} problem(s):\n${loaded.problems.map((p) => `  - ${p}`).join('\n')}\n`);
  process.exit(2);
}

function openLogger(config: Config, logFile: string | undefined): Logger {
  // The SDK's notice that its releases after January 2027 need Node 22: the lockfile pins this
  // one, which supports our engines (>=20.19), so the notice is noise above the banner in every mode.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return pino(
    { level: config.logLevel, redact: { paths: ['*.token', '*.secret', 'req.headers.authorization'], censor: '[redacted]' } },
    logFile ? ownerOnlyLog(logFile) : undefined,
  );
}

/** What runs the containers; for local compute, whether its engine answers (a warning if not). */
async function checkCompute(config: Config, logger: Logger): Promise<HostFacts['compute']> {
  if (config.compute === 'ec2') return { kind: 'ec2', region: config.aws.region };
  const containerCli = detectContainerCli(process.env.PATH);
  const engineProblem = containerCli ? await checkContainerEngine(containerCli, process.env.PATH, containerEnvFrom(process.env)) : undefined;
  if (engineProblem) logger.warn({ containerCli, problem: engineProblem }, `${containerCli} does not answer: local jobs fail until it does`);
  return { kind: 'local', containerCli, engineProblem };
}

async function openStores(config: Config, closers: Closer[], reporting: { metrics: EngineMetrics; health: HealthState }): Promise<{ jobs: DynamoJobStore; lease: DynamoLeaseStore; schedules: DynamoScheduleStore }> {
  const dynamo = await openDynamo(config, closers);
  // Every store call reports whether the table answered: /healthz reads that, and rechecks with a read of an id no job has.
  reportAwsCalls(dynamo.client, { service: 'dynamodb', ...reporting });
  const jobs = new DynamoJobStore({ client: dynamo.client, tableName: config.table, clock: systemClock, retentionDays: config.retentionDays });
  reporting.health.setRecheck(HealthPart.Store, () => jobs.get(HEALTH_PROBE_JOB_ID));
  if (dynamo.ensureTable) await jobs.ensureTable();
  return {
    jobs,
    lease: new DynamoLeaseStore({ client: dynamo.client, tableName: config.table, clock: systemClock }),
    schedules: new DynamoScheduleStore({ client: dynamo.client, tableName: config.table }),
  };
}

/** The configured chat surface, if any, and the raw HTTP routes it serves (Slack's HTTP mode). */
async function buildChatSurface(
  config: Config,
  opts: { defaults: SlackSurfaceOptions['defaults']; logger: Logger; engine: LateBound<Engine>; metrics: EngineMetrics },
): Promise<{ surface: ChatSurface; rawRoutes?: HttpServerDeps['rawRoutes'] } | undefined> {
  if (config.chat === 'slack') {
    // Bolt is loaded only when Slack is used: the embedded default starts faster without it.
    const { createSlackSurface } = await import('./slack/app.js');
    const slack = createSlackSurface({
      botToken: config.slack.botToken!,
      appToken: config.slack.appToken,
      signingSecret: config.slack.signingSecret,
      apiUrl: config.slack.apiUrl,
      defaults: opts.defaults,
      logger: opts.logger.child({ component: 'slack' }),
      saveMessageRef: (jobId, channel, ts) => opts.engine.get().recordChatMessage(jobId, channel, ts),
      metrics: opts.metrics,
    });
    return { surface: slack, ...(slack.eventsListener && { rawRoutes: { '/slack/events': slack.eventsListener } }) };
  }
  if (config.chat === 'terminal') {
    const terminal = new TerminalSurface({
      input: process.stdin,
      output: process.stdout,
      clock: systemClock,
      defaults: opts.defaults,
      historyFile: join(config.dataDir, 'history'),
      color: process.env.NO_COLOR === undefined,
      logger: opts.logger.child({ component: 'terminal' }),
    });
    return { surface: terminal };
  }
  return undefined;
}

/**
 * Stops Sched on SIGTERM or SIGINT, or when a surface asks: each part in order (a failing one is
 * logged and passed), then the adapters' closers, last opened first; then exits. Returns the stop.
 */
function shutdownOnSignals(logger: Logger, parts: [name: string, stop: Closer][], closers: Closer[]): (reason: string) => Promise<void> {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    for (const [name, stop] of parts) await stop().catch((err: unknown) => logger.error({ err }, `${name} stop failed`));
    for (const close of [...closers].reverse()) await close().catch(() => undefined);
    logger.flush();
    process.exit(0);
  };
  // `on`, not `once`: Ctrl-C signals the whole process group, and tsx relays the signal again, so
  // a second one often arrives mid-shutdown; with no listener left it would kill the bot before
  // it has closed its store. `stopping` makes the repeat a no-op.
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  return shutdown;
}

/**
 * A reference bound once, after the objects that hold it are built: it breaks the one cycle of
 * the composition (the engine takes the scheduler and the notifier, which both call the engine).
 */
class LateBound<T> {
  private target?: T;

  constructor(private readonly what: string) {}

  bind(target: T): T {
    this.target = target;
    return target;
  }

  get(): T {
    if (this.target === undefined) throw new Error(`${this.what} was used before it was built`);
    return this.target;
  }
}

async function openDynamo(config: Config, closers: Closer[]): Promise<{ client: DynamoDBClient; ensureTable: boolean }> {
  if (config.store === 'embedded') {
    const embedded = await startEmbeddedDynamo(join(config.dataDir, 'db'));
    closers.push(() => embedded.close());
    return { client: embedded.client, ensureTable: true };
  }
  const client = createDynamoClient({ region: config.aws.region, endpoint: config.aws.endpoint });
  closers.push(async () => client.destroy());
  // In AWS the Pulumi stack owns the table; against an emulator (an endpoint) the bot creates it.
  return { client, ensureTable: config.aws.endpoint !== undefined };
}

function openFleet(config: Config, logger: Logger, closers: Closer[], metrics?: EngineMetrics): Fleet {
  if (config.compute === 'local') {
    const fleetLogger = logger.child({ component: 'local-fleet' });
    if (!detectContainerCli(process.env.PATH)) fleetLogger.warn({}, `${NO_CONTAINER_CLI_MESSAGE}: jobs fail until one is on PATH`);
    const fleet = new LocalFleet({ workDir: join(config.dataDir, 'runs'), logger: fleetLogger, pathEnv: process.env.PATH, spawnEnv: containerEnvFrom(process.env), limits: localContainerLimits(config) });
    // Runs outlive the bot, as instances do: closing only refuses new ones; the next start adopts them.
    closers.push(() => fleet.close());
    return fleet;
  }
  const client = createEc2Client({ region: config.aws.region, endpoint: config.aws.endpoint });
  if (metrics) reportAwsCalls(client, { service: 'ec2', metrics });
  return new Ec2Fleet({
    client,
    deployment: config.deployment,
    amiId: config.spot.ami!,
    gpuAmiId: config.spot.gpuAmi,
    subnetIds: config.spot.subnetIds,
    securityGroupIds: config.spot.securityGroupIds,
    instanceProfile: config.spot.instanceProfile,
    onDemandPrices: onDemandPriceTable(config.spot.onDemandPrices),
    logger: logger.child({ component: 'ec2' }),
  });
}

/** EC2 compute: the DryRun launch check (bot/adapters/ec2-launch-check.ts) of the first default type's pool. */
function launchPermissionCheck(config: Config, fleet: Fleet, logger: Logger, closers: Closer[]): LaunchPermissionCheck | undefined {
  if (!(fleet instanceof Ec2Fleet)) return undefined;
  const check = new LaunchPermissionCheck({ probe: () => fleet.checkLaunchPermission(config.spot.instanceTypes[0]!), logger: logger.child({ component: 'launch-check' }) });
  closers.push(async () => check.stop());
  return check;
}

/** `--check-aws`: the same check once, printed (EC2's message included); exit 0 when allowed, 1 when not. */
async function checkAwsAndExit(config: Config): Promise<void> {
  if (config.compute !== 'ec2') {
    process.stderr.write('sched: --check-aws checks EC2 launches, and SCHED_COMPUTE is local\n');
    process.exit(2);
  }
  const fleet = openFleet(config, pino({ level: 'silent' }), []) as Ec2Fleet;
  const result = await fleet.checkLaunchPermission(config.spot.instanceTypes[0]!);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exit(result.state === 'ok' ? 0 : 1);
}

/** The log of the terminal mode: owner-only, like the folder it is in (an older 0644 one is tightened). */
function ownerOnlyLog(path: string): pino.DestinationStream {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const destination = pino.destination({ dest: path, sync: true, mode: 0o600 });
  chmodSync(path, 0o600);
  return destination;
}

/** Whether this process keeps state under the data folder: the embedded store, or local runs. */
function usesDataDir(config: Config): boolean {
  return config.store === 'embedded' || config.compute === 'local';
}

/**
 * Who holds the reconcile lease. Stable across restarts, so a restarted process takes its own
 * lease back at once instead of waiting out the dead one: the embedded store has one owner (the
 * data-folder lock says so), and two replicas on one host differ by port. Port 0, any free port,
 * says nothing about the process, so it gets the engine's random holder.
 */
function leaseHolder(config: Config): string | undefined {
  if (config.store === 'embedded') return 'embedded';
  return config.port === 0 ? undefined : `${hostname()}:${config.port}`;
}

/** The embedded default's HMAC secret: generated once, kept (owner-only) under the data dir. */
function embeddedSecret(dataDir: string): string {
  const path = join(dataDir, 'secret');
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const secret = randomBytes(32).toString('base64url');
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const error = coerceError(err);
  process.stderr.write(`sched: ${error.message}\n`);
  process.exit(1);
});

