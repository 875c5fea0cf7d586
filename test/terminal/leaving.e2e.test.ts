/**
 * End to end, leaving and coming back, as a person at the terminal meets it: the real `npm start`
 * in tmux (test/harness/tmux.ts), the embedded default with no AWS and no Slack, the fake docker
 * of test/harness/agent.ts behind a container gate that holds a job's container until the test
 * lets it go (a job "that runs a while", on any machine).
 *
 * - `exit` with a job running says it keeps running; the run outlives Sched; the next `npm start`
 *   picks it up and the job finishes once, in attempt 1, with its output.
 * - A second `npm start` in the same folder meanwhile says who has it.
 * - `exit --stop-jobs` asks; no keeps everything; yes cancels the job, its run ends, Sched stops.
 * - With a docker whose daemon does not answer, the banner and the failed job's status line say why.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunRecord } from '../../bot/adapters/local-runs.js';
import { makeStubBin, type StubBin } from '../harness/agent.js';
import { eventually, freePort } from '../harness/bot-process.js';
import { makeContainerGate, type ContainerGate } from '../harness/container-gate.js';
import { groupMembers } from '../harness/processes.js';
import { openTmux, promptIsLast, type Tmux, type TmuxSched } from '../harness/tmux.js';

let scratch: string;
let stubs: StubBin;
let down: StubBin;
let gate: ContainerGate;
let tmux: Tmux;

function metric(name: string, ms: number): void {
  console.log(JSON.stringify({ metric: name, ms }));
}

/** A Sched's environment, and nothing else: no AWS, no Slack; a short poll. */
function schedEnv(dataDir: string, port: number, bin: StubBin): Record<string, string> {
  return {
    HOME: process.env.HOME ?? scratch,
    PATH: `${gate.dir}:${bin.dir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    AWS_EC2_METADATA_DISABLED: 'true',
    SCHED_POLL_SECONDS: '1',
    SCHED_DATA_DIR: dataDir,
    // The same port across restarts: a run that outlives Sched reports to the next one there.
    SCHED_PORT: String(port),
    LANG: 'C.UTF-8',
  };
}

async function started(tmuxName: string, env: Record<string, string>): Promise<TmuxSched> {
  const t0 = Date.now();
  const sched = await tmux.start(tmuxName, env);
  await sched.screenUntil(promptIsLast, `${tmuxName}'s prompt`, 60_000);
  metric(`leaving_${tmuxName}_start_to_prompt_ms`, Date.now() - t0);
  return sched;
}

async function recordOf(dataDir: string, id: string, attempt = 1): Promise<RunRecord> {
  return JSON.parse(await readFile(join(dataDir, 'runs', id, String(attempt), 'run.json'), 'utf8')) as RunRecord;
}

/** Runs a job whose container is held at the gate; returns its id once its container is up. */
async function heldJob(sched: TmuxSched, name: string): Promise<string> {
  await gate.holdRuns();
  const answer = await sched.reply(`run --name ${name} alpine echo hello`);
  const id = /Job (j-[a-z0-9]+) started/.exec(answer)?.[1];
  expect(id, answer).toBeDefined();
  await eventually(async () => ((await gate.arrived()).includes(`sched-${id}-1`) ? true : undefined), `${name}'s container`);
  await gate.passRuns();
  await sched.screenUntil((t) => t.includes(`${id} ${name}  ▶ container started`), `${name} running`);
  return id!;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sched-leaving-e2e-'));
  [stubs, down, gate] = await Promise.all([makeStubBin({ dockerOutput: 'hello from the container\n' }), makeStubBin({ engineDown: true }), makeContainerGate()]);
  tmux = await openTmux(scratch);
});

