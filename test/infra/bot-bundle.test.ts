/**
 * The bot bundle the bot host runs: one file, reproducible, free of the embedded store's native
 * code, and able to start the bot for real: run with `node` (no node_modules next to it) against
 * moto as AWS, with the environment the Pulumi program writes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildBotBundle, type BotBundle } from '../../infra/bot-bundle.js';
import { botEnvironment } from '../../infra/bot-environment.js';
import { freePort } from '../harness/bot-process.js';
import { TEST_CREDENTIALS, TEST_REGION, startMoto, type Moto } from '../harness/moto.js';

const dir = mkdtempSync(join(tmpdir(), 'sched-bundle-'));
let bundle: BotBundle;

beforeAll(() => {
  bundle = buildBotBundle(join(dir, 'sched.cjs'));
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the bot bundle', () => {
  test('is one file of a few MiB, and the same bytes from the same sources', () => {
    expect(bundle.bytes).toBeGreaterThan(1 << 20);
    expect(bundle.bytes).toBeLessThan(16 << 20);
    console.info(`bot bundle: ${bundle.bytes} bytes (${(bundle.bytes / 2 ** 20).toFixed(2)} MiB), sha256 ${bundle.sha256}`);
    expect(buildBotBundle(join(dir, 'again.cjs')).sha256).toBe(bundle.sha256);
  });

  test('starts the bot from a directory with nothing else in it, and serves /healthz against AWS (moto)', async () => {
    // No moto here fails the test with how to install it (startMoto says): never a silent skip.
    const moto: Moto = await startMoto();
    const alone = mkdtempSync(join(tmpdir(), 'sched-host-opt-'));
    let child: ChildProcess | undefined;
    try {
      copyFileSync(bundle.path, join(alone, 'sched.cjs'));
      const port = await freePort();
      const env = {
        ...botEnvironment({
          region: TEST_REGION,
          deployment: 'sched-bundle-test',
          port,
          publicUrl: `http://127.0.0.1:${port}`,
          tableName: 'sched-bundle-test-jobs',
          retentionDays: 30,
          workerImageId: 'ami-12c6146b',
          workerInstanceTypes: ['t4g.medium'],
          subnetIds: [],
          workerSecurityGroupId: 'sg-0123456789abcdef0',
          workerInstanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/workers',
          allowedUsers: [],
          allowedChannels: [],
          admins: [],
        }),
        SCHED_SECRET: 'x'.repeat(48),
        SCHED_API_TOKEN: 'y'.repeat(48),
        // Loopback only, moto for AWS, and no Slack: tests talk to 127.0.0.1 alone.
        SCHED_HOST: '127.0.0.1',
        SCHED_CHAT: 'none',
        SCHED_DATA_DIR: join(alone, 'state'),
        AWS_ENDPOINT_URL: moto.endpoint,
        AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
        AWS_EC2_METADATA_DISABLED: 'true',
      };
      child = spawn(process.execPath, [join(alone, 'sched.cjs')], { cwd: alone, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      const stderr: string[] = [];
      createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the bundled bot did not start:\n${stderr.join('\n')}`)), 45_000);
        createInterface({ input: child!.stdout! }).on('line', (line) => {
          if (line.includes('"sched is running"')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child!.once('exit', (code) => reject(new Error(`the bundled bot exited with ${code}:\n${stderr.join('\n')}`)));
      });
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
    } finally {
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child!.once('exit', resolve));
        // Graceful shutdown is main.ts's to test; here it would only cost seconds.
        child.kill('SIGKILL');
        await exited;
      }
      await moto.stop();
      rmSync(alone, { recursive: true, force: true });
    }
  }, 60_000);
});
