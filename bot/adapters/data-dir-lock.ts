/**
 * One Sched per data folder. The embedded store and the local runs belong to one process: a second
 * `npm start` in the same folder would fight the first over the store (dynalite's LevelDB lock
 * answers "Database is closed") and over the runs. The lock is a file, `<dataDir>/lock`, holding
 * the owner's pid; it is created exclusively, removed on a clean exit, and taken over when the
 * pid it names no longer runs (the owner was killed). A pid reused by an unrelated process after a
 * reboot would keep the folder locked until that process ends; the error names the pid to check.
 */
import { chmodSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Another live process holds the folder. */
export class DataDirBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`Sched is already running from this folder (${dataDir}, pid ${pid}). Stop it first, or start this one with another SCHED_DATA_DIR.`);
    this.name = 'DataDirBusyError';
  }
}

export interface DataDirLock {
  /** The pid of the owner this lock replaced, when it took a dead owner's lock over. */
  readonly tookOverFrom?: number;
  /** Gives the folder up (only if the lock is still this process's). */
  release(): void;
}

/** Whether a process with this pid runs (or runs as another user: EPERM still means alive). */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the folder for this process, or throws {@link DataDirBusyError}. `alive` is injectable so
 * a test can name a live owner without one.
 */
export function lockDataDir(dataDir: string, pid = process.pid, alive: (pid: number) => boolean = processRuns): DataDirLock {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // It holds the secret and the jobs' env values: a folder an older Sched made 0755 is tightened.
  chmodSync(dataDir, 0o700);
  const path = join(dataDir, 'lock');
  let tookOverFrom: number | undefined;
  // Two tries: the second follows the removal of a dead owner's lock.
  for (let tries = 0; tries < 2; tries += 1) {
    if (createExclusively(path, pid)) return { ...(tookOverFrom !== undefined && { tookOverFrom }), release: () => releaseIfOurs(path, pid) };
    const owner = readOwner(path);
    if (owner !== undefined && owner !== pid && alive(owner)) throw new DataDirBusyError(dataDir, owner);
    // Dead owner, or an unreadable lock: move it aside. Of two processes doing this at once only
    // one rename succeeds; the other finds the new lock on its second try.
    try {
      renameSync(path, `${path}.stale-${pid}`);
      rmSync(`${path}.stale-${pid}`, { force: true });
      tookOverFrom = owner;
    } catch {
      // Gone already: someone else moved it.
    }
  }
  const owner = readOwner(path);
  throw new DataDirBusyError(dataDir, owner ?? 0);
}

/**
 * The lock appears whole or not at all: the pid is written to a file of this process's own, which
 * is then hard-linked to the lock's name (a link fails when the name exists). A reader never sees
 * a lock without its pid.
 */
function createExclusively(path: string, pid: number): boolean {
  const mine = `${path}.${pid}`;
  writeFileSync(mine, `${pid}\n`, { mode: 0o600 });
  try {
    linkSync(mine, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    rmSync(mine, { force: true });
  }
}

function readOwner(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return /^[1-9]\d{0,9}$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

function releaseIfOurs(path: string, pid: number): void {
  if (readOwner(path) === pid) rmSync(path, { force: true });
}
