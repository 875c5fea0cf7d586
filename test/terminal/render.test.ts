import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { helpText, SUBCOMMANDS, USAGE } from '../../bot/core/parsing/help.js';
import { ALL_STATUSES, JobStatus } from '../../bot/core/job.js';
import { jobView, scheduleView, type JobAction, type JobView, type ScheduleView } from '../../bot/core/view/job-view.js';
import { renderJobMessage, renderJobStatus, renderScheduleMessage, unescapeSlackText, type SlackMessage } from '../../bot/slack/render.js';
import { jobLogsView } from '../../bot/core/view/logs-view.js';
import {
  renderErrorLines,
  renderHelpLines,
  renderJobEventLine,
  renderJobLines,
  renderJobLogsLines,
  renderJobStatusLines,
  renderListLines,
  renderNoticeLines,
  renderScheduleLines,
  type Paint,
} from '../../bot/terminal/render.js';
import { anyJob, anySchedule, anyText, jobInStatus, makeSchedule, NOW, ordinaryJob } from '../core/view/job-view-fixtures.js';

// eslint-disable-next-line no-control-regex -- what must never reach a terminal
const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** The actions a person types: "Run on-demand" is a Slack button only. */
const typedActions = (actions: readonly JobAction[]) => actions.filter((action) => action !== 'on-demand');

describe('renderJobLines', () => {
  it.each(ALL_STATUSES)('renders a %s job with its facts and the commands that apply', (status) => {
    const view = jobView(jobInStatus(status), NOW);
    const lines = renderJobLines(view);
    expect(lines[0]).toBe(`${{ waiting: '◷', active: '▶', success: '✓', failure: '✗', muted: '⊘' }[view.tone]} nightly-etl  j-${status}`);
    expect(lines[1]).toBe(`  ${view.statusLabel}`);
    for (const field of view.fields) expect(lines).toContain(`  ${field.label.padEnd(15)} ${field.value}`);
    expect(lines).toContain('  Started by      Slack user U024BE7LH');
    expect(lines[lines.length - 1]).toBe(`  Next            ${typedActions(view.actions).map((action) => `/sched ${action} j-${status}`).join('  ·  ')}`);
  });

  it('paints through the injected function only', () => {
    const paint: Paint = (style, text) => `<${style}>${text}</${style}>`;
    const lines = renderJobLines(jobView(jobInStatus(JobStatus.Failed), NOW), { paint });
    expect(lines[0]).toBe('<failure>✗</failure> <bold>nightly-etl</bold>  <dim>j-failed</dim>');
    expect(lines[1]).toBe('  <failure>Failed: the container exited with code 2</failure>');
    expect(renderJobLines(jobView(jobInStatus(JobStatus.Failed), NOW)).join('\n')).not.toMatch(/<\w+>/);
  });
});

describe('renderJobEventLine, status, logs', () => {
  it('prints one line per event, with the closing facts', () => {
    const view = jobView(jobInStatus(JobStatus.Succeeded), NOW);
    const event = view.events[0];
    if (!event) throw new Error('no event');
    expect(renderJobEventLine(view, event)).toBe('10:19:00 UTC  j-succeeded nightly-etl  ✓ succeeded (exit 0, 14m) · cost $0.03');
  });

  it('shows recent events and the end of the output in status', () => {
    const lines = renderJobStatusLines(jobView(jobInStatus(JobStatus.Failed), NOW));
    expect(lines).toContain('  Recent events');
    expect(lines).toContain('  10:06:00 UTC  ✗ failed: the container exited with code 2, 1m');
    expect(lines).toContain('  │ ValueError: bad row');
  });

  it('prints the whole tail in logs, colour codes stripped', () => {
    expect(renderJobLogsLines(jobView(jobInStatus(JobStatus.Succeeded), NOW))).toEqual([
      'Output of nightly-etl  j-succeeded',
      '  │ loading…',
      '  │ done: 1200 rows',
    ]);
    expect(renderJobLogsLines(jobView(jobInStatus(JobStatus.Running), NOW))[1]).toBe('  No output: output arrives when the container ends.');
  });

  it('logs of a running job: what the lines are (the output so far, its age) above them, or why there are none', () => {
    const running = jobInStatus(JobStatus.Running);
    const at = new Date(NOW.getTime() - 12_000).toISOString();
    expect(renderJobLogsLines(jobLogsView(running, { text: 'line one\n', at }, NOW))).toEqual([
      'Output of nightly-etl  j-running',
      '  The job is running: output so far, 12s ago',
      '  │ line one',
    ]);
    expect(renderJobLogsLines(jobLogsView(running, undefined, NOW))[1]).toBe('  No output yet: the container runs and has printed nothing so far.');
  });
});

describe('renderScheduleLines and renderListLines', () => {
  it('shows a schedule with its next firings', () => {
    const lines = renderScheduleLines(scheduleView(makeSchedule(), NOW));
    expect(lines[0]).toBe('↻ weekday report  s-weekday');
    expect(lines).toContain('  Next firings    2026-01-16 08:00 UTC; 2026-01-19 08:00 UTC; 2026-01-20 08:00 UTC');
    expect(lines[lines.length - 1]).toBe('  Next            /sched cancel s-weekday');
  });

  it('groups schedules, active and ended jobs', () => {
    const lines = renderListLines({
      jobs: [jobView(jobInStatus(JobStatus.Running), NOW), jobView(jobInStatus(JobStatus.Succeeded), NOW)],
      schedules: [scheduleView(makeSchedule(), NOW)],
      all: false,
    });
    expect(lines).toEqual([
      'Your jobs',
      'Schedules (1)',
      '  ↻ s-weekday  weekday report — Every "0 9 * * 1-5" (Europe/Paris), next 2026-01-16 08:00 UTC (in 21h 30m)',
      'Active (1)',
      '  ▶ j-running  nightly-etl — Running on i-0abc123 (t3.micro), attempt 2',
      'Ended (1)',
      '  ✓ j-succeeded  nightly-etl — Succeeded in 14m',
      'Details: /sched status JOB  ·  Output: /sched logs JOB',
    ]);
    expect(renderListLines({ jobs: [], schedules: [], all: true })[1]).toMatch(/No jobs in the last 24 hours/);
  });
});

