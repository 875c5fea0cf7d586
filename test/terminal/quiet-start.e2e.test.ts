/**
 * `npm start` says nothing but its banner before the prompt: no runtime warning (the AWS SDK's
 * multi-line notice about its future Node requirement once stood above it), no log line, no
 * stack. The real `npm start` in a pseudo-terminal (tmux on a private socket), with no AWS and no
 * Slack variables, a temporary data folder and a stub docker first on PATH (test/harness/agent.ts).
 *
 * npm's own two-line header (`> sched@… start`, `> tsx bot/main.ts`) is npm's, not Sched's, and
 * is allowed above the banner; every other line must be the banner's, in order.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { renderBannerLines } from '../../bot/terminal/banner.js';
import { makeStubBin, type StubBin } from '../harness/agent.js';
import { freePort } from '../harness/bot-process.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOCKET = `sched-quiet-start-${process.pid}`;
const SESSION = 'sched';

let scratch: string;
let stubs: StubBin;

async function tmux(...args: string[]): Promise<string> {
  // Without TMUX: a test run from inside tmux must not talk to the user's server.
  const env = { ...process.env };
  delete env.TMUX;
  return (await run('tmux', ['-L', SOCKET, ...args], { env })).stdout;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

beforeAll(async () => {
  await run('tmux', ['-V']).catch(() => {
    throw new Error("tmux not found: install Debian's tmux package (apt-get install -y tmux)");
  });
  scratch = await mkdtemp(join(tmpdir(), 'sched-quiet-start-'));
  stubs = await makeStubBin();
});

afterAll(async () => {
  await run('tmux', ['-L', SOCKET, 'kill-server']).catch(() => undefined);
  await stubs?.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

test('npm start prints its banner and the prompt, nothing else', { timeout: 90_000 }, async () => {
  const dataDir = join(scratch, 'data');
  const port = await freePort();
  const env = {
    HOME: process.env.HOME ?? scratch,
    PATH: `${stubs.dir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    AWS_EC2_METADATA_DISABLED: 'true',
    SCHED_DATA_DIR: dataDir,
    SCHED_PORT: String(port),
    LANG: 'C.UTF-8',
  };
  const assignments = Object.entries(env)
    .map(([key, value]) => `${key}=${shellQuote(value)}`)
    .join(' ');
  const script = join(scratch, 'run.sh');
  // env -i: nothing of this test's environment (vitest's own variables among them) reaches Sched.
  await writeFile(script, `#!/bin/sh\ncd ${shellQuote(ROOT)} || exit 99\nenv -i TERM="\${TERM:-screen}" ${assignments} npm start\n`);
  await writeFile(join(scratch, 'tmux.conf'), 'set -g remain-on-exit on\nset -g history-limit 5000\n');
  await tmux('-f', join(scratch, 'tmux.conf'), '-u', 'new-session', '-d', '-x', '200', '-y', '50', '-s', SESSION, `sh ${shellQuote(script)}`);

  const deadline = Date.now() + 60_000;
  let screen = '';
  while (Date.now() < deadline) {
    screen = (await tmux('capture-pane', '-p', '-J', '-S', '-', '-t', SESSION))
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n')
      .replace(/\n+$/, '');
    if (/(^|\n)sched>$/.test(screen)) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(screen, 'the prompt').toMatch(/(^|\n)sched>$/);

  const lines = screen.split('\n').slice(0, -1);
  const npmHeader = lines.findIndex((line) => line === '> tsx bot/main.ts');
  const ours = lines.slice(npmHeader + 1).filter((line, index) => !(index === 0 && line === ''));
  const banner = renderBannerLines({
    compute: { kind: 'local', containerCli: 'docker' },
    store: { kind: 'embedded', path: join(dataDir, 'db') },
    apiUrl: `http://127.0.0.1:${port}`,
    apiTokenSet: false,
    logFile: join(dataDir, 'sched.log'),
    interactive: true,
  });
  expect(ours).toEqual(banner);
  // Above the banner: only npm's header, if any.
  expect(lines.slice(0, npmHeader + 1).filter((line) => line !== '' && !line.startsWith('> '))).toEqual([]);
});
