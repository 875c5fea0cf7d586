/**
 * Process facts the local compute adapter needs and Node does not give: whether a pid is still the
 * process we started (pids are reused), and whether any member of a process group is still alive
 * (or is gone within a grace period).
 *
 * Linux answers from /proc. Elsewhere (macOS, the BSDs) `ps` answers, which is slower but only
 * asked once per run and tick. Zombies count as gone everywhere: a zombie has finished, it only
 * waits for its parent to read its status, and `kill(pid, 0)` would still succeed on it.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

interface ProcStat {
  state: string;
  pgrp: number;
  /** Clock ticks after boot at which the process started. */
  startTime: string;
}

let procAvailable: Promise<boolean> | undefined;
let bootId: Promise<string> | undefined;

function hasProc(): Promise<boolean> {
  procAvailable ??= readFile('/proc/self/stat', 'utf8').then(
    () => true,
    () => false,
  );
  return procAvailable;
}

// A start time counts clock ticks since boot, so after a reboot it could match by chance.
function currentBootId(): Promise<string> {
  bootId ??= readFile('/proc/sys/kernel/random/boot_id', 'utf8').then(
    (id) => id.trim(),
    () => 'unknown-boot',
  );
  return bootId;
}

async function readProcStat(pid: number | string): Promise<ProcStat | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may itself contain spaces and parentheses: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const pgrp = Number(fields[2]);
  const startTime = fields[19];
  if (state === undefined || startTime === undefined || !Number.isInteger(pgrp)) return undefined;
  return { state, pgrp, startTime };
}

/**
 * An identity for a live process that differs between two processes that had the same pid, or
 * `undefined` when no live (non-zombie) process has this pid.
 */
export async function processStartMarker(pid: number): Promise<string | undefined> {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (await hasProc()) {
    const stat = await readProcStat(pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X') return undefined;
    return `${await currentBootId()}/${stat.startTime}`;
  }
  try {
    const { stdout } = await execFileAsync('ps', ['-o', 'stat=', '-o', 'lstart=', '-p', String(pid)], { timeout: 5_000 });
    const line = stdout.trim();
    if (line === '' || line.startsWith('Z')) return undefined;
    return line.replace(/^\S+\s+/, '');
  } catch {
    // ps exits non-zero when no process has the pid.
    return undefined;
  }
}

/** Whether any live (non-zombie) process is in the process group `pgid`. */
export async function processGroupAlive(pgid: number): Promise<boolean> {
  if (!Number.isSafeInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    // EPERM: the group exists but belongs to someone else, which is alive all the same.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (await hasProc()) {
    const pids = (await readdir('/proc').catch(() => [] as string[])).filter((name) => /^\d+$/.test(name));
    const stats = await Promise.all(pids.map((pid) => readProcStat(pid)));
    return stats.some((stat) => stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X');
  }
  try {
    const { stdout } = await execFileAsync('ps', ['-A', '-o', 'pgid=', '-o', 'stat='], { timeout: 5_000 });
    return stdout.split('\n').some((line) => {
      const [group, stat] = line.trim().split(/\s+/);
      return Number(group) === pgid && stat !== undefined && !stat.startsWith('Z');
    });
  } catch {
    return true; // cannot tell: assume alive, so nothing is reported gone that is not
  }
}

/** Sends `signal` to every process of the group; `false` when the group no longer exists. */
export function signalProcessGroup(pgid: number, signal: NodeJS.Signals): boolean {
  // -1 and 0 would signal every process we may signal, or our own group: never.
  if (!Number.isSafeInteger(pgid) || pgid <= 1) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Whether every member of the process group is gone within `timeoutMs` (checked every 50 ms). */
export async function waitUntilGone(pgid: number, timeoutMs: number): Promise<boolean> {
  // A grace period, not a time of day: the monotonic clock, which no wall-clock step can skew.
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (!(await processGroupAlive(pgid))) return true;
    if (performance.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
