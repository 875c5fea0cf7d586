/**
 * A `docker` to put on PATH in front of the stub folder's (test/harness/agent.ts) that can hold a
 * container's `run` until the test lets it go: the test, not a sleep, decides how long a container
 * runs, so a test that needs a job running at some moment has it running on any machine.
 *
 * ```ts
 * const gate = await makeContainerGate();
 * const path = `${gate.dir}:${stubs.dir}:${process.env.PATH}`;
 * await gate.holdRuns();
 * // ... a job starts; its `docker run` waits at the gate
 * await eventually(async () => ((await gate.arrived()).includes(`sched-${id}-1`) ? true : undefined), 'the container');
 * await gate.release(`sched-${id}-1`); // now the stub plays the container and it exits
 * ```
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ContainerGate {
  /** The folder with the gate's `docker`: first on PATH, before the stub folder. */
  dir: string;
  /** From now on, each `docker run` waits at the gate until its container is released. */
  holdRuns(): Promise<void>;
  /** From now on, `docker run` goes straight through (runs already held stay held). */
  passRuns(): Promise<void>;
  /** Lets the held `run` of container `name` (`sched-<job>-<attempt>`) go on to the stub. */
  release(name: string): Promise<void>;
  /** The container names whose `run` reached the gate, oldest first. */
  arrived(): Promise<string[]>;
  cleanup(): Promise<void>;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export async function makeContainerGate(): Promise<ContainerGate> {
  const base = await mkdtemp(join(tmpdir(), 'sched-gate-'));
  const dir = join(base, 'bin');
  const released = join(base, 'released');
  const holdFile = join(base, 'hold');
  const arrivedFile = join(base, 'arrived');
  await Promise.all([mkdir(dir), mkdir(released)]);
  await writeFile(
    join(dir, 'docker'),
    `#!/bin/bash
if [ "\${1:-}" = run ]; then
  name="" prev=""
  for arg in "$@"; do
    [ "$prev" = --name ] && name="$arg"
    prev="$arg"
  done
  printf '%s\\n' "$name" >>${shellQuote(arrivedFile)}
  if [ -e ${shellQuote(holdFile)} ]; then
    while [ ! -e ${shellQuote(released)}/"$name" ]; do sleep 0.05; done
  fi
fi
# The next docker on PATH after this one plays the container.
IFS=: read -ra entries <<<"$PATH"
for entry in "\${entries[@]}"; do
  if [ "$entry" != ${shellQuote(dir)} ] && [ -x "$entry/docker" ]; then exec "$entry/docker" "$@"; fi
done
echo "container gate: no docker after ${dir} on PATH" >&2
exit 127
`,
  );
  await chmod(join(dir, 'docker'), 0o755);
  return {
    dir,
    holdRuns: () => writeFile(holdFile, ''),
    passRuns: () => rm(holdFile, { force: true }),
    release: (name) => writeFile(join(released, name), ''),
    async arrived() {
      const text = await readFile(arrivedFile, 'utf8').catch(() => '');
      return text.split('\n').filter((line) => line !== '');
    },
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
}
