import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkContainerEngine } from '../../bot/adapters/container-engine.js';
import { renderBannerLines, type BannerFacts } from '../../bot/terminal/banner.js';

const base: BannerFacts = {
  compute: { kind: 'local', containerCli: 'docker' },
  store: { kind: 'embedded', path: '.sched/db' },
  apiUrl: 'http://127.0.0.1:8080',
  apiTokenSet: false,
  interactive: true,
};

async function cliDir(script: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sched-cli-'));
  await writeFile(join(dir, 'docker'), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return dir;
}

describe('what Sched says at start about the container engine', () => {
  test('a docker whose daemon does not answer is named, with the reason', async () => {
    const dir = await cliDir('echo "Client: Docker Engine"; echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" >&2; exit 1');
    const problem = await checkContainerEngine('docker', dir, {});
    expect(problem).toBe('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?');
    const text = renderBannerLines({ ...base, compute: { kind: 'local', containerCli: 'docker', engineProblem: problem } }).join('\n');
    expect(text).toContain('this machine, with docker — which does not answer (Cannot connect to the Docker daemon');
    await rm(dir, { recursive: true });
  });

  test('an engine that answers gives no problem; no CLI at all says so', async () => {
    const dir = await cliDir('echo "Server: Docker Engine"; exit 0');
    expect(await checkContainerEngine('docker', dir, {})).toBeUndefined();
    expect(renderBannerLines(base).join('\n')).toContain('this machine, with docker\n');
    expect(await checkContainerEngine('podman', dir, {})).toMatch(/neither docker nor podman/);
    expect(renderBannerLines({ ...base, compute: { kind: 'local' } }).join('\n')).toMatch(/no container runtime found/);
    await rm(dir, { recursive: true });
  });
});
