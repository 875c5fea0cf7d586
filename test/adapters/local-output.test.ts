/**
 * Local compute keeps what a run's container prints in the run's folder (`output.log`, the agent's
 * `SCHED_OUTPUT_FILE`), and `outputTail` reads its end: while the run goes on, and after it was
 * terminated (a cancel), when the agent's own work directory is gone.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LocalFleet } from '../../bot/adapters/local-fleet.js';
import type { LaunchPlan } from '../../bot/ports.js';
import { eventually } from '../harness/bot-process.js';
import { makeStubBin, renderServedAgentScript, startNotificationReceiver, type NotificationReceiver, type StubBin } from '../harness/agent.js';

let receiver: NotificationReceiver;
let slow: StubBin;
let scratch: string;

beforeAll(async () => {
  [receiver, slow] = await Promise.all([startNotificationReceiver(), makeStubBin({ dockerOutput: 'line one\nline two\n', dockerSleepMs: 60_000 })]);
  scratch = await mkdtemp(join(tmpdir(), 'sched-local-output-'));
});

afterAll(async () => {
  await Promise.all([receiver?.close(), slow?.cleanup(), scratch && rm(scratch, { recursive: true, force: true })]);
});

function launchOf(jobId: string): LaunchPlan {
  const userData = renderServedAgentScript(receiver, { jobId, attempt: 1, image: 'alpine:3.20', command: [], env: {}, notifyBaseUrl: receiver.url, token: 'dG9rZW4.c2lnbmF0dXJl_-' });
  return { jobId, attempt: 1, market: 'spot', pools: [{ instanceType: 't3.micro' }], userData, clientToken: `${jobId}.1.0` };
}

describe('LocalFleet.outputTail', () => {
  test('the output so far while the run goes on, and still after it was terminated', { timeout: 60_000 }, async () => {
    const workDir = join(scratch, 'runs');
    const fleet = new LocalFleet({ workDir, pathEnv: `${slow.dir}:${process.env.PATH ?? '/usr/bin:/bin'}`, terminateGraceMs: 2_000, checkEngine: async () => undefined });
    const { instanceId } = await fleet.launch(launchOf('j-out'));
    try {
      expect(await fleet.outputTail('j-out', 2, 8000)).toBeUndefined();
      const running = await eventually(async () => await fleet.outputTail('j-out', 1, 8000), 'the output so far', 20_000);
      expect(running.text).toBe('line one\nline two\n');
      expect(Math.abs(Date.parse(running.at) - Date.now())).toBeLessThan(20_000);
      // Only the container's words: none of the agent's own lines or the pull's.
      expect(running.text).not.toMatch(/sched-agent|Pulled/);
      expect((await fleet.outputTail('j-out', 1, 5))!.text).toBe(' two\n');
    } finally {
      await fleet.terminateInstance(instanceId!);
    }
    const snapshot = await fleet.observe();
    expect(snapshot.instances.find((i) => i.instanceId === instanceId)?.state).toBe('terminated');
    expect((await fleet.outputTail('j-out', 1, 8000))?.text).toBe('line one\nline two\n');
    // A fresh fleet on the same folder (Sched restarted) reads it too.
    const again = new LocalFleet({ workDir, pathEnv: slow.dir, checkEngine: async () => undefined });
    expect((await again.outputTail('j-out', 1, 8000))?.text).toBe('line one\nline two\n');
  });

  test('a cut never starts inside a character; names that could leave the folder read nothing', async () => {
    const workDir = join(scratch, 'bytes');
    await mkdir(join(workDir, 'j-utf', '1'), { recursive: true });
    await writeFile(join(workDir, 'j-utf', '1', 'output.log'), 'ééé\n');
    const fleet = new LocalFleet({ workDir });
    // 2 characters read 8 bytes (all 7), then keep the last 2 characters.
    expect((await fleet.outputTail('j-utf', 1, 2))!.text).toBe('é\n');
    expect((await fleet.outputTail('j-utf', 1, 1))!.text).toBe('\n');
    await writeFile(join(workDir, 'j-utf', '1', 'output.log'), '');
    expect(await fleet.outputTail('j-utf', 1, 10)).toBeUndefined();
    expect(await fleet.outputTail('../j-utf', 1, 10)).toBeUndefined();
    expect(await fleet.outputTail('j-utf', -1, 10)).toBeUndefined();
  });
});
