/**
 * Sched's terminal as a person meets it: the real `npm start` in a pseudo-terminal — tmux on a
 * private socket, one tmux session per start — and what its pane shows. Each start runs with
 * `env -i` and only the variables given (no AWS, no Slack unless given), and its shell writes npm's
 * exit code to a file, since tmux's own pane status lags under load. Dead panes stay
 * (remain-on-exit), so the last screen of a stopped Sched can still be read.
 *
 * ```ts
 * const tmux = await openTmux(scratch);
 * const sched = await tmux.start('first', env);
 * await sched.screenUntil(promptIsLast, 'the prompt', 60_000);
 * const answer = await sched.reply('list');
 * ```
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { eventually } from './bot-process.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The pane ends with an empty prompt: Sched waits for a command. */
export const promptIsLast = (text: string): boolean => /(^|\n)sched>$/.test(text);

export interface TmuxSched {
  /** Everything the pane shows, scroll-back included, wrapped lines joined, trailing blanks dropped. */
  screen(): Promise<string>;
  /** Types text as keys (literally). */
  type(text: string): Promise<void>;
  /** Presses tmux keys (`Enter`, `C-c`, `C-d`). */
  press(...keys: string[]): Promise<void>;
  screenUntil(check: (text: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** Types `command`, presses Enter and returns what was printed between it and the next prompt. */
  reply(command: string): Promise<string>;
  /** npm's exit code, once the start has ended. */
  exitCode(timeoutMs?: number): Promise<string>;
}

export interface Tmux {
  /** Runs `npm start` with exactly `env` (and the pane's TERM) in a new session called `name`. */
  start(name: string, env: Record<string, string>): Promise<TmuxSched>;
  close(): Promise<void>;
}

/** A tmux server of this test's own; fails, saying what to install, without tmux. */
export async function openTmux(scratch: string): Promise<Tmux> {
  // Never a silent skip: without tmux these tests fail and say what to install (.ci/run does).
  await run('tmux', ['-V']).catch(() => {
    throw new Error("tmux not found: install Debian's tmux package (apt-get install -y tmux)");
  });
  const socket = `sched-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const conf = join(scratch, 'tmux.conf');
  await writeFile(conf, 'set -g remain-on-exit on\nset -g history-limit 20000\n');
  const tmux = async (...args: string[]): Promise<string> => {
    // Without TMUX: a test run from inside tmux must not talk to the user's server.
    const env = { ...process.env };
    delete env.TMUX;
    return (await run('tmux', ['-L', socket, ...args], { env })).stdout;
  };
  return {
    async start(name, env) {
      const codeFile = join(scratch, `${name}.exit-code`);
      const script = join(scratch, `${name}.sh`);
      const vars = Object.entries(env)
        .map(([key, value]) => `${key}=${shellQuote(value)}`)
        .join(' ');
      await writeFile(
        script,
        `#!/bin/sh\ncd ${shellQuote(ROOT)} || exit 99\nenv -i TERM="\${TERM:-screen}" ${vars} npm start\ncode=$?\necho "$code" >${shellQuote(codeFile)}\nexit "$code"\n`,
      );
      await tmux('-f', conf, '-u', 'new-session', '-d', '-x', '160', '-y', '50', '-s', name, `sh ${shellQuote(script)}`);
      return session(name, codeFile, tmux);
    },
    async close() {
      await tmux('kill-server').catch(() => undefined);
    },
  };
}

function session(name: string, codeFile: string, tmux: (...args: string[]) => Promise<string>): TmuxSched {
  const screen = async () => {
    // -J keeps trailing spaces (the prompt's own among them); lines are compared without them.
    const text = await tmux('capture-pane', '-p', '-J', '-S', '-', '-t', name);
    return text
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n')
      .replace(/\n+$/, '');
  };
  const type = async (text: string) => void (await tmux('send-keys', '-t', name, '-l', text));
  const press = async (...keys: string[]) => void (await tmux('send-keys', '-t', name, ...keys));
  const screenUntil = async (check: (text: string) => boolean, what: string, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    let text = '';
    while (Date.now() < deadline) {
      text = await screen();
      if (check(text)) return text;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`timed out waiting for ${what}; the screen:\n${text}`);
  };
  return {
    screen,
    type,
    press,
    screenUntil,
    async reply(command) {
      const before = (await screen()).split('\n').length;
      await type(command);
      await press('Enter');
      const text = await screenUntil((t) => t.split('\n').length > before && promptIsLast(t), `the answer to ${command}`);
      const start = text.lastIndexOf(`\nsched> ${command}\n`);
      if (start < 0) throw new Error(`the command line "${command}" is not on the screen:\n${text}`);
      return text.slice(start + `\nsched> ${command}\n`.length, text.lastIndexOf('\nsched>'));
    },
    exitCode: (timeoutMs = 30_000) => eventually(async () => (await readFile(codeFile, 'utf8').catch(() => undefined))?.trim() || undefined, `${name}'s exit code`, timeoutMs),
  };
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
