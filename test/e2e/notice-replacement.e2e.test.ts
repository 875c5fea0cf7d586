/**
 * Replacement on the two-minute notice, against moto (the real Ec2Fleet, through the fault proxy,
 * which timestamps every EC2 call) with the real agent script and a fake instance metadata service
 * that announces `spot/instance-action`. The engine and the HTTP surface run in this process, so
 * the test sees when the agent's `interrupting` report reaches the bot; it prints how long the
 * replacement's `RunInstances` took after it (the figure issue 10 asks for).
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { createEc2Client } from '../../bot/adapters/aws-clients.js';
import { Ec2Fleet } from '../../bot/adapters/ec2-fleet.js';
import { MemoryJobStore } from '../../bot/adapters/memory-store.js';
import { systemClock } from '../../bot/clock.js';
import type { ChatOrigin, Job, JobOwner, NewJob } from '../../bot/core/job.js';
import { Engine } from '../../bot/engine/engine.js';
import { buildHttpServer } from '../../bot/http/server.js';
import type { AgentReport, AgentReportResult, CallbackSender, JobService, OutputReport } from '../../bot/ports.js';
import { startFakeImds, type FakeImds } from '../harness/agent.js';
import { eventually } from '../harness/bot-process.js';
import { makeContainerGate } from '../harness/container-gate.js';
import { motoBehindFaultProxy } from '../harness/fault-proxy.js';
import { instanceState, runInstance } from '../harness/moto-instances.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

const SECRET = 'notice-e2e-secret-0123456789abcdefghijklmnop';
const world = motoBehindFaultProxy();

/** The job service the HTTP surface calls: the engine, noting when each agent report arrives. */
class TimedJobService implements JobService {
  engine: Engine | undefined;
  readonly reports: { report: AgentReport; at: number }[] = [];
  private get e(): Engine {
    if (!this.engine) throw new Error('engine not wired yet');
    return this.engine;
  }
  createJob(input: NewJob) {
    return this.e.createJob(input);
  }
  getJob(id: string) {
    return this.e.getJob(id);
  }
  listRecentJobs() {
    return this.e.listRecentJobs();
  }
  updateCallback(id: string, url: string | undefined) {
    return this.e.updateCallback(id, url);
  }
  cancelJob(id: string, by: string) {
    return this.e.cancelJob(id, by);
  }
  runOnDemand(id: string, by: string) {
    return this.e.runOnDemand(id, by);
  }
  retryJob(id: string, owner: JobOwner, origin?: ChatOrigin) {
    return this.e.retryJob(id, owner, origin);
  }
  recordChatMessage(jobId: string, channel: string, ts: string) {
    return this.e.recordChatMessage(jobId, channel, ts);
  }
  listActiveJobs() {
    return this.e.listActiveJobs();
  }
  agentReport(report: AgentReport): Promise<AgentReportResult> {
    this.reports.push({ report, at: Date.now() });
    return this.e.agentReport(report);
  }
  recordOutput(report: OutputReport): Promise<AgentReportResult> {
    return this.e.recordOutput(report);
  }
  outputSoFar(job: Job) {
    return this.e.outputSoFar(job);
  }
}

let ec2: EC2Client;
let fleetClient: EC2Client;
let http: FastifyInstance;
let engine: Engine;
const service = new TimedJobService();
const callbacks: { jobId: string; status: string }[] = [];
const sender: CallbackSender = {
  send: async (_url, payload) => {
    callbacks.push({ jobId: payload.job_id, status: payload.status });
    return { ok: true, statusCode: 200 };
  },
};
const imdses: FakeImds[] = [];

beforeAll(async () => {
  ec2 = new EC2Client(world.moto.clientConfig);
  fleetClient = createEc2Client({ region: world.proxy.clientConfig.region, endpoint: world.proxy.endpoint, credentials: world.proxy.clientConfig.credentials, ec2RateLimit: {} });
  const logger = pino({ level: 'silent' });
  http = buildHttpServer({ jobs: service, secret: SECRET, defaults: { instanceTypes: ['t3.micro'], interruptionsTolerated: 3 }, clock: systemClock, logger });
  const publicUrl = await http.listen({ host: '127.0.0.1', port: 0 });
  engine = new Engine({
    store: new MemoryJobStore(),
    fleet: new Ec2Fleet({ client: fleetClient, deployment: 'notice-e2e', amiId: 'ami-12c6146b', subnetIds: [], securityGroupIds: [] }),
    callbacks: sender,
    notifier: { jobChanged: async () => undefined },
    clock: systemClock,
    logger,
    secret: SECRET,
    publicUrl,
    pollSeconds: 1,
  });
  service.engine = engine;
  await engine.start();
});

