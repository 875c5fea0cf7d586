// Over 300 lines: one class, because the prompt, `exit --stop-jobs`'s question and `logs -f` share one readline and the console's hold.
/**
 * The terminal chat surface of the embedded default: a `sched> ` prompt that takes the same
 * commands as Slack's `/sched` (the prefix optional), answers with the text renderers, and prints
 * job updates as they happen (TerminalNotifier) without garbling the line being typed
 * (TerminalConsole).
 *
 * Leaving, by how the input is attached:
 * - Interactive (stdin is a terminal): the prompt is how a person holds Sched, so `exit`, `quit`,
 *   Ctrl-D and Ctrl-C all stop Sched cleanly (`requestStop`, the same path as SIGTERM). Leaving
 *   the prompt but not the process would strand a bot nobody can talk to in the foreground.
 *   The jobs do not stop with it: stopping says how many keep running for the next start to pick
 *   up, and `exit --stop-jobs` cancels them first, asking once (leaving.ts has the words).
 * - Not interactive (stdin is a pipe or a file): commands are read and run in order, and the end
 *   of input — or `exit` — only closes the prompt. Sched keeps running until SIGTERM/SIGINT: a
 *   closed stdin never stops it by surprise.
 *
 * Who types is the machine's user (`os.userInfo()`), and the user's zone for `--at`/`--cron` is
 * the machine's. The person at this terminal owns the machine Sched runs on, so they may see and
 * manage every job, as an admin may (`Actor.operator`); the per-person caps apply to them too.
 */
import { userInfo } from 'node:os';
import { createInterface, type Interface } from 'node:readline';
import { cancelJobs, unfinishedJobs } from '../commands/cancel-all.js';
import { executeCommand } from '../commands/execute.js';
import type { Actor, ChatSurface, CommandDeps, HostFacts, SurfaceHost } from '../commands/types.js';
import { parseCommand, USAGE, type Command, type CommandContext } from '../core/parsing/grammar.js';
import { coerceError } from '../core/errors.js';
import { isTerminal } from '../core/job.js';
import { printable } from '../core/view/job-view.js';
import type { Clock } from '../ports.js';
import { renderBannerLines } from './banner.js';
import { TerminalConsole, type ConsoleOutput } from './console.js';
import { HistoryFile, HISTORY_SIZE } from './history.js';
import { isYes, jobsLeft, jobsLeftWithin, keepRunningText, notCancelledText, parseLeave, stopJobsQuestion, type LeaveCommand } from './leaving.js';
import { TerminalNotifier } from './notifier.js';
import { ansiPaint } from './paint.js';
import { renderErrorLines, renderNoticeLines, type Paint } from './render.js';
import { renderFailureLines, renderOutcomeLines } from './reply.js';
import { followLogs, type FollowLogsOptions } from './follow.js';

export const PROMPT = 'sched> ';

export interface TerminalSurfaceOptions {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: ConsoleOutput;
  clock: Clock;
  /** The config's job defaults, as Slack uses them. */
  defaults: CommandContext['defaults'];
  /** `<SCHED_DATA_DIR>/history`; absent: no history across runs. */
  historyFile?: string;
  /** ANSI colour, when the output is a terminal too; main.ts turns it off for NO_COLOR. */
  color?: boolean;
  /** Default: the machine's user name. */
  userId?: string;
  /** IANA zone for `--at`/`--cron`; default: the machine's. */
  timezone?: string;
  /** Where problems that are not the user's go (history file errors). */
  logger?: { warn(obj: object, msg: string): void };
  /** How often `logs -f` looks for new output; default 1 s. */
  followIntervalMs?: number;
}

type State = 'created' | 'prompting' | 'left' | 'closed';

export class TerminalSurface implements ChatSurface {
  readonly notifier: TerminalNotifier;
  private readonly console: TerminalConsole;
  private readonly paint?: Paint;
  private readonly userId: string;
  private readonly timezone: string;
  private readonly interactive: boolean;
  private rl?: Interface;
  private state: State = 'created';
  private lines: Promise<void> = Promise.resolve();
  private pendingLines = 0;
  private stopRequested = false;
  /** Set at start: what stopping counts the jobs left with, and where they run. */
  private host?: { deps: CommandDeps; facts: HostFacts };
  /** `exit --stop-jobs` asked; the next line answers. */
  private question?: { ids: string[]; text: string };
  /** `logs -f` waiting to start after its answer is printed, then following until `stopFollowing`. */
  private followNext?: FollowLogsOptions['first'] & { command: Command };
  private stopFollowing?: () => void;

