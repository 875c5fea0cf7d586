/**
 * The prompt's history across runs: `<SCHED_DATA_DIR>/history`, oldest line first, as a shell
 * keeps it. Owner-only, because a command line may carry a secret (`-e TOKEN=…`). History is a
 * convenience: a file that cannot be read or written costs the history, never the prompt.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export const HISTORY_SIZE = 1000;

export class HistoryFile {
  constructor(
    private readonly path: string,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  /** Newest first, as readline's `history` option wants it. */
  async load(): Promise<string[]> {
    try {
      const text = await readFile(this.path, 'utf8');
      return text.split('\n').filter((line) => line.trim() !== '').slice(-HISTORY_SIZE).reverse();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(err);
      return [];
    }
  }

  /**
   * `history` newest first (readline's 'history' event). Written synchronously, to a temporary
   * file renamed over the old one: `exit` stops the process right after the last line, and an
   * interrupted asynchronous write would leave the history empty.
   */
  save(history: readonly string[]): void {
    const text = history.length === 0 ? '' : `${[...history].slice(0, HISTORY_SIZE).reverse().join('\n')}\n`;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const temporary = `${this.path}.${process.pid}.tmp`;
      writeFileSync(temporary, text, { mode: 0o600 });
      renameSync(temporary, this.path);
    } catch (err) {
      this.onError(err);
    }
  }
}
