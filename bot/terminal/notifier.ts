/**
 * The terminal side of the `Notifier` port: one line per job event, as it happens; when a job that
 * was started from this terminal ends, the end of its container's output too.
 *
 * Every job's events are printed, not only those started here: in the embedded default this
 * terminal is the only chat there is, and a job started through the REST API or by a schedule
 * would otherwise run unseen. The output tail is shown only for jobs started here (and their
 * schedules' firings), so that a script driving the REST API cannot flood the prompt; `logs JOB`
 * shows any job's output.
 */
import { isTerminal, type Job, type JobEvent } from '../core/job.js';
import { jobView, viewEvent, type JobView } from '../core/view/job-view.js';
import type { Clock, Notifier } from '../ports.js';
import { renderJobEventLine, renderJobLogsLines, type Paint, type TerminalRenderOptions } from './render.js';

export interface TerminalNotifierOptions {
  /** Prints lines without garbling the prompt (TerminalConsole.print). */
  print(lines: readonly string[]): void;
  clock: Clock;
  paint?: Paint;
  /** Output lines shown when a job started here ends; default 20 (all of it: `logs JOB`). */
  tailLines?: number;
}

const DEFAULT_TAIL_LINES = 20;

export class TerminalNotifier implements Notifier {
  private readonly render: TerminalRenderOptions;
  private readonly tailLines: number;

  constructor(private readonly options: TerminalNotifierOptions) {
    this.render = options.paint ? { paint: options.paint } : {};
    this.tailLines = options.tailLines ?? DEFAULT_TAIL_LINES;
  }

  async jobChanged(job: Job, events: JobEvent[]): Promise<void> {
    const now = this.options.clock.now();
    const lines: string[] = [];
    const view = jobView(job, now);
    for (const event of events) {
      // The line shows the event with the job's closing facts (exit code, run time) when it is the
      // one that ended the job.
      lines.push(renderJobEventLine(view, viewEvent(event, now), this.render));
      if (endsJob(job, event) && job.origin?.surface === 'terminal') lines.push(...this.outputTail(view));
    }
    this.options.print(lines);
  }

  private outputTail(view: JobView): string[] {
    if (!view.logTail) return [];
    const [head = '', ...body] = renderJobLogsLines(view, this.render);
    if (body.length <= this.tailLines) return [head, ...body];
    const earlier = body.length - this.tailLines;
    return [head, `  … ${earlier} earlier ${earlier === 1 ? 'line' : 'lines'}: /sched logs ${view.id}`, ...body.slice(-this.tailLines)];
  }
}

function endsJob(job: Job, event: JobEvent): boolean {
  return isTerminal(job.status) && event.kind === job.status;
}
