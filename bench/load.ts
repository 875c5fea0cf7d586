/**
 * Load on loopback, written here (no load tool is installed): an open loop that fires requests at
 * a fixed rate whatever the answers (latency as a user feels it: a slow answer does not slow the
 * senders), and a closed loop that keeps `concurrency` requests in flight (the saturation rate).
 */
import { execFileSync } from 'node:child_process';

export interface LoadResult {
  sent: number;
  /** Latencies of the answered requests, ms. */
  latencies: number[];
  /** Requests answered with a status other than the expected one, or not at all. */
  errors: number;
  seconds: number;
}

/** `send` resolves with whether the answer was the expected one; it measures nothing itself. */
type Send = (i: number) => Promise<boolean>;

async function timed(send: Send, i: number, result: LoadResult): Promise<void> {
  const start = performance.now();
  try {
    if (await send(i)) result.latencies.push(performance.now() - start);
    else result.errors++;
  } catch {
    result.errors++;
  }
}

/** Fires `rate` requests a second for `seconds`, on schedule; waits for the last answers. */
export async function openLoop(rate: number, seconds: number, send: Send): Promise<LoadResult> {
  const result: LoadResult = { sent: 0, latencies: [], errors: 0, seconds };
  const total = Math.round(rate * seconds);
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    result.sent++;
    inFlight.push(timed(send, i, result));
  }
  await Promise.all(inFlight);
  return result;
}

/** Keeps `concurrency` requests in flight for `seconds`; the answered rate is the saturation rate. */
export async function closedLoop(concurrency: number, seconds: number, send: Send): Promise<LoadResult> {
  const result: LoadResult = { sent: 0, latencies: [], errors: 0, seconds };
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) await timed(send, result.sent++, result);
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  result.seconds = (performance.now() - start) / 1000;
  return result;
}

/** Resident memory (MiB) of the largest process in `pgid`'s group whose command line has `marker`. */
export function residentMiB(pgid: number, marker: string): number {
  const out = execFileSync('ps', ['-o', 'rss=,args=', '-g', String(pgid)], { encoding: 'utf8' });
  const rss = out
    .split('\n')
    .filter((line) => line.includes(marker))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
  return Math.round(Math.max(0, ...rss) / 1024);
}
