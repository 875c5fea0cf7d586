/**
 * A tmux pane on a private socket, for terminal end-to-end tests: what the pane shows, and keys
 * typed into it. (test/terminal/terminal.e2e.test.ts has the same helpers inline and could use
 * these.)
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TmuxPane {
  tmux(...args: string[]): Promise<string>;
  /** Everything the pane shows, scroll-back included, wrapped lines joined, trailing blanks dropped. */
  screen(): Promise<string>;
  /** Polls the screen until `check` holds; throws with the last screen after `timeoutMs`. */
  screenUntil(check: (text: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** Types `text` literally, then presses Enter. */
  enter(text: string): Promise<void>;
}

export function tmuxPane(socket: string, session: string): TmuxPane {
  async function tmux(...args: string[]): Promise<string> {
    // Without TMUX: a test run from inside tmux must not talk to the user's server.
    const env = { ...process.env };
    delete env.TMUX;
    return (await run('tmux', ['-L', socket, ...args], { env })).stdout;
  }
  async function screen(): Promise<string> {
    const text = await tmux('capture-pane', '-p', '-J', '-S', '-', '-t', session);
    return text
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n')
      .replace(/\n+$/, '');
  }
  async function screenUntil(check: (text: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let text = '';
    while (Date.now() < deadline) {
      text = await screen();
      if (check(text)) return text;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}; the screen:\n${text}`);
  }
  async function enter(text: string): Promise<void> {
    if (text !== '') await tmux('send-keys', '-t', session, '-l', text);
    await tmux('send-keys', '-t', session, 'Enter');
  }
  return { tmux, screen, screenUntil, enter };
}
