/**
 * Runs the bot as its own process, exactly as an operator would (`npm start`), with the given
 * environment, and reads its JSON log lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface BotProcess {
  url: string;
  port: number;
  /** The process group's leader (`npm` or `tsx`); the bot's node process is in its group. */
  pid: number;
  logs: Record<string, unknown>[];
  stderr: string[];
  /** Sends SIGTERM and waits for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILLs the bot's whole process group (a crash) and waits for it to be gone. */
  crash(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Variables every test bot gets: loopback only, no real AWS credential lookup. */
export const SAFE_BOT_ENV = {
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  AWS_REGION: 'us-west-2',
  SCHED_HOST: '127.0.0.1',
  SCHED_CHAT: 'none',
} as const;

export interface StartBotOptions {
  readyTimeoutMs?: number;
  /**
   * Start from this working directory, as a user who runs Sched elsewhere would, and with only
   * the variables given (no test defaults): what `npm start` does with nothing configured.
   */
  bareIn?: string;
  /**
   * Run this bundle (infra/bot-bundle.ts: what the bot host runs) with `node` instead of `npm
   * start`: the same bot, started in a few seconds rather than after tsx compiles it (a test that
   * restarts bots many times). DynamoDB only: the bundle carries no embedded store.
   */
  bundle?: string;
}

const REPO = fileURLToPath(new URL('../..', import.meta.url));

export async function startBot(env: Record<string, string>, opts: StartBotOptions = {}): Promise<BotProcess> {
  const port = Number(env.SCHED_PORT ?? (await freePort()));
  const base = { PATH: process.env.PATH, HOME: process.env.HOME };
  const child: ChildProcess = opts.bareIn
    ? spawn(join(REPO, 'node_modules', '.bin', 'tsx'), [join(REPO, 'bot', 'main.ts')], {
        cwd: opts.bareIn,
        env: { ...base, AWS_EC2_METADATA_DISABLED: 'true', SCHED_PORT: String(port), ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      })
    : opts.bundle
      ? spawn(process.execPath, [opts.bundle], {
          env: { ...base, ...SAFE_BOT_ENV, SCHED_PORT: String(port), ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        })
      : spawn('npm', ['start', '--silent'], {
          env: { ...base, ...SAFE_BOT_ENV, SCHED_PORT: String(port), ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => stderr.push(line));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bot did not start:\n${stderr.join('\n')}`)), opts.readyTimeoutMs ?? 30_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'sched is running') {
          clearTimeout(timer);
          resolve();
        }
      } catch {
        stderr.push(line);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`bot exited with ${code}:\n${stderr.join('\n')}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    logs,
    stderr,
    async crash() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await exited;
    },
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Polls `probe` until it returns a value (not undefined) or the time runs out. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Reconcile passes a running bot has made, from its `/metrics` (`url` is its base URL). */
export async function reconcilePasses(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^sched_reconcile_passes_total (\d+)$/m.exec(text)?.[1] ?? NaN);
}
