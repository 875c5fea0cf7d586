import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DataDirBusyError, lockDataDir, processRuns } from '../../bot/adapters/data-dir-lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sched-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('one Sched per data folder', () => {
  test('the first process takes the folder and writes its pid', async () => {
    const lock = lockDataDir(dir, 4242, () => true);
    expect(await readFile(join(dir, 'lock'), 'utf8')).toBe('4242\n');
    expect(lock.tookOverFrom).toBeUndefined();
  });

  test('the folder is owner-only: a new one is made 0700, an older 0755 one is tightened, and so is the lock file', async () => {
    const fresh = join(dir, 'fresh', '.sched');
    lockDataDir(fresh, 4242, () => true);
    expect((await stat(fresh)).mode & 0o777).toBe(0o700);
    expect((await stat(join(fresh, 'lock'))).mode & 0o777).toBe(0o600);
    await chmod(dir, 0o755);
    lockDataDir(dir, 4242, () => true);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  test('a second process is refused with the owner pid while the owner runs, and the lock is left alone', async () => {
    lockDataDir(dir, 4242, () => true);
    let thrown: unknown;
    try {
      lockDataDir(dir, 5151, (pid) => pid === 4242);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(DataDirBusyError);
    expect((thrown as DataDirBusyError).pid).toBe(4242);
    expect((thrown as Error).message).toBe(`Sched is already running from this folder (${dir}, pid 4242). Stop it first, or start this one with another SCHED_DATA_DIR.`);
    expect(await readFile(join(dir, 'lock'), 'utf8')).toBe('4242\n');
  });

  test('a dead owner\'s lock is taken over', async () => {
    lockDataDir(dir, 4242, () => true);
    const lock = lockDataDir(dir, 5151, () => false);
    expect(lock.tookOverFrom).toBe(4242);
    expect(await readFile(join(dir, 'lock'), 'utf8')).toBe('5151\n');
  });

  test('an unreadable lock is taken over', async () => {
    await writeFile(join(dir, 'lock'), 'garbage');
    lockDataDir(dir, 5151, () => true);
    expect(await readFile(join(dir, 'lock'), 'utf8')).toBe('5151\n');
  });

  test('release removes the lock only while it is still this process\'s', async () => {
    const first = lockDataDir(dir, 4242, () => true);
    lockDataDir(dir, 5151, () => false); // 4242 died; 5151 took over
    first.release();
    expect(await readFile(join(dir, 'lock'), 'utf8')).toBe('5151\n');
    const second = lockDataDir(dir, 5151, () => true);
    second.release();
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });

  test('processRuns tells this process from a pid that does not exist', () => {
    expect(processRuns(process.pid)).toBe(true);
    expect(processRuns(2 ** 22 + 12345)).toBe(false);
  });
});
