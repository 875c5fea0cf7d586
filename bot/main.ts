/**
 * The composition root: configuration → adapters → engine → surfaces. The only place that reads
 * process.env or constructs SDK clients.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { loadConfig, maskConfig, type Config } from './config.js';
import { createDynamoClient, createEc2Client } from './adapters/aws-clients.js';
import { HttpCallbackSender } from './adapters/callback-http.js';
import { DynamoLeaseStore } from './adapters/dynamo-lease.js';
import { DynamoScheduleStore } from './adapters/dynamo-schedules.js';
import { DynamoJobStore } from './adapters/dynamo-store.js';
import { Ec2Fleet } from './adapters/ec2-fleet.js';
import { startEmbeddedDynamo } from './adapters/embedded-dynamo.js';
import { checkContainerEngine, containerEnvFrom, detectContainerCli, LocalFleet, NO_CONTAINER_CLI_MESSAGE } from './adapters/local-fleet.js';
import { LogNotifier } from './adapters/log-notifier.js';
import { coerceError } from './core/errors.js';
import type { Job } from './core/job.js';
import { Engine } from './engine/engine.js';
import { TerminalSurface } from './terminal/surface.js';
import { Scheduler } from './engine/scheduler.js';
import { buildHttpServer } from './http/server.js';
import type { Clock, Fleet } from './ports.js';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

const systemClock: Clock = { now: () => new Date() };

async function main(argv: string[]): Promise<void> {
  const loaded = loadConfig(process.env, { stdinIsTTY: Boolean(process.stdin.isTTY) });
  if (!loaded.ok) {
    process.stderr.write(`sched: the configuration has ${loaded.problems.length} problem(s):\n${loaded.problems.map((p) => `  - ${p}`).join('\n')}\n`);
    process.exit(2);
  }
  const config = loaded.config;
  if (argv.includes('--check-config')) {
    process.stdout.write(`${JSON.stringify(maskConfig(config), null, 2)}\n`);
    return;
  }

  // The terminal surface owns stdout: the JSON log goes to a file there.
  const logFile = config.chat === 'terminal' ? join(config.dataDir, 'sched.log') : undefined;
  if (config.compute === 'local' && config.store === 'embedded') {
    // No AWS here (the SDK only talks to the embedded store): its Node-version notice is noise.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  }
  const logger = pino(
    { level: config.logLevel, redact: { paths: ['*.token', '*.secret', 'req.headers.authorization'], censor: '[redacted]' } },
    logFile ? pino.destination({ dest: logFile, mkdir: true, sync: true }) : undefined,
  );
  const closers: (() => Promise<void>)[] = [];
  const secret = config.secret ?? embeddedSecret(config.dataDir);

  const dynamo = await openDynamo(config, closers);
  const store = new DynamoJobStore({ client: dynamo.client, tableName: config.table, clock: systemClock, retentionDays: config.retentionDays });
  if (dynamo.ensureTable) await store.ensureTable();
  const lease = new DynamoLeaseStore({ client: dynamo.client, tableName: config.table, clock: systemClock });
  const scheduler: Scheduler = new Scheduler({
    store: new DynamoScheduleStore({ client: dynamo.client, tableName: config.table }),
    createJob: (input, id): Promise<Job> => engine.createJob(input, id),
    clock: systemClock,
    logger: logger.child({ component: 'scheduler' }),
  });

  const defaults = { instanceTypes: config.spot.instanceTypes, interruptionsTolerated: config.defaultInterruptionsTolerated, maxPrice: config.spot.maxPrice };
  // Bolt is loaded only when Slack is used: the embedded default starts faster without it.
  const slack =
    config.chat === 'slack'
      ? (await import('./slack/app.js')).createSlackSurface({
          botToken: config.slack.botToken!,
          appToken: config.slack.appToken,
          signingSecret: config.slack.signingSecret,
          apiUrl: config.slack.apiUrl,
          defaults,
          logger: logger.child({ component: 'slack' }),
          saveMessageRef: (jobId, channel, ts) => engine.recordChatMessage(jobId, channel, ts),
        })
      : undefined;
  const terminal =
    config.chat === 'terminal'
      ? new TerminalSurface({
          input: process.stdin,
          output: process.stdout,
          clock: systemClock,
          defaults,
          historyFile: join(config.dataDir, 'history'),
          color: process.env.NO_COLOR === undefined,
          logger: logger.child({ component: 'terminal' }),
        })
      : undefined;

  const engine: Engine = new Engine({
    store,
    fleet: openFleet(config, logger, closers),
    callbacks: new HttpCallbackSender({ secret, allowPrivate: config.callbackAllowPrivate }),
    notifier: slack?.notifier ?? terminal?.notifier ?? new LogNotifier(logger.child({ component: 'jobs' })),
    clock: systemClock,
    logger: logger.child({ component: 'engine' }),
    lease,
    scheduler,
    secret,
    publicUrl: config.publicUrl,
    pollSeconds: config.pollSeconds,
    compute: config.compute,
  });

  const http = buildHttpServer({
    jobs: engine,
    secret,
    apiToken: config.apiToken,
    defaults,
    clock: () => systemClock.now(),
    logger,
    metrics: () => engine.metrics.render(),
    ...(slack?.eventsListener && { rawRoutes: { '/slack/events': slack.eventsListener } }),
  });
  await http.listen({ port: config.port, host: config.host });
  await engine.start();
  await scheduler.start();
  await slack?.start({ jobs: engine, schedules: scheduler, access: config.access, clock: systemClock, limits: config.limits });
  logger.info({ port: config.port, compute: config.compute, store: config.store, chat: config.chat, publicUrl: config.publicUrl }, 'sched is running');
  if (!config.apiToken) logger.warn('SCHED_API_TOKEN is not set: the REST API refuses every request');
  if (config.compute === 'ec2' && /^https?:\/\/(127\.|localhost|\[::1\])/.test(config.publicUrl)) {
    logger.warn({ publicUrl: config.publicUrl }, 'SCHED_PUBLIC_URL is a loopback address: EC2 instances cannot report to it (set it to an address they reach)');
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    terminal?.close();
    scheduler.stop();
    await slack?.stop().catch((err) => logger.error({ err }, 'slack stop failed'));
    await engine.stop().catch((err) => logger.error({ err }, 'engine stop failed'));
    await http.close().catch((err) => logger.error({ err }, 'http close failed'));
    for (const close of closers.reverse()) await close().catch(() => undefined);
    logger.flush();
    process.exit(0);
  };
  // `on`, not `once`: Ctrl-C signals the whole process group, and tsx relays the signal again, so
  // a second one often arrives mid-shutdown; with no listener left it would kill the bot before
  // its local runs are stopped. `stopping` makes the repeat a no-op.
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  const containerCli = config.compute === 'local' ? detectContainerCli(process.env.PATH) : undefined;
  const engineProblem = containerCli ? await checkContainerEngine(containerCli, process.env.PATH, containerEnvFrom(process.env)) : undefined;
  if (engineProblem) logger.warn({ containerCli, problem: engineProblem }, `${containerCli} does not answer: local jobs fail until it does`);
  await terminal?.start({
    jobs: engine,
    schedules: scheduler,
    banner: {
      compute: config.compute === 'local' ? { kind: 'local', containerCli, engineProblem } : { kind: 'ec2', region: config.aws.region },
      store: config.store === 'embedded' ? { kind: 'embedded', path: join(config.dataDir, 'db') } : { kind: 'dynamodb', table: config.table },
      apiUrl: http.listeningOrigin,
      apiTokenSet: config.apiToken !== undefined,
      logFile,
    },
    requestStop: (reason) => void shutdown(reason),
  });
}

async function openDynamo(config: Config, closers: (() => Promise<void>)[]): Promise<{ client: DynamoDBClient; ensureTable: boolean }> {
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

function openFleet(config: Config, logger: Logger, closers: (() => Promise<void>)[]): Fleet {
  if (config.compute === 'local') {
    const fleetLogger = logger.child({ component: 'local-fleet' });
    if (!detectContainerCli(process.env.PATH)) fleetLogger.warn({}, `${NO_CONTAINER_CLI_MESSAGE}: jobs fail until one is on PATH`);
    const fleet = new LocalFleet({ workDir: join(config.dataDir, 'runs'), logger: fleetLogger, pathEnv: process.env.PATH, spawnEnv: containerEnvFrom(process.env) });
    // Runs stop with the bot; the next start retries them as interrupted.
    closers.push(() => fleet.close());
    return fleet;
  }
  return new Ec2Fleet({
    client: createEc2Client({ region: config.aws.region, endpoint: config.aws.endpoint }),
    deployment: config.deployment,
    amiId: config.spot.ami!,
    subnetIds: config.spot.subnetIds,
    securityGroupIds: config.spot.securityGroupIds,
    instanceProfile: config.spot.instanceProfile,
    logger: logger.child({ component: 'ec2' }),
  });
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

