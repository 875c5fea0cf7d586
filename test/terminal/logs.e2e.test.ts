/**
 * End to end, `logs` and `logs -f` at the prompt of the embedded default (issue 11, item 5): the
 * real `npm start` in a pseudo-terminal (tmux on a private socket), local compute, and a `docker`
 * first on PATH whose container prints a line, waits until the test lets it go, then prints
 * another and exits. So a job is running, with output, for exactly as long as the test needs.
 *
 * - `logs JOB` mid-run shows the first line, said to be the output so far;
 * - `cancel JOB`, then `logs JOB`: the first line is still there, said to be the last output;
 * - `logs -f JOB` prints the second line when it comes and returns to the prompt when the job ends;
 * - Enter stops following, and the job goes on.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { eventually, freePort } from '../harness/bot-process.js';
import { openTmux, promptIsLast, type Tmux, type TmuxSched } from '../harness/tmux.js';

let scratch: string;
let gate: string;
let tmux: Tmux;
let sched: TmuxSched;
let env: Record<string, string>;

const shellQuote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

const reply = (command: string) => sched.reply(command);
const screen = () => sched.screen();
const screenUntil: TmuxSched['screenUntil'] = (check, what, timeoutMs) => sched.screenUntil(check, what, timeoutMs);
async function enter(text: string): Promise<void> {
  if (text !== '') await sched.type(text);
  await sched.press('Enter');
}

/** Starts a job and waits until its container has printed its first line; returns the job id. */
async function startJob(name: string): Promise<string> {
  const created = await reply(`run --name ${name} alpine`);
  const id = /Job (j-[a-z0-9]+) started/.exec(created)![1]!;
  await eventually(async () => ((await readFile(join(gate, 'started'), 'utf8').catch(() => '')).includes(`sched-${id}-1`) ? true : undefined), `${name}'s container`);
  return id;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sched-logs-e2e-'));
  gate = join(scratch, 'gate');
  const bin = join(scratch, 'bin');
  await Promise.all([mkdir(gate), mkdir(bin)]);
  // The container: a line, then waits for its release, then another line.
  await writeFile(
    join(bin, 'docker'),
    `#!/bin/bash
case "\${1:-}" in
  run)
    name= prev=
    for arg in "$@"; do [ "$prev" = --name ] && name="$arg"; prev="$arg"; done
    echo "first line of $name"
    printf '%s\\n' "$name" >>${shellQuote(join(gate, 'started'))}
    while [ ! -e ${shellQuote(gate)}/"$name" ]; do sleep 0.05; done
    echo "second line of $name"
    exit 0 ;;
  *) exit 0 ;;
esac
`,
  );
  await chmod(join(bin, 'docker'), 0o755);
  const port = await freePort();
  env = {
    HOME: process.env.HOME ?? scratch,
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    AWS_EC2_METADATA_DISABLED: 'true',
    SCHED_POLL_SECONDS: '1',
    SCHED_DATA_DIR: join(scratch, 'data'),
    SCHED_PORT: String(port),
    LANG: 'C.UTF-8',
  };
  tmux = await openTmux(scratch);
});

afterAll(async () => {
  await tmux.close();
  // A run a failed test left going.
  const runs = join(scratch, 'data', 'runs');
  for (const job of await readdir(runs).catch(() => [] as string[])) {
    const record = await readFile(join(runs, job, '1', 'run.json'), 'utf8').catch(() => '');
    const pgid = record ? (JSON.parse(record) as { pgid?: number }).pgid : undefined;
    try {
      if (pgid) process.kill(-pgid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await rm(scratch, { recursive: true, force: true });
});

test('logs while a job runs and after a cancel; logs -f follows to the end; Enter stops following', { timeout: 180_000 }, async () => {
  sched = await tmux.start('logs', env);
  await screenUntil(promptIsLast, 'the prompt', 60_000);

  // Mid-run: the first line, as the output so far.
  const one = await startJob('one');
  const live = await reply(`logs ${one}`);
  expect(live).toContain(`Output of one  ${one}`);
  expect(live).toMatch(/The job is running: output so far, \d+s ago/);
  expect(live).toContain(`  │ first line of sched-${one}-1`);
  expect(live).not.toContain('second line');

  // Cancelled: the output is still there, said to be the last.
  expect(await reply(`cancel ${one}`)).toContain(`Job ${one} is cancelled.`);
  const after = await reply(`logs ${one}`);
  expect(after).toMatch(/Last output, \d+s ago \(then it was cancelled; nothing more was reported\)/);
  expect(after).toContain(`  │ first line of sched-${one}-1`);

  // logs -f: the first line at once, the second when it comes, then the prompt when the job ends.
  const two = await startJob('two');
  const before = (await screen()).split('\n').length;
  await enter(`logs -f ${two}`);
  const following = await screenUntil((t) => t.split('\n').length > before && t.includes(`Following the output of ${two}`), 'logs -f to start following');
  expect(following.slice(following.lastIndexOf(`sched> logs -f ${two}`))).toContain(`  │ first line of sched-${two}-1`);
  expect(promptIsLast(following)).toBe(false);
  await writeFile(join(gate, `sched-${two}-1`), '');
  const ended = await screenUntil((t) => t.includes(`${two} has ended: Succeeded`) && promptIsLast(t), 'the job to end and the prompt to come back', 30_000);
  const from = ended.lastIndexOf(`Following the output of ${two}`);
  const followed = ended.slice(from, ended.indexOf(`${two} has ended`, from)).split('\n').slice(1);
  // Only the new line, once: the first was in the answer above. Job updates wait until the end.
  expect(followed).toEqual([`  │ second line of sched-${two}-1`, '⊘ ']);
  expect(ended.slice(ended.indexOf(`${two} has ended`))).toContain(`${two} two  ✓ succeeded`);

  // Enter stops following; the job goes on.
  const three = await startJob('three');
  const mark = (await screen()).split('\n').length;
  await enter(`logs -f ${three}`);
  await screenUntil((t) => t.split('\n').length > mark && t.includes(`Following the output of ${three}`), 'logs -f to start following');
  await enter('');
  const stopped = await screenUntil((t) => t.includes(`Stopped following ${three}; the job goes on.`) && promptIsLast(t), 'the prompt after Enter');
  expect(stopped).toContain(`Stopped following ${three}`);
  expect(await reply(`status ${three}`)).toMatch(/Running on this machine/);
  await writeFile(join(gate, `sched-${three}-1`), '');

  await enter('exit');
  expect(await sched.exitCode()).toBe('0');
});
