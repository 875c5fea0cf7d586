/**
 * Starts a private moto server (EC2 + DynamoDB emulator) on loopback for one test file.
 * moto is Python: `python3 -m pip install 'moto[server]'` installs it (.ci/run does).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export const TEST_REGION = 'us-west-2';
export const TEST_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

export interface Moto {
  endpoint: string;
  /** Client options for any AWS SDK v3 client against this server. */
  clientConfig: { endpoint: string; region: string; credentials: typeof TEST_CREDENTIALS; maxAttempts: number };
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export function motoAvailable(): boolean {
  return spawnSync('moto_server', ['--help'], { stdio: 'ignore' }).status === 0;
}

export async function startMoto(): Promise<Moto> {
  if (!motoAvailable()) {
    throw new Error("moto_server not found: install it with python3 -m pip install 'moto[server]'");
  }
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('moto_server did not start within 20 s')), 20_000);
    const onLine = (line: string) => {
      const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('exit', (code) => reject(new Error(`moto_server exited with ${code}`)));
  });
  return {
    endpoint,
    clientConfig: { endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 },
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset: ${res.status}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
      await exited;
    },
  };
}
