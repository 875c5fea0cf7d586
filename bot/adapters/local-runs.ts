/**
 * The local fleet's runs on disk: the ids of a job attempt's run and its record, `run.json` in
 * the run's folder, written whole (to a temporary file, then renamed) so a reader never sees half
 * of one. A record that does not parse or lacks a field the fleet relies on reads as no record.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerCli } from './container-engine.js';

export type RunState = 'starting' | 'running' | 'ended';
/** `exited`: bash ended by itself; `terminated`: by `terminateInstance`; `lost`: found gone. */
export type EndReason = 'exited' | 'terminated' | 'lost';

/** The persisted record of one run (`run.json`). */
export interface RunRecord {
  format: 1;
  jobId: string;
  attempt: number;
  requestId: string;
  instanceId: string;
  clientToken: string;
  instanceType: string;
  containerCli: ContainerCli;
  containerName: string;
  requestState: 'active' | 'cancelled';
  state: RunState;
  /** bash's pid, which is also its process group id (it runs detached). */
  pid?: number;
  pgid?: number;
  /** Tells this process from a later one that reuses the pid (see local-process.ts). */
  startMarker?: string;
  startedAt: string;
  endedAt?: string;
  endReason?: EndReason;
  exitCode?: number | null;
  signal?: string | null;
  /** `<cli> rm -f` was tried after the run ended; once is enough. */
  containerRemoved?: boolean;
}

const RECORD_FILE = 'run.json';

/** The ids of one job attempt's run; deterministic, so a repeated launch finds the first. */
export function localRunIds(jobId: string, attempt: number): { requestId: string; instanceId: string } {
  return { requestId: `local-r-${jobId}-${attempt}`, instanceId: `local-i-${jobId}-${attempt}` };
}

/** The record in `dir`, if there is a valid one. */
export async function readRecord(dir: string): Promise<RunRecord | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(join(dir, RECORD_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  const r = parsed as Partial<RunRecord>;
  const valid =
    r.format === 1 &&
    typeof r.jobId === 'string' &&
    typeof r.attempt === 'number' &&
    typeof r.instanceId === 'string' &&
    typeof r.requestId === 'string' &&
    (r.containerCli === 'docker' || r.containerCli === 'podman') &&
    typeof r.containerName === 'string' &&
    (r.state === 'starting' || r.state === 'running' || r.state === 'ended');
  return valid ? (r as RunRecord) : undefined;
}

/** Replaces the record in `dir`, owner-only. */
export async function writeRecord(dir: string, record: RunRecord): Promise<void> {
  const file = join(dir, RECORD_FILE);
  await writeFile(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  await rename(`${file}.tmp`, file);
}
