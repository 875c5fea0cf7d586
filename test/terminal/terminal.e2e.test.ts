/**
 * End to end, the terminal surface of the embedded default, as a person meets it: the real
 * `npm start` in a pseudo-terminal (tmux on a private socket), with no AWS and no Slack variables
 * at all — so compute is local, the store embedded and the chat the terminal, all by default — and
 * a fake docker first on PATH (test/harness/agent.ts) so no container ever runs.
 *
 * Then the same bot with no terminal: stdin closed (`SCHED_CHAT=none`), and stdin a pipe that
 * ends (`SCHED_CHAT=terminal`): neither ends the process.
 *
 * Prints two measurements as JSON lines: `npm start` to the prompt, and Enter on `run` to the
 * job's `succeeded` line for a container that exits at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SCHED_USAGE, USAGE } from '../../bot/core/parsing/help.js';
import { makeStubBin, type StubBin } from '../harness/agent.js';
import { eventually, freePort, reconcilePasses } from '../harness/bot-process.js';
import { makeContainerGate, type ContainerGate } from '../harness/container-gate.js';
import { openTmux, promptIsLast, type Tmux, type TmuxSched } from '../harness/tmux.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const JOB_ID = /\bj-[a-z0-9]+\b/g;

let scratch: string;
let stubs: StubBin;
/** Holds a container's run where a test needs the job running until it says so. */
let gate: ContainerGate;
const children: ChildProcess[] = [];
let tmux: Tmux | undefined;