afterEach(async () => {
  await Promise.all(imdses.splice(0).map((imds) => imds.close()));
});

afterAll(async () => {
  await engine?.stop();
  await http?.close();
  ec2?.destroy();
  fleetClient?.destroy();
});

const newJob = (): NewJob => ({
  spec: { image: 'alpine:3.20', command: ['sh', '-c', 'checkpointed work'], env: {}, instanceTypes: ['t3.micro', 't3.small'], interruptionsTolerated: 2, callbackUrl: 'https://example.com/hook' },
  runAt: new Date().toISOString(),
  owner: { kind: 'api', id: 'e2e' },
});

async function jobWhen(id: string, predicate: (job: Job) => boolean, what: string): Promise<Job> {
  return eventually(async () => {
    const job = await engine.getJob(id);
    return job && predicate(job) ? job : undefined;
  }, `job ${id} ${what}`, 30_000);
}

describe('the two-minute notice on EC2 (moto, the real agent)', () => {
  test('the notice launches the replacement while the old instance runs; the old attempt finishing after all stops it and ends the job once', async () => {
    const figures: number[] = [];
    // From the notice appearing in metadata: adds the agent's poll (1 s here, 5 s on EC2).
    const fromMetadata: number[] = [];
    for (let round = 1; round <= 3; round++) {
      const [imds1, imds2] = await Promise.all([startFakeImds(), startFakeImds()]);
      imdses.push(imds1, imds2);
      const gate = await makeContainerGate();
      try {
        await gate.holdRuns();
        const job = await engine.createJob(newJob());
        const first = await runInstance(ec2, imds1.url, job.id, 1, { dockerOutput: 'checkpoint written\n' }, gate);
        await jobWhen(job.id, (j) => j.status === 'running', 'running');
        await eventually(async () => ((await gate.arrived()).includes(`sched-${job.id}-1`) ? true : undefined), 'the first container');

        // AWS's notice, as the instance metadata service gives it.
        const launchesBefore = world.proxy.requests.length;
        const noticeAt = Date.now();
        imds1.setInstanceAction(JSON.stringify({ action: 'terminate', time: new Date(Date.now() + 120_000).toISOString() }));
        const replaced = await jobWhen(job.id, (j) => j.attempt === 2 && j.instanceId !== undefined, 'replaced');
        const report = service.reports.find((r) => r.report.jobId === job.id && r.report.status === 'interrupting');
        const runInstances = world.proxy.requests.slice(launchesBefore).find((r) => r.action === 'RunInstances');
        expect(report).toBeDefined();
        expect(runInstances).toBeDefined();
        const seconds = (runInstances!.at - report!.at) / 1000;
        figures.push(seconds);
        fromMetadata.push((runInstances!.at - noticeAt) / 1000);
        expect(seconds).toBeGreaterThanOrEqual(0);
        expect(seconds).toBeLessThan(5);

        // The old instance still works; the bot keeps it as the draining attempt.
        // (`launching` once a pass has seen the replacement's instance up.)
        expect(['requested', 'launching']).toContain(replaced.status);
        expect(replaced).toMatchObject({ interruptions: 1, draining: { attempt: 1, instanceId: first.instanceId } });
        expect(await instanceState(ec2, first.instanceId)).toBe('running');
        expect(await instanceState(ec2, replaced.instanceId!)).toBe('running');

        // The old container finishes before its SIGTERM: the job ends with it, once; the replacement goes.
        await gate.release(`sched-${job.id}-1`);
        expect((await first.run).code).toBe(0);
        const done = await jobWhen(job.id, (j) => j.status === 'succeeded', 'succeeded');
        expect(done).toMatchObject({ exitCode: 0, attempt: 2, interruptions: 1, logTail: 'checkpoint written\n' });
        expect(done.events.some((e) => e.kind === 'finished-after-all')).toBe(true);
        await eventually(async () => (['shutting-down', 'terminated'].includes((await instanceState(ec2, replaced.instanceId!)) ?? '') ? true : undefined), 'replacement terminated');
        await eventually(async () => (['shutting-down', 'terminated'].includes((await instanceState(ec2, first.instanceId)) ?? '') ? true : undefined), 'old instance terminated');
        await jobWhen(job.id, (j) => j.callback?.state === 'delivered', 'callback delivered');
        expect(callbacks.filter((c) => c.jobId === job.id)).toEqual([{ jobId: job.id, status: 'succeeded' }]);
        await first.stubs.cleanup();
      } finally {
        await gate.cleanup();
      }
    }
    console.log(JSON.stringify({ metric: 'interrupting_report_to_replacement_run_instances_seconds', values: figures }));
    console.log(JSON.stringify({ metric: 'metadata_notice_to_replacement_run_instances_seconds', values: fromMetadata }));
  });
});
