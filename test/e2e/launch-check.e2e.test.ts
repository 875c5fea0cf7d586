/**
 * End to end: the real bot on EC2 compute checks its launch permission at start (a DryRun
 * RunInstances) and /healthz reports it; `npm start -- --check-aws` runs the same check once.
 * moto answers DryRunOperation; a refusal comes from the fault proxy, since moto evaluates no IAM.
 */
import { spawn } from 'node:child_process';
import { describe, expect, test, vi } from 'vitest';
import { eventually, SAFE_BOT_ENV, startBot } from '../harness/bot-process.js';
import { motoBehindFaultProxy } from '../harness/fault-proxy.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const aws = motoBehindFaultProxy();
const env = () => ({
  SCHED_COMPUTE: 'ec2',
  SCHED_STORE: 'dynamodb',
  AWS_ENDPOINT_URL: aws.proxy.endpoint,
  SCHED_AMI: 'ami-12c6146b',
  SCHED_SECRET: 's'.repeat(48),
  SCHED_API_TOKEN: 't'.repeat(48),
  SCHED_DEPLOYMENT: 'sched-launch-check',
  SCHED_INSTANCE_TYPES: 't3.micro',
});
const refuseDryRuns = () =>
  aws.proxy.inject({
    service: 'ec2',
    action: 'RunInstances',
    when: (request) => request.params.DryRun === 'true',
    fault: { kind: 'error', status: 403, code: 'UnauthorizedOperation', message: 'You are not authorized to perform this operation. Encoded authorization failure message: abc' },
  });

async function checkAws(): Promise<{ code: number | null; stdout: string }> {
  const child = spawn('npm', ['start', '--silent', '--', '--check-aws'], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...SAFE_BOT_ENV, ...env() }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout };
}

describe('the launch permission check of the real bot', () => {
  test('at start: /healthz says ok once EC2 answered DryRunOperation, and the log says so', async () => {
    const bot = await startBot(env());
    try {
      const health = await eventually(async () => {
        const body = (await (await fetch(`${bot.url}/healthz`)).json()) as { checks: { launch_permission: { state: string } } };
        return body.checks.launch_permission.state === 'ok' ? body : undefined;
      }, 'launch permission ok');
      expect(health).toMatchObject({ ok: true, checks: { launch_permission: { state: 'ok', detail: 'a spot launch of t3.micro is allowed (RunInstances DryRun)' } } });
      expect(bot.logs.some((l) => l.msg === 'launch permission: ok')).toBe(true);
    } finally {
      await bot.stop();
    }
  });

  test('refused: /healthz answers 503 with ok: false, and the log carries EC2\u2019s message', async () => {
    refuseDryRuns();
    const bot = await startBot(env());
    try {
      const res = await eventually(async () => {
        const r = await fetch(`${bot.url}/healthz`);
        return r.status === 503 ? r : undefined;
      }, '/healthz 503');
      expect(await res.json()).toMatchObject({ ok: false, checks: { launch_permission: { state: 'refused' } } });
      const logged = bot.logs.find((l) => l.msg === 'launch permission: refused, every job will fail to launch until the IAM policy allows it');
      expect(logged?.awsMessage).toContain('Encoded authorization failure message: abc');
    } finally {
      await bot.stop();
    }
  });

  test('npm start -- --check-aws: exit 0 and ok when allowed, exit 1 and refused when not', async () => {
    const allowed = await checkAws();
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout)).toMatchObject({ state: 'ok' });
    refuseDryRuns();
    const refused = await checkAws();
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({ state: 'refused', message: expect.stringContaining('Encoded authorization failure message') });
  });
});
