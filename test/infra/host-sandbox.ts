/**
 * Runs the bot host's boot script and start script on this machine without touching it: every
 * host command they call (dnf, useradd, systemctl, aws, node-22, …) is a stub first on PATH that
 * records its argv, and every path the boot script writes is under a scratch root
 * (`SCHED_HOST_ROOT`). The stub `aws` serves `s3 cp` from a given file and `ssm get-parameters`
 * from a given map; the stub `node-22` writes the environment it was started with to a file.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface HostSandbox {
  /** Stands for `/` of the host. */
  root: string;
  /** Every stub call so far, in order: `[command, ...argv]`. */
  calls(): Promise<string[][]>;
  /** Runs a script with bash, the stubs first on PATH; `env` is all the environment it gets. */
  run(script: string, env?: Record<string, string>): Promise<{ code: number | null; stderr: string }>;
  /** The environment `node-22` was started with, or undefined if it never was. */
  nodeEnvironment(): Promise<Record<string, string> | undefined>;
  cleanup(): Promise<void>;
}

export interface HostSandboxOptions {
  /** What `aws s3 cp` "downloads". */
  bundle: Buffer;
  /** What `aws ssm get-parameters` knows: name → value. */
  parameters?: Record<string, string>;
}

const STUBS = ['dnf', 'yum', 'useradd', 'systemctl', 'sleep', 'sudo', 'shutdown'] as const;

export async function makeHostSandbox(opts: HostSandboxOptions): Promise<HostSandbox> {
  const dir = await mkdtemp(join(tmpdir(), 'sched-host-'));
  const root = join(dir, 'root');
  const bin = join(dir, 'bin');
  const log = join(dir, 'calls.log');
  const nodeEnv = join(dir, 'node-env.json');
  await mkdir(root);
  await mkdir(bin);
  await writeFile(join(dir, 'bundle'), opts.bundle);
  await writeFile(join(dir, 'parameters.tsv'), Object.entries(opts.parameters ?? {}).map(([name, value]) => `${name}\t${value}\n`).join(''));

  // Fields are separated by \x1f and calls by \x1e, so any argv survives the round trip.
  const record = (name: string) => `#!/bin/bash\n{ printf '%s\\x1f' '${name}' "$@"; printf '\\x1e'; } >>'${log}'\n`;
  for (const name of STUBS) await writeFile(join(bin, name), `${record(name)}exit 0\n`);
  // `id -u sched`: the service user does not exist yet on a fresh host.
  await writeFile(join(bin, 'id'), `${record('id')}exit 1\n`);
  await writeFile(
    join(bin, 'aws'),
    `${record('aws')}
if [ "$1 $2" = "s3 cp" ]; then cp '${join(dir, 'bundle')}' "\${@: -1}"; exit 0; fi
if [ "$1 $2" = "ssm get-parameters" ]; then
  while IFS=$'\\t' read -r name value; do
    for arg in "$@"; do [ "$arg" = "$name" ] && printf '%s\\t%s\\n' "$name" "$value"; done
  done <'${join(dir, 'parameters.tsv')}'
  exit 0
fi
echo "aws stub: unexpected call: $*" >&2
exit 2
`,
  );
  await writeFile(
    join(bin, 'node-22'),
    `${record('node-22')}exec node -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify(process.env))' '${nodeEnv}'\n`,
  );
  await Promise.all([...STUBS, 'id', 'aws', 'node-22'].map((name) => chmod(join(bin, name), 0o755)));

  return {
    root,
    async calls() {
      const text = await readFile(log, 'utf8').catch(() => '');
      return text
        .split('\x1e')
        .filter((entry) => entry !== '')
        .map((entry) => entry.split('\x1f').slice(0, -1));
    },
    async run(script, env = {}) {
      const file = join(dir, `script-${Date.now()}-${Math.random().toString(36).slice(2)}.sh`);
      await writeFile(file, script, { mode: 0o755 });
      return new Promise((resolve, reject) => {
        const child = spawn('bash', [file], {
          env: { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, SCHED_HOST_ROOT: root, ...env },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.once('error', reject);
        child.once('exit', (code) => {
          clearTimeout(timer);
          resolve({ code, stderr });
        });
      });
    },
    async nodeEnvironment() {
      try {
        return JSON.parse(await readFile(nodeEnv, 'utf8')) as Record<string, string>;
      } catch {
        return undefined;
      }
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Reads a systemd EnvironmentFile the way systemd does for the simple `KEY=value` lines we write. */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const at = line.indexOf('=');
    env[line.slice(0, at)] = line.slice(at + 1);
  }
  return env;
}

/**
 * Boots the host in the sandbox, then starts the service the way systemd would: the start script
 * with the environment file's variables. Returns the environment the bot process got.
 */
export async function bootAndStart(sandbox: HostSandbox, bootScript: string, envFilePath: string, startScriptPath: string) {
  const boot = await sandbox.run(bootScript);
  if (boot.code !== 0) throw new Error(`boot script failed (${boot.code}):\n${boot.stderr}`);
  const fileEnv = parseEnvironmentFile(await readFile(join(sandbox.root, envFilePath), 'utf8'));
  const start = await sandbox.run(await readFile(join(sandbox.root, startScriptPath), 'utf8'), fileEnv);
  if (start.code !== 0) throw new Error(`start script failed (${start.code}):\n${start.stderr}`);
  const seen = await sandbox.nodeEnvironment();
  if (!seen) throw new Error('the start script never started node');
  // What bash and the sandbox add on their own, not what the service was given.
  const { PATH: _path, SCHED_HOST_ROOT: _root, PWD: _pwd, OLDPWD: _oldpwd, SHLVL: _shlvl, _: _last, ...botEnv } = seen;
  return { fileEnv, botEnv };
}