afterAll(async () => {
  await tmux?.close();
  // A run that a failed test left going.
  for (const dir of await readdir(scratch).catch(() => [] as string[])) {
    const runs = join(scratch, dir, 'runs');
    for (const job of await readdir(runs).catch(() => [] as string[])) {
      for (const attempt of await readdir(join(runs, job)).catch(() => [] as string[])) {
        const pgid = await recordOf(join(scratch, dir), job, Number(attempt)).then((r) => r.pgid, () => undefined);
        try {
          if (pgid) process.kill(-pgid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  }
  await Promise.all([stubs?.cleanup(), down?.cleanup(), gate?.cleanup()]);
  await rm(scratch, { recursive: true, force: true });
});

describe('leaving the terminal and coming back (tmux)', () => {
  test('exit leaves a running job going; a second start is refused meanwhile; the next start finishes it once, in attempt 1', { timeout: 120_000 }, async () => {
    const dataDir = join(scratch, 'keep');
    const env = schedEnv(dataDir, await freePort(), stubs);
    const first = await started('first', env);
    const id = await heldJob(first, 'sleeper');

    // A second start in the same folder names the one running and exits, without a stack trace.
    const owner = (await readFile(join(dataDir, 'lock'), 'utf8')).trim();
    const second = await tmux.start('second', env);
    expect(await second.exitCode()).toBe('1');
    const refused = await second.screen();
    expect(refused).toContain(`sched: Sched is already running from this folder (${dataDir}, pid ${owner}).`);
    expect(refused).not.toMatch(/\bat .*\.(ts|js):\d+/);

    await first.type('exit');
    await first.press('Enter');
    expect(await first.exitCode()).toBe('0');
    expect(await first.screen()).toMatch(
      /sched> exit\n⊘ Stopping Sched…\n⊘ 1 job keeps running on this machine; the next `npm start` picks it up\. `exit --stop-jobs` cancels it\.(\s+Pane is dead.*)?$/,
    );
    // The run outlived Sched, as an instance would.
    const run = await recordOf(dataDir, id);
    expect(run.state).toBe('running');
    expect(await groupMembers(run.pgid!)).not.toEqual([]);

    const again = await started('again', env);
    await gate.release(`sched-${id}-1`);
    const done = await again.screenUntil((t) => t.includes(`${id} sleeper  ✓ succeeded`), 'the job to succeed');
    expect(done).toContain('  │ hello from the container');
    const status = await again.reply(`status ${id}`);
    expect(status).toMatch(/Attempts +1 \(0 interruptions/);
    expect(status.split('\n').filter((line) => line.includes('✓ succeeded'))).toHaveLength(1);
    expect(status).not.toContain('attempt 2');
    expect(await readdir(join(dataDir, 'runs', id))).toEqual(['1']);

    // exit --stop-jobs: asked once; no keeps the job and Sched; yes cancels it, ends its run and stops Sched.
    const kept = await heldJob(again, 'stopper');
    await again.type('exit --stop-jobs');
    await again.press('Enter');
    await again.screenUntil((t) => /\nCancel 1 running job\? \[y\/N\]$/.test(t), 'the question');
    const asked = (await again.screen()).split('\n').length;
    await again.type('n');
    await again.press('Enter');
    const no = await again.screenUntil((t) => t.split('\n').length > asked && promptIsLast(t), 'the prompt after no');
    expect(no).toContain('Cancel 1 running job? [y/N] n\n⊘ Nothing was cancelled; the jobs and Sched keep running.\nsched>');
    expect((await recordOf(dataDir, kept)).state).toBe('running');

    await again.type('exit --stop-jobs');
    await again.press('Enter');
    await again.screenUntil((t) => /\nCancel 1 running job\? \[y\/N\]$/.test(t), 'the question again');
    await again.type('y');
    await again.press('Enter');
    expect(await again.exitCode()).toBe('0');
    const stopped = await again.screen();
    expect(stopped).toContain(`Cancel 1 running job? [y/N] y\n⊘ Job ${kept} is cancelled.`);
    expect(stopped).toMatch(new RegExp(`${kept} stopper  ⊘ cancelled by `));
    // Nothing keeps running: nothing more is said.
    expect(stopped).toMatch(/⊘ Stopping Sched…(\s+Pane is dead.*)?$/);
    const cancelled = await recordOf(dataDir, kept);
    expect(cancelled).toMatchObject({ state: 'ended', endReason: 'terminated' });
    expect(await groupMembers(cancelled.pgid!)).toEqual([]);
  });

  test('a docker whose daemon does not answer: the banner and the job\'s status line say why and what to do', { timeout: 90_000 }, async () => {
    const sched = await started('down', schedEnv(join(scratch, 'down'), await freePort(), down));
    expect(await sched.screen()).toMatch(/Compute +this machine, with docker — which does not answer \(.*\): jobs will fail until it does/);
    const answer = await sched.reply('run alpine echo hello');
    const id = /Job (j-[a-z0-9]+) started/.exec(answer)?.[1];
    expect(id, answer).toBeDefined();
    const failed = await sched.screenUntil((t) => new RegExp(`${id} alpine  ✗ `).test(t), 'the job to fail');
    const line = failed.split('\n').find((l) => l.includes(`${id} alpine  ✗ `))!;
    expect(line).toContain('docker does not answer');
    expect(line).toContain('start Docker');
    expect(line).not.toContain('exit code 125');
    const status = await sched.reply(`status ${id}`);
    expect(status).toContain('docker does not answer');
    await sched.press('C-d');
    expect(await sched.exitCode()).toBe('0');
  });
});
