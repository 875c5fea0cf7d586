/**
 * `logs -f JOB` at the prompt: after the usual answer, prints the job's new output as it arrives,
 * looking every `intervalMs`, until the job ends (its last output and how it ended are printed) or
 * the person stops it (Enter or Ctrl-C: `stop` resolves). Each look runs `logs JOB` again through
 * the use case, so access is checked as for any command.
 */
import type { CommandOutcome } from '../commands/types.js';
import { isTerminal } from '../core/job.js';
import { followOutput, wholeLines } from '../core/view/follow-output.js';
import { cleanOutput, jobView } from '../core/view/job-view.js';
import { renderNoticeLines, type TerminalRenderOptions } from './render.js';

type JobLogs = Extract<CommandOutcome, { kind: 'job-logs' }>;

export interface FollowLogsOptions extends TerminalRenderOptions {
  /** The answer already printed: following starts after its whole lines. */
  first: JobLogs;
  /** Runs `logs JOB` again. */
  look(): Promise<CommandOutcome>;
  print(lines: string[]): void;
  /** Resolves when the person asks to stop (Enter, Ctrl-C). */
  stop: Promise<void>;
  now(): Date;
  intervalMs: number;
}

/** The output a look found: the final tail once the agent reported it, else the output so far. */
function rawOutput(outcome: JobLogs): string {
  return outcome.job.logTail ?? outcome.output?.text ?? '';
}

export async function followLogs(options: FollowLogsOptions): Promise<void> {
  const { first, print } = options;
  const id = first.job.id;
  const notice = (text: string, tone: 'muted' | 'failure' = 'muted') => print(renderNoticeLines(text, tone, options.paint ? { paint: options.paint } : {}));
  notice(`Following the output of ${id}: new lines appear as it prints them. Enter or Ctrl-C stops following.`);
  let shown = wholeLines(rawOutput(first));
  let stopped = false;
  void options.stop.then(() => {
    stopped = true;
  });
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([options.stop, new Promise<void>((resolve) => (timer = setTimeout(resolve, options.intervalMs)))]);
    clearTimeout(timer);
    if (stopped) {
      notice(`Stopped following ${id}; the job goes on.`);
      return;
    }
    const look = await options.look();
    if (look.kind !== 'job-logs') {
      notice(`Stopped following ${id}: it can no longer be read.`, 'failure');
      return;
    }
    const ended = isTerminal(look.job.status);
    const step = followOutput(shown, rawOutput(look), ended);
    shown = step.shown;
    const lines = step.fresh === '' ? [] : cleanOutput(step.fresh).split('\n').map((line) => `  │ ${line}`);
    if (step.gap) lines.unshift('  │ …');
    if (lines.length > 0) print(lines);
    if (ended) {
      notice(`${id} has ended: ${jobView(look.job, options.now()).statusLabel}.`);
      return;
    }
  }
}
