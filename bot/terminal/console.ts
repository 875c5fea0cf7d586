/**
 * The terminal's one writer. Everything the terminal surface prints goes through it, so that a job
 * update arriving while someone types never lands in the middle of their line: the prompt and the
 * typed text are wiped, the update is printed, and both are drawn again with the cursor where it
 * was (readline's own redraw, so its idea of the screen stays true).
 *
 * Output can be held: while a command runs, the updates it causes (the new job's first events)
 * wait, so the command's answer is printed first and its updates follow in order.
 */
import { clearScreenDown, cursorTo, moveCursor, type Interface } from 'node:readline';

export type ConsoleOutput = NodeJS.WritableStream & { isTTY?: boolean };

export class TerminalConsole {
  private rl?: Interface;
  /** The prompt (and whatever is typed after it) is on screen and must be kept there. */
  private promptShown = false;
  private holds = 0;
  private held: string[][] = [];

  constructor(private readonly output: ConsoleOutput) {}

  /** Output from outside a command (job updates): printed now, or kept in order while held. */
  print(lines: readonly string[]): void {
    if (lines.length === 0) return;
    if (this.holds > 0) this.held.push([...lines]);
    else this.write(lines);
  }

  /** A command's answer: printed now, ahead of anything held. */
  reply(lines: readonly string[]): void {
    if (lines.length > 0) this.write(lines);
  }

  hold(): void {
    this.holds++;
  }

  /** Ends one hold; when none is left, what was held is printed, oldest first. */
  release(): void {
    this.holds = Math.max(0, this.holds - 1);
    if (this.holds > 0) return;
    const held = this.held;
    this.held = [];
    for (const lines of held) this.write(lines);
  }

  /** From now on prints go around `rl`'s prompt whenever it is shown. */
  attach(rl: Interface): void {
    this.rl = rl;
  }

  detach(): void {
    this.rl = undefined;
    this.promptShown = false;
  }

  /** Draws the prompt (a terminal only: piped input gets no prompt) and keeps it drawn. */
  showPrompt(): void {
    if (!this.rl || !this.rl.terminal) return;
    this.promptShown = true;
    this.rl.prompt(true);
  }

  /** Readline has ended the prompt's line (Enter), or is about to stop drawing it. */
  promptEnded(): void {
    this.promptShown = false;
  }

  /** Leaves the prompt's line as it is (Ctrl-D, Ctrl-C) and moves below it. */
  endPromptLine(mark = ''): void {
    if (!this.promptShown) return;
    this.promptShown = false;
    this.output.write(`${mark}\n`);
  }

  /** Wipes the prompt and the typed text off the screen, leaving the cursor where it began. */
  erasePrompt(): void {
    if (!this.rl || !this.promptShown) return;
    const { rows } = this.rl.getCursorPos();
    moveCursor(this.output, 0, -rows);
    cursorTo(this.output, 0);
    clearScreenDown(this.output);
    this.promptShown = false;
  }

  private write(lines: readonly string[]): void {
    const text = `${lines.join('\n')}\n`;
    const rl = this.rl;
    if (!rl || !this.promptShown) {
      this.output.write(text);
      return;
    }
    this.erasePrompt();
    this.output.write(text);
    // `prompt(true)` first moves the cursor up by the rows it sat below the prompt's start when
    // readline last drew it (`prevRows`, kept to itself; absent before the first redraw). Blank
    // rows for it to move up into put the prompt right under the printed text.
    const prevRows = (rl as unknown as { prevRows?: unknown }).prevRows;
    if (typeof prevRows === 'number' && prevRows > 0) this.output.write('\n'.repeat(prevRows));
    this.promptShown = true;
    rl.prompt(true);
  }
}