  constructor(private readonly options: TerminalSurfaceOptions) {
    this.interactive = options.input.isTTY === true;
    this.paint = options.color && options.output.isTTY ? ansiPaint : undefined;
    this.userId = options.userId ?? machineUser();
    this.timezone = options.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    this.console = new TerminalConsole(options.output);
    // Updates from the engine's first pass wait for the banner.
    this.console.hold();
    this.notifier = new TerminalNotifier({ print: (lines) => this.console.print(lines), clock: options.clock, ...(this.paint && { paint: this.paint }) });
    // A terminal gone away (EPIPE on a closed pipe) costs the output, never the bot.
    options.output.on('error', () => undefined);
  }

  /**
   * Prints the banner (`host.facts`) and whatever updates waited for it, then opens the prompt.
   * `host.requestStop` is called on an interactive `exit`, Ctrl-D or Ctrl-C.
   */
  async start(deps: CommandDeps, host: SurfaceHost): Promise<void> {
    if (this.state !== 'created') throw new Error('the terminal surface starts once');
    this.state = 'prompting';
    this.host = { deps, facts: host.facts };
    const history = this.options.historyFile
      ? new HistoryFile(this.options.historyFile, (err) => this.options.logger?.warn({ err: coerceError(err) }, 'the prompt history could not be read or saved'))
      : undefined;
    const rl = createInterface({
      input: this.options.input,
      output: this.options.output,
      prompt: PROMPT,
      terminal: this.interactive && this.options.output.isTTY === true,
      history: (await history?.load()) ?? [],
      historySize: HISTORY_SIZE,
      removeHistoryDuplicates: true,
    });
    this.rl = rl;
    if (history) rl.on('history', (lines: string[]) => history.save(lines));
    rl.on('line', (line) => {
      // Enter ends `logs -f`; a command typed meanwhile then runs.
      this.stopFollowing?.();
      this.console.promptEnded();
      this.enqueue(line, deps);
    });
    // Raw mode turns Ctrl-C into a key, not a signal: it must stop Sched as the signal would.
    rl.on('SIGINT', () => {
      this.console.endPromptLine('^C');
      // While `logs -f` follows, Ctrl-C stops following, not Sched.
      if (this.stopFollowing) {
        this.stopFollowing();
        return;
      }
      this.requestStop(host, 'Ctrl-C');
    });
    rl.on('close', () => this.inputClosed(host));

    this.console.reply(renderBannerLines({ ...host.facts, interactive: this.interactive }, this.paint));
    this.console.attach(rl);
    this.console.release();
    this.console.showPrompt();
  }

  /** Closes the prompt and says which jobs stay behind (they outlive Sched). */
  async stop(): Promise<void> {
    const left = await this.keepRunningLines();
    this.close();
    this.console.reply(left);
  }

  /** Closes the prompt for good (Sched is stopping) and restores the terminal. */
  close(): void {
    if (this.state === 'closed') return;
    this.stopFollowing?.();
    const open = this.state === 'prompting';
    this.state = 'closed';
    this.console.erasePrompt();
    this.console.detach();
    if (open) this.rl?.close();
    this.console.reply(renderNoticeLines('Stopping Sched…', 'muted', this.paint ? { paint: this.paint } : {}));
  }

  private enqueue(line: string, deps: CommandDeps): void {
    this.pendingLines++;
    this.lines = this.lines
      .then(() => this.handleLine(line, deps))
      .catch((err: unknown) => this.console.reply(renderFailureLines(err, this.renderOptions())))
      .finally(() => {
        this.pendingLines--;
        if (this.pendingLines === 0 && this.state === 'prompting') this.console.showPrompt();
      });
  }

  private async handleLine(line: string, deps: CommandDeps): Promise<void> {
    if (this.state === 'closed') return;
    const text = line.trim();
    const question = this.question;
    // Piped input is not echoed by a terminal: echoing it keeps the output a readable transcript.
    if ((question || text !== '') && this.rl && !this.rl.terminal) this.console.reply([`${question?.text ?? PROMPT}${printable(text)}`]);
    if (question) {
      this.question = undefined;
      this.rl?.setPrompt(PROMPT);
      await this.answerStopJobs(question.ids, text, deps);
      return;
    }
    if (text === '') return;
    const leaving = parseLeave(text);
    if (leaving) {
      await this.leaveAs(leaving, deps);
      return;
    }
    this.console.hold();
    try {
      this.console.reply(await this.answer(text, deps));
    } catch (err) {
      // A failing store or a bug: said here, and the prompt lives on.
      this.console.reply(renderFailureLines(err, this.renderOptions()));
    } finally {
      this.console.release();
    }
    await this.follow(deps);
  }

  /** `logs -f` on a job that has not ended: follows it until it ends, Enter or Ctrl-C. */
  private async follow(deps: CommandDeps): Promise<void> {
    const next = this.followNext;
    this.followNext = undefined;
    if (!next || this.state !== 'prompting') return;
    const { command, ...first } = next;
    const stop = new Promise<void>((resolve) => (this.stopFollowing = resolve));
    // Job updates wait until following ends, so the output reads as one piece.
    this.console.hold();
    try {
      await followLogs({
        ...this.renderOptions(),
        first,
        look: () => executeCommand(command, this.actor(), deps),
        print: (lines) => this.console.reply(lines),
        stop,
        now: () => this.options.clock.now(),
        intervalMs: this.options.followIntervalMs ?? 1000,
      });
    } finally {
      this.stopFollowing = undefined;
      this.console.release();
    }
  }

