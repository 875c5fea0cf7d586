/**
 * The prompt's history across runs: `<SCHED_DATA_DIR>/history`, oldest line first, as a shell
 * keeps it. Owner-only, because a command line may carry a secret (`-e TOKEN=…`). History is a
 * convenience: a file that cannot be read or written costs the history, never the prompt.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export const HISTORY_SIZE = 1000;

export class HistoryFile {
  private writes: Promise<void> = Promise.resolve();

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

  /** `history` newest first (readline's 'history' event); writes are kept in order. */
  save(history: readonly string[]): Promise<void> {
    const text = history.length === 0 ? '' : `${[...history].slice(0, HISTORY_SIZE).reverse().join('\n')}\n`;
    this.writes = this.writes
      .then(async () => {
        await mkdir(dirname(this.path), { recursive: true });
        await writeFile(this.path, text, { mode: 0o600 });
      })
      .catch(this.onError);
    return this.writes;
  }
}