describe('help, errors and notices', () => {
  it.each([undefined, ...SUBCOMMANDS, 'times', 'cron'])('prints help %s as the grammar wrote it', (topic) => {
    expect(renderHelpLines(topic).join('\n')).toBe(helpText(topic));
  });

  it('prints an error with its usage line', () => {
    expect(renderErrorLines('status needs a JOB', USAGE.status)).toEqual([
      '✗ Error',
      '  status needs a JOB',
      '  Usage: /sched status JOB',
      '  Help:  /sched help',
    ]);
    expect(renderErrorLines('a\nb', USAGE.run).slice(1, 3)).toEqual(['  • a', '  • b']);
  });

  it('never lets a control sequence through', () => {
    fc.assert(
      fc.property(anyText(300), anyText(100), (error, usage) => {
        for (const line of [...renderErrorLines(error, usage), ...renderNoticeLines(error)]) expect(line).not.toMatch(TERMINAL_CONTROL);
      }),
      { numRuns: 200 },
    );
  });
});

describe('any job', () => {
  it('renders without a control character, in every form', () => {
    fc.assert(
      fc.property(anyJob, anySchedule, (job, schedule) => {
        const view = jobView(job, NOW);
        const lines = [
          ...renderJobLines(view),
          ...renderJobStatusLines(view),
          ...renderJobLogsLines(view),
          ...view.events.map((event) => renderJobEventLine(view, event)),
          ...renderScheduleLines(scheduleView(schedule, NOW)),
          ...renderListLines({ jobs: [view], schedules: [scheduleView(schedule, NOW)], all: true }),
        ];
        for (const line of lines) {
          expect(line).not.toContain('\n');
          expect(line).not.toMatch(TERMINAL_CONTROL);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('the Slack and terminal renderers show the same facts', () => {
  /** The facts of a view: what both surfaces must show, in their own words. */
  function facts(view: JobView | ScheduleView): string[] {
    return [view.id, view.title, view.statusLabel, ...view.fields.flatMap((field) => [field.label, field.value])];
  }

  /** Slack's text as a person reads it: mrkdwn entities decoded. */
  function slackText(message: SlackMessage): string {
    const texts: string[] = [];
    const walk = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === 'object') Object.entries(value).forEach(([key, inner]) => (key === 'text' && typeof inner === 'string' ? texts.push(inner) : walk(inner)));
    };
    walk(message.blocks);
    return unescapeSlackText(texts.join('\n'));
  }

  function slackActions(message: SlackMessage): string[] {
    return message.blocks.flatMap((block) =>
      block.type === 'actions' ? block.elements.map((element) => `${String((element as { action_id?: string }).action_id)}:${String((element as { value?: string }).value)}`) : [],
    );
  }

  it.each(ALL_STATUSES)('for a %s job', (status) => {
    const view = jobView(jobInStatus(status), NOW);
    const slack = slackText(renderJobMessage(view));
    const terminal = renderJobLines(view).join('\n');
    for (const fact of facts(view)) {
      expect(slack, fact).toContain(fact);
      expect(terminal, fact).toContain(fact);
    }
    expect(slack).toContain('@U024BE7LH'); // the mention, as Slack shows it
    expect(terminal).toContain('U024BE7LH');
    // Each Slack button but "Run on-demand" (a button only) is a command the terminal suggests, for the same id.
    const commandButtons = slackActions(renderJobMessage(view)).filter((action) => !action.startsWith('job_run_on_demand:'));
    expect(commandButtons.map((action) => action.replace(/^job_(\w+):/, '/sched $1 '))).toEqual(typedActions(view.actions).map((action) => `/sched ${action} ${view.id}`));
    for (const action of typedActions(view.actions)) expect(terminal).toContain(`/sched ${action} ${view.id}`);
    expect(terminal).not.toContain('on-demand');
  });

  it('for the status of a job, events included', () => {
    const view = jobView(jobInStatus(JobStatus.Running), NOW);
    const slack = slackText(renderJobStatus(view));
    const terminal = renderJobStatusLines(view).join('\n');
    for (const fact of [...facts(view), ...view.events.flatMap((event) => [event.time, event.text])]) {
      expect(slack, fact).toContain(fact);
      expect(terminal, fact).toContain(fact);
    }
  });

  it('for a schedule', () => {
    const view = scheduleView(makeSchedule(), NOW);
    const slack = slackText(renderScheduleMessage(view));
    const terminal = renderScheduleLines(view).join('\n');
    for (const fact of facts(view)) {
      expect(slack, fact).toContain(fact);
      expect(terminal, fact).toContain(fact);
    }
  });

  it('for any ordinary job', () => {
    fc.assert(
      fc.property(ordinaryJob, (job) => {
        const view = jobView(job, NOW);
        const slack = slackText(renderJobMessage(view));
        const terminal = renderJobLines(view).join('\n');
        for (const fact of facts(view)) {
          expect(slack).toContain(fact);
          expect(terminal).toContain(fact);
        }
      }),
      { numRuns: 100 },
    );
  });
});