  private async answer(text: string, deps: CommandDeps): Promise<string[]> {
    const options = this.renderOptions();
    const parsed = parseCommand(text, { now: this.options.clock.now(), userTimezone: this.timezone, defaults: this.options.defaults });
    if (!parsed.ok) return renderErrorLines(parsed.error, parsed.usage, options);
    const { command } = parsed;
    const outcome = await executeCommand(command, this.actor(), deps);
    if (command.kind === 'logs' && command.follow && outcome.kind === 'job-logs' && !isTerminal(outcome.job.status)) this.followNext = { ...outcome, command };
    return renderOutcomeLines(outcome, {
      ...options,
      now: this.options.clock.now(),
      ...(command.kind === 'run' && { when: command.when }),
      help: { ...this.options.defaults, zoneFrom: { kind: 'machine', zone: this.timezone } },
      usage: usageOf(command),
    });
  }

  /** `exit [--stop-jobs]`: leaves, or first asks whether to cancel the jobs that have not ended. */
  private async leaveAs(leaving: LeaveCommand, deps: CommandDeps): Promise<void> {
    if (leaving.kind === 'invalid') {
      this.console.reply(renderErrorLines(leaving.error, leaving.usage, this.renderOptions()));
      return;
    }
    if (!leaving.stopJobs) {
      this.leave();
      return;
    }
    const left = jobsLeft(await unfinishedJobs(deps));
    if (left.ids.length === 0) {
      this.console.reply(renderNoticeLines('No jobs to cancel.', 'muted', this.renderOptions()));
      this.leave();
      return;
    }
    const text = stopJobsQuestion(left);
    this.question = { ids: left.ids, text };
    // A terminal shows the question as the prompt, answered on its line; piped input gets it as a line.
    if (this.rl?.terminal) this.rl.setPrompt(text);
    else this.console.reply([text.trimEnd()]);
  }

  /** y/yes: each job is cancelled as `cancel JOB` would, then Sched stops; anything else: nothing changes. */
  private async answerStopJobs(ids: string[], answer: string, deps: CommandDeps): Promise<void> {
    const options = this.renderOptions();
    if (!isYes(answer)) {
      this.console.reply(renderNoticeLines('Nothing was cancelled; the jobs and Sched keep running.', 'muted', options));
      return;
    }
    // The answer first, then the cancellations' updates, as for any command.
    this.console.hold();
    try {
      const outcomes = await cancelJobs(ids, this.actor(), deps);
      this.console.reply(outcomes.flatMap((outcome, i) => (outcome.kind === 'job-cancelled' ? renderOutcomeLines(outcome, { ...options, now: this.options.clock.now() }) : renderNoticeLines(notCancelledText(ids[i]!, outcome), 'failure', options))));
    } finally {
      this.console.release();
    }
    this.leave();
  }

  /** The jobs Sched leaves behind, as a notice; nothing if none, or if the store cannot say in time. */
  private async keepRunningLines(): Promise<string[]> {
    if (!this.host) return [];
    const left = await jobsLeftWithin(this.host.deps);
    const text = left && keepRunningText(left, this.host.facts.compute.kind, this.interactive);
    return text ? renderNoticeLines(text, 'muted', this.renderOptions()) : [];
  }

  private actor(): Actor {
    return { surface: 'terminal', userId: this.userId, operator: true };
  }

  /** `exit`/`quit`: closes the input side; `inputClosed` decides what that means. */
  private leave(): void {
    this.rl?.close();
  }

  private inputClosed(host: SurfaceHost): void {
    if (this.state !== 'prompting') return;
    this.state = 'left';
    this.stopFollowing?.();
    this.console.endPromptLine();
    this.console.detach();
    // Commands already typed (or piped) are answered first.
    void this.lines.finally(() => {
      if (this.interactive) {
        this.requestStop(host, 'exit');
        return;
      }
      this.console.reply(
        renderNoticeLines('End of input: the prompt is closed. Sched keeps running; stop it with SIGTERM (or Ctrl-C where it runs).', 'muted', this.renderOptions()),
      );
    });
  }

  private requestStop(host: SurfaceHost, reason: string): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    host.requestStop(reason);
  }

  private renderOptions(): { paint?: Paint } {
    return this.paint ? { paint: this.paint } : {};
  }
}

function usageOf(command: Command): string {
  return USAGE[command.kind];
}

/** The machine's user name; a container without a passwd entry for its uid has none. */
function machineUser(): string {
  try {
    return userInfo().username || 'terminal';
  } catch {
    return 'terminal';
  }
}
