/**
 * `npm start` says nothing but its banner before the prompt: no runtime warning (the AWS SDK's
 * multi-line notice about its future Node requirement once stood above it), no log line, no
 * stack. The real `npm start` in a pseudo-terminal (tmux on a private socket), with no AWS and no
 * Slack variables, a temporary data folder and a stub docker first on PATH (test/harness/agent.ts).
 *
 * npm's own two-line header (`> sched@… start`, `> tsx bot/main.ts`) is npm's, not Sched's, and
 * is allowed above the banner; every other line must be the banner's, in order.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { renderBannerLines } from '../../bot/terminal/banner.js';
import { makeStubBin, type StubBin } from '../harness/agent.js';
import { freePort } from '../harness/bot-process.js';
import { openTmux, promptIsLast, type Tmux } from '../harness/tmux.js';

let scratch: string;
let stubs: StubBin;
let tmux: Tmux | undefined;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sched-quiet-start-'));
  stubs = await makeStubBin();
  tmux = await openTmux(scratch);
});

afterAll(async () => {
  await tmux?.close();
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
  // env -i: nothing of this test's environment (vitest's own variables among them) reaches Sched.
  const screen = await tmux!.start('quiet', env).then((sched) => sched.screenUntil(promptIsLast, 'the prompt', 60_000));

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
