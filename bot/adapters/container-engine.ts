/**
 * The container engine on this machine, for the local fleet: which CLI there is (docker preferred,
 * podman else), whether its engine answers, and the part of the bot's environment the CLI needs.
 * main.ts and the terminal banner use these at start too, to tell users what is missing.
 */
import { execFile } from 'node:child_process';
import { constants, accessSync, statSync } from 'node:fs';
import { readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export type ContainerCli = 'docker' | 'podman';

/** What users read, at start and on every job, when this machine cannot run containers. */
export const NO_CONTAINER_CLI_MESSAGE = 'neither docker nor podman is installed; install one to run jobs locally';

/** The absolute path of an executable `name` on `pathEnv`, if there is one. */
export function findOnPath(name: string, pathEnv: string | undefined): string | undefined {
  // An empty PATH entry means the current directory: never look there.
  for (const dir of (pathEnv ?? '').split(delimiter).filter((d) => d.startsWith('/'))) {
    const file = join(dir, name);
    try {
      if (!statSync(file).isFile()) continue;
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not there, or not executable
    }
  }
  return undefined;
}

/** The container CLI this machine has: docker if it is anywhere on PATH, else podman. */
export function detectContainerCli(pathEnv: string | undefined): ContainerCli | undefined {
  if (findOnPath('docker', pathEnv)) return 'docker';
  if (findOnPath('podman', pathEnv)) return 'podman';
  return undefined;
}

/**
 * Whether the container engine answers: a docker CLI whose daemon is not running is the usual
 * way "docker is installed" still fails every job. `version` talks to the engine (docker) or
 * runs daemonless (podman). Undefined when it answers; else the CLI's first line of complaint.
 */
export function checkContainerEngine(cli: ContainerCli, pathEnv: string | undefined, env: Record<string, string>): Promise<string | undefined> {
  const cliPath = findOnPath(cli, pathEnv);
  if (!cliPath) return Promise.resolve(NO_CONTAINER_CLI_MESSAGE);
  return new Promise((resolve) => {
    execFile(cliPath, ['version'], { env: { ...env, PATH: pathEnv ?? '' }, timeout: ENGINE_CHECK_TIMEOUT_MS }, (err, _stdout, stderr) => {
      if (!err) return resolve(undefined);
      const said = String(stderr).split('\n').map((line) => line.trim()).find((line) => line !== '');
      resolve(said ?? `\`${cli} version\` failed: ${err.message}`);
    });
  });
}

const ENGINE_CHECK_TIMEOUT_MS = 5_000;

/**
 * Variables the container CLI needs to reach the user's engine and registries (rootless Podman's
 * runtime dir, Docker contexts, proxies), picked from the bot's environment. Everything else stays
 * out of the script's environment, and the registry logins are replaced with none for each run
 * (local-fleet.ts, `NO_LOGINS_DIR`).
 */
const CONTAINER_ENV_KEYS = [
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LC_ALL',
  'XDG_RUNTIME_DIR',
  'XDG_CONFIG_HOME',
  'XDG_DATA_HOME',
  'DBUS_SESSION_BUS_ADDRESS',
  'DOCKER_HOST',
  'DOCKER_CONFIG',
  'DOCKER_CONTEXT',
  'DOCKER_CERT_PATH',
  'DOCKER_TLS_VERIFY',
  'CONTAINER_HOST',
  'CONTAINER_CONNECTION',
  'CONTAINERS_CONF',
  'CONTAINERS_STORAGE_CONF',
  'CONTAINERS_REGISTRIES_CONF',
  'REGISTRY_AUTH_FILE',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
] as const;

const LOOPBACK_NO_PROXY = ['127.0.0.1', 'localhost', '::1'];

export function containerEnvFrom(env: Record<string, string | undefined>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const key of CONTAINER_ENV_KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  // The agent's curl honours proxies too, and a proxy cannot reach the bot on loopback.
  if (picked.HTTP_PROXY ?? picked.http_proxy ?? picked.HTTPS_PROXY ?? picked.https_proxy) {
    for (const key of ['NO_PROXY', 'no_proxy'] as const) {
      const existing = (picked[key] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      picked[key] = [...new Set([...existing, ...LOOPBACK_NO_PROXY])].join(',');
    }
  }
  return picked;
}

/**
 * Fills `target` (an empty folder a run's CLI gets as `DOCKER_CONFIG`) with what of the host
 * user's docker configuration reaches the engine — the current context and the contexts' folder,
 * so Docker Desktop's or a remote engine still answers — and nothing that logs in to a registry
 * (`auths`, `credsStore`, `credHelpers` stay behind). `env`: the bot's `containerEnvFrom`.
 */
export async function writeEngineOnlyDockerConfig(target: string, env: Record<string, string>): Promise<void> {
  const hostDir = env.DOCKER_CONFIG ?? (env.HOME ? join(env.HOME, '.docker') : undefined);
  if (!hostDir) return;
  let currentContext: unknown;
  try {
    currentContext = (JSON.parse(await readFile(join(hostDir, 'config.json'), 'utf8')) as { currentContext?: unknown }).currentContext;
  } catch {
    // no readable config: the CLI's defaults, as on the host
  }
  if (typeof currentContext === 'string' && currentContext !== '') {
    await writeFile(join(target, 'config.json'), JSON.stringify({ currentContext }), { mode: 0o600 });
  }
  const contexts = join(hostDir, 'contexts');
  if (await isDirectory(contexts)) await symlink(contexts, join(target, 'contexts')).catch(() => undefined);
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}
