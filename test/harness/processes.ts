import { readdir, readFile, readlink, realpath } from 'node:fs/promises';

/** Live (non-zombie) members of a process group, from /proc. */
export async function groupMembers(pgid: number): Promise<number[]> {
  const members: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] !== undefined && fields[0] !== 'Z' && Number(fields[2]) === pgid) members.push(Number(name));
  }
  return members;
}

/** Live (non-zombie) processes whose working directory is `dir`: a run's script and its children. */
export async function processesIn(dir: string): Promise<number[]> {
  const target = await realpath(dir);
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cwd = await readlink(`/proc/${name}/cwd`).catch(() => undefined);
    if (cwd !== target) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    if (stat !== '' && !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) found.push(Number(name));
  }
  return found;
}