/** The environment of every bot here, and nothing else: no AWS, no Slack. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  return {
    HOME: process.env.HOME ?? scratch,
    PATH: `${gate.dir}:${stubs.dir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    AWS_EC2_METADATA_DISABLED: 'true',
    SCHED_POLL_SECONDS: '1',
    ...extra,
  };
}

function metric(name: string, ms: number): void {
  console.log(JSON.stringify({ metric: name, ms }));
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sched-terminal-e2e-'));
  [stubs, gate] = await Promise.all([makeStubBin({ dockerOutput: 'hello from the container\n' }), makeContainerGate()]);
});

afterAll(async () => {
  await tmux?.close();
  for (const child of children) {
    try {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  }
  // A job that a failed test left running.
  for (const dir of await readdir(scratch).catch(() => [] as string[])) {
    const runs = join(scratch, dir, 'runs');
    for (const job of await readdir(runs).catch(() => [] as string[])) {
      for (const attempt of await readdir(join(runs, job)).catch(() => [] as string[])) {
        const record = await readFile(join(runs, job, attempt, 'run.json'), 'utf8').catch(() => '');
        const pgid = record ? (JSON.parse(record) as { pgid?: number }).pgid : undefined;
        try {
          if (pgid) process.kill(-pgid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  }
  await Promise.all([stubs?.cleanup(), gate?.cleanup()]);
  await rm(scratch, { recursive: true, force: true });
});

describe('the terminal surface in a pseudo-terminal (tmux)', () => {
  let dataDir: string;
  let port: number;

  let sched: TmuxSched;
  const screen = () => sched.screen();
  const type = (text: string) => sched.type(text);
  const press = (...keys: string[]) => sched.press(...keys);
  const screenUntil: TmuxSched['screenUntil'] = (check, what, timeoutMs) => sched.screenUntil(check, what, timeoutMs);
  const reply = (command: string) => sched.reply(command);

  beforeAll(async () => {
    tmux = await openTmux(scratch);
    dataDir = join(scratch, 'tty');
    port = await freePort();
  });

  test('start, help, run, list, status, bad commands, typing during an update, exit', { timeout: 120_000 }, async () => {
    const t0 = Date.now();
    sched = await tmux!.start('tty', cleanEnv({ SCHED_DATA_DIR: dataDir, SCHED_PORT: String(port), LANG: 'C.UTF-8' }));
    const started = await screenUntil(promptIsLast, 'the prompt', 60_000);
    metric('terminal_start_to_prompt_ms', Date.now() - t0);
    expect(started).toContain('Sched is running.');
    expect(started).toContain('Compute   this machine, with docker');
    expect(started).toContain(`Store     embedded (dynalite) at ${join(dataDir, 'db')}`);
    expect(started).toContain(`REST API  http://127.0.0.1:${port}/v1`);
    expect(started).toMatch(/Type help for the commands .*exit or Ctrl-C stops Sched\./);
    // The JSON log goes to a file, not over the prompt.
    expect(started).not.toContain('"level"');

    // help: the grammar, and how to leave.
    const help = await reply('help');
    for (const usage of Object.values(USAGE)) expect(help).toContain(usage);
    expect(help).toContain('exit, quit or Ctrl-D leave');

    // run: the answer, then requested → started → succeeded, and the container's output.
    const before = (await screen()).length;
    await type('/sched run alpine echo hello');
    const entered = Date.now();
    await press('Enter');
    const created = await screenUntil((t) => /Job j-[a-z0-9]+ started/.test(t.slice(before)), 'the job to be created');
    const id = /Job (j-[a-z0-9]+) started/.exec(created.slice(before))![1]!;
    const done = await screenUntil((t) => t.includes(`${id} alpine  ✓ succeeded`), 'the succeeded line');
    metric('terminal_run_to_succeeded_ms', Date.now() - entered);
    const lines = done.slice(before).split('\n');
    const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    const requested = at(new RegExp(`${id} alpine  ◷ starting on this machine`));
    const running = at(new RegExp(`${id} alpine  ▶ container started`));
    const succeeded = at(new RegExp(`${id} alpine  ✓ succeeded \\(exit 0`));
    expect(at(/Its updates follow here\./)).toBeLessThan(requested);
    expect(requested).toBeGreaterThan(0);
    expect(running).toBeGreaterThan(requested);
    expect(succeeded).toBeGreaterThan(running);
    expect(lines.slice(succeeded + 1, succeeded + 3)).toEqual([`Output of alpine  ${id}`, '  │ hello from the container']);

    // list and status show it.
    const list = await reply('list');
    expect(list).toMatch(new RegExp(`✓ ${id}  alpine — Succeeded`));
    expect(new Set(list.match(JOB_ID))).toEqual(new Set([id]));
    const status = await reply(`status ${id}`);
    expect(status).toContain(`✓ alpine  ${id}`);
    expect(status).toMatch(/Exit code +0/);
    expect(status).toMatch(new RegExp(`Started by +terminal user ${escapeRegExp(userInfo().username)}`));
    expect(status).toContain('Recent events');
    expect(status).toContain('  │ hello from the container');

    // Bad commands: what was wrong and the usage line; nothing changes.
    const runsBefore = (await stubs.dockerRuns()).length;
    for (const [command, error, usage] of [
      ['run', 'run needs an IMAGE', USAGE.run],
      ['run --in 5x alpine', '--in "5x" is not a duration', USAGE.run],
      ['frobnicate', 'unknown command "frobnicate"', SCHED_USAGE],
      ['run alpine "unclosed', 'unbalanced quotes', USAGE.run],
    ] as const) {
      const answer = await reply(command);
      expect(answer.split('\n')[0], command).toBe('✗ Error');
      expect(answer, command).toContain(error);
      expect(answer, command).toContain(`Usage: ${usage}`);
    }
    expect(await reply('list')).toBe(list);
    expect((await stubs.dockerRuns()).length).toBe(runsBefore);
    expect(await readdir(join(dataDir, 'runs'))).toEqual([id]);

    // An update that lands while a line is being typed goes above the prompt; the line stays. The
    // job's container is held until the line is on the screen, so its end comes after it.
    await gate.holdRuns();
    const later = await reply('run --name later alpine echo later');
    const laterId = /Job (j-[a-z0-9]+) started/.exec(later)![1]!;
    await eventually(async () => ((await gate.arrived()).includes(`sched-${laterId}-1`) ? true : undefined), 'the later job\'s container');
    await gate.passRuns();
    await type('list --al');
    const typed = await screenUntil((t) => /\nsched> list --al$/.test(t), 'the typed line');
    expect(typed).not.toContain(`${laterId} later  ✓ succeeded`);
    await gate.release(`sched-${laterId}-1`);
    const updated = await screenUntil((t) => t.includes(`${laterId} later  ✓ succeeded`) && /\nsched> list --al$/.test(t), 'the update above the typed line');
    expect(updated.split('\n').filter((line) => line.startsWith('sched> list --al'))).toHaveLength(1);
    await press('C-u');

    // exit: Sched stops cleanly.
    const log = await readFile(join(dataDir, 'sched.log'), 'utf8');
    const pid = (JSON.parse(log.split('\n').find((line) => line.includes('"sched is running"'))!) as { pid: number }).pid;
    await type('exit');
    await press('Enter');
    expect(await sched.exitCode()).toBe('0');
    // (The exit code comes from the file the pane's shell writes; tmux's own pane status lags under load.)
    expect(await screen()).toMatch(/sched> exit\n⊘ Stopping Sched…/);
    expect(processAlive(pid)).toBe(false);
    // Oldest first; a repeated line moves to its latest place.
    expect(await readFile(join(dataDir, 'history'), 'utf8')).toMatch(/^help\n\/sched run alpine echo hello\nstatus j-[a-z0-9]+\nrun\n[^]*\nlist\n[^]*\nexit\n$/);
  });
});

describe('without a terminal, a closed stdin never ends Sched', () => {
  /** `npm start` as a service manager would run it; resolves once it logs that it runs. */
  async function spawnSched(env: Record<string, string>, stdin: 'ignore' | 'pipe'): Promise<{ child: ChildProcess; stdout: string[]; port: number }> {
    const port = await freePort();
    const child = spawn('npm', ['start', '--silent'], { cwd: ROOT, env: cleanEnv({ SCHED_PORT: String(port), ...env }), stdio: [stdin, 'pipe', 'pipe'], detached: true });
    children.push(child);
    const stdout: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => stdout.push(line));
    child.stderr!.resume();
    return { child, stdout, port };
  }

  async function healthy(port: number): Promise<boolean> {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    return res.status === 200;
  }

  /**
   * Still at work, not a fixed time later: two more reconcile passes (one a second) after this
   * call, still serving, still running.
   */
  async function keepsWorking(child: ChildProcess, port: number): Promise<void> {
    const url = `http://127.0.0.1:${port}`;
    const from = await reconcilePasses(url);
    await eventually(async () => ((await reconcilePasses(url)) >= from + 2 ? true : undefined), 'two more reconcile passes', 30_000);
    expect(child.exitCode).toBeNull();
    expect(await healthy(port)).toBe(true);
  }

  /** SIGTERM to the bot itself (its pid from its log), as a service manager would; npm's exit code. */
  async function stop(child: ChildProcess, logLines: string[]): Promise<number | null> {
    const exited = new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
    const running = logLines.find((line) => line.includes('"sched is running"'));
    const pid = (JSON.parse(running ?? '{}') as { pid?: unknown }).pid;
    expect(pid, 'the bot logs its pid').toBeTypeOf('number');
    process.kill(pid as number, 'SIGTERM');
    return exited;
  }

  test('SCHED_CHAT=none, stdin closed: still serving, reconcile passes later', { timeout: 90_000 }, async () => {
    const { child, stdout, port } = await spawnSched({ SCHED_CHAT: 'none', SCHED_DATA_DIR: join(scratch, 'none') }, 'ignore');
    await eventually(async () => (stdout.some((line) => line.includes('"sched is running"')) ? true : undefined), 'the bot to start', 45_000);
    await keepsWorking(child, port);
    expect(await stop(child, stdout)).toBe(0);
  });

  test('SCHED_CHAT=terminal, stdin a pipe that ends: the commands are answered, then Sched keeps running', { timeout: 90_000 }, async () => {
    const { child, stdout, port } = await spawnSched({ SCHED_CHAT: 'terminal', SCHED_DATA_DIR: join(scratch, 'piped') }, 'pipe');
    child.stdin!.end('list\n');
    await eventually(async () => (stdout.some((line) => line.startsWith('⊘ End of input')) ? true : undefined), 'the end of input', 45_000);
    expect(stdout).toContain('sched> list');
    expect(stdout).toContain('Your jobs');
    await keepsWorking(child, port);
    // The log went to a file: stdout belongs to the terminal surface.
    expect(stdout.some((line) => line.startsWith('{'))).toBe(false);
    expect(await stop(child, (await readFile(join(scratch, 'piped', 'sched.log'), 'utf8')).split('\n'))).toBe(0);
    expect(stdout[stdout.length - 1]).toBe('⊘ Stopping Sched…');
  });
});

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}


function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
