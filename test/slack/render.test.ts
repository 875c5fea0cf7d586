import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SUBCOMMANDS, USAGE } from '../../bot/core/parsing/help.js';
import { ALL_STATUSES, JobStatus, type JobStatus as Status } from '../../bot/core/job.js';
import { JOB_VIEW_LIMITS, jobView, scheduleView, type JobView } from '../../bot/core/view/job-view.js';
import { jobLogsView } from '../../bot/core/view/logs-view.js';
import {
  escapeMrkdwn,
  fitMrkdwn,
  fitMrkdwnTail,
  fitText,
  renderError,
  renderHelp,
  renderHome,
  renderJobEvent,
  renderJobLogs,
  renderJobMessage,
  renderJobStatus,
  renderList,
  renderNotice,
  renderScheduleMessage,
  SLACK_LIMITS,
  unescapeSlackText,
  type SlackMessage,
} from '../../bot/slack/render.js';
import { anyJob, anySchedule, anyText, jobInStatus, makeSchedule, NOW } from '../core/view/job-view-fixtures.js';
import { arrayUpTo } from '../harness/arbitraries.js';

type Json = Record<string, unknown>;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Slack's limits, checked independently of the renderer: what Slack would refuse
 * (invalid_blocks, msg_too_long) is a test failure here.
 */
function slackProblems(blocks: unknown[], maxBlocks: number): string[] {
  const problems: string[] = [];
  const text = (where: string, object: unknown, max: number, type?: string) => {
    const t = object as Json | undefined;
    if (!t || typeof t.text !== 'string') return problems.push(`${where}: no text object`);
    if (type && t.type !== type) problems.push(`${where}: type ${String(t.type)}, expected ${type}`);
    if (t.text.length === 0) problems.push(`${where}: empty text`);
    if (t.text.length > max) problems.push(`${where}: ${t.text.length} > ${max}`);
    if (LONE_SURROGATE.test(t.text)) problems.push(`${where}: lone surrogate`);
    // The renderer writes no special mention or link itself: one here came from user text.
    if (t.type === 'mrkdwn' && /<!|<https?:|<#/.test(t.text)) problems.push(`${where}: unescaped mention or link`);
    return undefined;
  };
  if (blocks.length > maxBlocks) problems.push(`${blocks.length} blocks > ${maxBlocks}`);
  blocks.forEach((raw, index) => {
    const block = raw as Json;
    const where = `block ${index} (${String(block.type)})`;
    switch (block.type) {
      case 'header':
        text(where, block.text, SLACK_LIMITS.headerText, 'plain_text');
        break;
      case 'section': {
        if (!block.text && !block.fields) problems.push(`${where}: neither text nor fields`);
        if (block.text) text(where, block.text, SLACK_LIMITS.sectionText);
        const fields = (block.fields as unknown[] | undefined) ?? [];
        if (fields.length > SLACK_LIMITS.sectionFields) problems.push(`${where}: ${fields.length} fields`);
        fields.forEach((f, i) => text(`${where} field ${i}`, f, SLACK_LIMITS.fieldText));
        break;
      }
      case 'context': {
        const elements = block.elements as unknown[];
        if (elements.length === 0 || elements.length > SLACK_LIMITS.contextElements) problems.push(`${where}: ${elements.length} elements`);
        elements.forEach((e, i) => text(`${where} element ${i}`, e, 3000));
        break;
      }
      case 'actions': {
        const elements = block.elements as Json[];
        if (elements.length === 0 || elements.length > 25) problems.push(`${where}: ${elements.length} elements`);
        for (const button of elements) {
          text(`${where} button`, button.text, SLACK_LIMITS.buttonText, 'plain_text');
          if (!['job_cancel', 'job_retry', 'job_logs', 'job_run_on_demand'].includes(String(button.action_id))) problems.push(`${where}: action_id ${String(button.action_id)}`);
          if (typeof button.value !== 'string' || button.value.length === 0 || button.value.length > 2000) problems.push(`${where}: value`);
          const confirm = button.confirm as Json | undefined;
          if (confirm) {
            text(`${where} confirm title`, confirm.title, 100, 'plain_text');
            text(`${where} confirm text`, confirm.text, 300);
            text(`${where} confirm button`, confirm.confirm, 30, 'plain_text');
            text(`${where} deny button`, confirm.deny, 30, 'plain_text');
          }
        }
        break;
      }
      case 'divider':
        break;
      default:
        problems.push(`${where}: unexpected block type`);
    }
  });
  return problems;
}

function expectValidMessage(message: SlackMessage): void {
  expect(message.text.length).toBeGreaterThan(0);
  expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  expect(message.text).not.toMatch(LONE_SURROGATE);
  // The fallback is mrkdwn too: no user text may become a mention or a link there.
  expect(message.text).not.toMatch(/<[!@#]|<https?:/);
  expect(slackProblems(message.blocks, SLACK_LIMITS.messageBlocks)).toEqual([]);
}

/** All mrkdwn and plain text in the blocks, in order. */
function blockTexts(blocks: unknown[]): string[] {
  const out: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      const object = value as Json;
      if ((object.type === 'mrkdwn' || object.type === 'plain_text') && typeof object.text === 'string') out.push(object.text);
      else Object.values(object).forEach(walk);
    }
  };
  walk(blocks);
  return out;
}

function buttons(message: SlackMessage): { action_id: string; value: string; text: string }[] {
  return message.blocks
    .filter((block) => block.type === 'actions')
    .flatMap((block) => (block as unknown as { elements: Json[] }).elements)
    .map((button) => ({ action_id: String(button.action_id), value: String(button.value), text: String((button.text as Json).text) }));
}

describe('renderJobMessage', () => {
  it.each(ALL_STATUSES)('renders a %s job within the limits, with its facts and buttons', (status) => {
    const view = jobView(jobInStatus(status), NOW);
    const message = renderJobMessage(view);
    expectValidMessage(message);
    expect(message.text).toBe(view.summary);
    const texts = blockTexts(message.blocks).join('\n');
    expect(message.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'nightly-etl', emoji: true } });
    expect(texts).toContain(view.statusLabel);
    for (const field of view.fields) {
      expect(texts).toContain(`*${field.label}*`);
      expect(texts).toContain(escapeMrkdwn(field.value));
    }
    expect(texts).toContain('<@U024BE7LH>');
    expect(buttons(message).map((button) => button.action_id)).toEqual(
      view.actions.map((action) => ({ cancel: 'job_cancel', retry: 'job_retry', logs: 'job_logs', 'on-demand': 'job_run_on_demand' })[action]),
    );
    for (const button of buttons(message)) expect(button.value).toBe(view.id);
  });

  it('puts Cancel behind a confirmation, and Retry as the primary button', () => {
    const running = renderJobMessage(jobView(jobInStatus(JobStatus.Running), NOW));
    const cancel = running.blocks.flatMap((block) => (block.type === 'actions' ? block.elements : []))[0] as unknown as Json;
    expect(cancel).toMatchObject({ action_id: 'job_cancel', value: 'j-running', style: 'danger', confirm: { style: 'danger' } });
    const failed = renderJobMessage(jobView(jobInStatus(JobStatus.Failed), NOW));
    expect(buttons(failed)).toEqual([
      { action_id: 'job_retry', value: 'j-failed', text: 'Retry' },
      { action_id: 'job_logs', value: 'j-failed', text: 'Logs' },
    ]);
  });

  it('escapes user text for mrkdwn, so that it can neither mention nor link', () => {
    const job = jobInStatus(JobStatus.Failed);
    job.spec.name = '<!channel> & <@U999|boss> <https://evil.example|click>';
    job.reason = 'exit <!here> & friends';
    job.spec.command = ['echo', '<!everyone>'];
    const message = renderJobMessage(jobView(job, NOW));
    expect(message.text).toMatch(/^&lt;!channel&gt; &amp; &lt;@U999\|boss&gt;/);
    const mrkdwn = message.blocks
      .flatMap((block) => blockTexts([block]).map((text) => ({ block: block.type, text })))
      .filter((entry) => entry.block !== 'header');
    for (const { text } of mrkdwn) {
      expect(text).not.toMatch(/<!|<https|<@U999/);
    }
    expect(mrkdwn.map((entry) => entry.text).join('\n')).toContain('Failed: exit &lt;!here&gt; &amp; friends');
    // The header is plain text: Slack shows it literally.
    expect(blockTexts([message.blocks[0]])).toEqual(['<!channel> & <@U999|boss> <https://evil.example|click>']);
  });

  it('fits a huge field value with its label kept and its code span closed', () => {
    const view = jobView(jobInStatus(JobStatus.Running), NOW);
    view.fields = [{ label: 'Command', value: 'y'.repeat(5000), code: true }, { label: 'Note', value: 'z'.repeat(5000) }];
    const message = renderJobMessage(view);
    expectValidMessage(message);
    const fields = message.blocks.flatMap((block) => (block.type === 'section' && block.fields ? block.fields.map((field) => field.text) : []));
    expect(fields).toHaveLength(2);
    expect(fields[0]).toMatch(/^\*Command\*\n`y+…`$/);
    expect(fields[1]).toMatch(/^\*Note\*\nz+…$/);
  });

  it('puts any number of fields in sections of at most ten', () => {
    const view = jobView(jobInStatus(JobStatus.Running), NOW);
    view.fields = Array.from({ length: 25 }, (_, index) => ({ label: `F${index}`, value: `v${index}` }));
    const message = renderJobMessage(view);
    expectValidMessage(message);
    const counts = message.blocks.flatMap((block) => (block.type === 'section' && block.fields ? [block.fields.length] : []));
    expect(counts).toEqual([10, 10, 5]);
  });

  it('stays within every limit for any job at all', () => {
    fc.assert(
      fc.property(anyJob, (job) => {
        const view = jobView(job, NOW);
        expectValidMessage(renderJobMessage(view));
        expectValidMessage(renderJobStatus(view));
        expectValidMessage(renderJobLogs(view));
        for (const event of view.events) expectValidMessage(renderJobEvent(view, event));
      }),
      { numRuns: 200 },
    );
  });
});

describe('renderJobEvent', () => {
  it('is one line per event, with the closing facts on the last one', () => {
    const view = jobView(jobInStatus(JobStatus.Succeeded), NOW);
    const event = view.events[0];
    if (!event) throw new Error('no event');
    const message = renderJobEvent(view, event);
    expectValidMessage(message);
    expect(message.text).toBe('nightly-etl: succeeded (exit 0, 14m) · cost $0.03');
    expect(blockTexts(message.blocks)).toEqual([
      ':white_check_mark: succeeded (exit 0, 14m) · cost $0.03',
      '10:19:00 UTC',
      '`j-succeeded`',
    ]);
  });

  it('marks a failed callback with a warning', () => {
    const view = jobView(jobInStatus(JobStatus.Failed), NOW);
    const message = renderJobEvent(view, { at: NOW.toISOString(), time: '10:30:00 UTC', kind: 'callback', text: 'callback failed after 9 tries: timeout', tone: 'failure' });
    expect(blockTexts(message.blocks)[0]).toBe(':warning: callback failed after 9 tries: timeout');
  });
});

describe('renderJobStatus and renderJobLogs', () => {
  it('shows recent events and the end of the output', () => {
    const view = jobView(jobInStatus(JobStatus.Failed), NOW);
    const texts = blockTexts(renderJobStatus(view).blocks).join('\n');
    expect(texts).toContain('*Recent events*');
    expect(texts).toContain('failed: the container exited with code 2, 1m');
    expect(texts).toContain('```Traceback (most recent call last):\nValueError: bad row```');
  });

  it('keeps the end of a long output, within the block budget', () => {
    const job = jobInStatus(JobStatus.Succeeded);
    job.logTail = Array.from({ length: 3000 }, (_, index) => `line ${index} <tag> & more`).join('\n');
    const message = renderJobLogs(jobView(job, NOW));
    expectValidMessage(message);
    const texts = blockTexts(message.blocks).join('\n');
    expect(texts).toContain('line 2999 &lt;tag&gt; &amp; more```');
    expect(texts).not.toContain('line 0 ');
  });

  it('splits recent events over as many sections as the 3,000-character limit needs, losing no line', () => {
    const job = jobInStatus(JobStatus.Running);
    job.events = Array.from({ length: 20 }, (_, index) => ({ at: NOW.toISOString(), kind: 'waiting' as const, text: `event ${index} ${'x'.repeat(400)}` }));
    const message = renderJobStatus(jobView(job, NOW));
    expectValidMessage(message);
    const eventSections = blockTexts(message.blocks).filter((text) => /event \d+ x/.test(text));
    expect(eventSections.length).toBeGreaterThan(1);
    const shown = eventSections.join('\n').match(/event \d+ x+/g) ?? [];
    // The view keeps the last JOB_VIEW_LIMITS.events of them; every one of those is shown whole.
    expect(shown).toEqual(Array.from({ length: JOB_VIEW_LIMITS.events }, (_, index) => `event ${20 - JOB_VIEW_LIMITS.events + index} ${'x'.repeat(400)}`));
  });

  it('says why there is no output', () => {
    expect(blockTexts(renderJobLogs(jobView(jobInStatus(JobStatus.Running), NOW)).blocks).join('')).toContain('output arrives when the container ends');
  });

  it('logs of a running job: the output so far under a line that says so and how old it is', () => {
    const at = new Date(NOW.getTime() - 12_000).toISOString();
    const message = renderJobLogs(jobLogsView(jobInStatus(JobStatus.Running), { text: 'line one\n', at }, NOW));
    expectValidMessage(message);
    const texts = blockTexts(message.blocks);
    expect(texts[1]).toBe('The job is running: output so far, 12s ago');
    expect(texts[2]).toBe('```line one```');
  });

  it('cannot be broken out of its code block by the output', () => {
    const job = jobInStatus(JobStatus.Succeeded);
    job.logTail = 'a```b';
    const texts = blockTexts(renderJobLogs(jobView(job, NOW)).blocks);
    expect(texts[1]).toBe('```a`\u200d``b```');
  });
});

describe('renderScheduleMessage', () => {
  it('shows the next firings and a Cancel button carrying the schedule id', () => {
    const view = scheduleView(makeSchedule(), NOW);
    const message = renderScheduleMessage(view);
    expectValidMessage(message);
    const texts = blockTexts(message.blocks).join('\n');
    expect(texts).toContain('2026-01-16 08:00 UTC; 2026-01-19 08:00 UTC; 2026-01-20 08:00 UTC');
    expect(buttons(message)).toEqual([{ action_id: 'job_cancel', value: 's-weekday', text: 'Cancel schedule' }]);
  });

  it('stays within every limit for any schedule', () => {
    fc.assert(fc.property(anySchedule, (schedule) => expectValidMessage(renderScheduleMessage(scheduleView(schedule, NOW)))), { numRuns: 100 });
  });
});

describe('renderList and renderHome', () => {
  const views = (count: number, status: Status = JobStatus.Running): JobView[] =>
    Array.from({ length: count }, (_, index) => {
      const job = jobInStatus(status);
      job.id = `j-${status}-${index}`;
      return jobView(job, NOW);
    });

  it('groups schedules, active and ended jobs', () => {
    const message = renderList({ jobs: [...views(2), ...views(1, JobStatus.Succeeded)], schedules: [scheduleView(makeSchedule(), NOW)], all: false });
    expectValidMessage(message);
    expect(message.text).toBe('Your jobs: 1 schedules, 2 active, 1 ended');
    const texts = blockTexts(message.blocks).join('\n');
    expect(texts).toMatch(/\*Schedules\* \(1\)[\s\S]*\*Active\* \(2\)[\s\S]*\*Ended\* \(1\)/);
    expect(texts).toContain('`j-running-1` — Running on i-0abc123 (t3.micro), attempt 2');
  });

  it('says so when there is nothing', () => {
    const message = renderList({ jobs: [], schedules: [], all: true });
    expectValidMessage(message);
    expect(blockTexts(message.blocks).join('\n')).toContain('No jobs in the last 24 hours');
  });

  it('fits thousands of jobs in 50 blocks and counts the rest', () => {
    const jobs = views(3000);
    for (const job of jobs) job.statusLabel = `${job.statusLabel} ${'x'.repeat(400)}`;
    const message = renderList({ jobs, schedules: [], all: true });
    expectValidMessage(message);
    expect(message.blocks).toHaveLength(SLACK_LIMITS.messageBlocks);
    const shown = blockTexts(message.blocks).join('\n').match(/`j-running-\d+`/g)?.length ?? 0;
    expect(blockTexts(message.blocks).join('\n')).toContain(`…and ${3000 - shown} more not shown`);
  });

  it('renders the App Home with buttons per job, within 100 blocks', () => {
    const home = renderHome({ jobs: [...views(80), ...views(80, JobStatus.Failed)], schedules: [scheduleView(makeSchedule(), NOW)] });
    expect(home.type).toBe('home');
    expect(slackProblems(home.blocks, SLACK_LIMITS.homeBlocks)).toEqual([]);
    expect(home.blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.homeBlocks);
    expect(blockTexts(home.blocks).join('\n')).toMatch(/…and \d+ more: `\/sched list`/);
    const actionIds = home.blocks.flatMap((block) => (block.type === 'actions' ? block.elements.map((e) => (e as unknown as Json).action_id) : []));
    expect(actionIds).toContain('job_cancel');
  });

  it('stays within the limits for any lists', () => {
    fc.assert(
      fc.property(arrayUpTo(anyJob, 60), arrayUpTo(anySchedule, 10), (jobs, schedules) => {
        const jobViews = jobs.map((job) => jobView(job, NOW));
        const scheduleViews = schedules.map((schedule) => scheduleView(schedule, NOW));
        expectValidMessage(renderList({ jobs: jobViews, schedules: scheduleViews, all: false }));
        expect(slackProblems(renderHome({ jobs: jobViews, schedules: scheduleViews }).blocks, SLACK_LIMITS.homeBlocks)).toEqual([]);
      }),
      { numRuns: 40 },
    );
  });
});

describe('renderHelp, renderError, renderNotice', () => {
  it.each([undefined, ...SUBCOMMANDS, 'times', 'cron'])('help %s is preformatted within the limits', (topic) => {
    const message = renderHelp(topic);
    expectValidMessage(message);
    const texts = blockTexts(message.blocks);
    expect(texts.length).toBeGreaterThan(0);
    for (const text of texts) expect(text).toMatch(/^```[\s\S]*```$/);
  });

  it('shows the error and the usage line', () => {
    const message = renderError('unknown option "--tpye" for run; did you mean "--type"?', USAGE.run);
    expectValidMessage(message);
    expect(blockTexts(message.blocks)).toEqual([
      ':warning: unknown option "--tpye" for run; did you mean "--type"?',
      'Usage: `/sched run [OPTIONS] IMAGE [COMMAND] [ARG...]`',
      'Help: `/sched help`',
    ]);
  });

  it('lists several problems as bullets', () => {
    const message = renderError('IMAGE: bad\n--retries: bad <x>', USAGE.run);
    expect(blockTexts(message.blocks)[0]).toBe(':warning: • IMAGE: bad\n• --retries: bad &lt;x&gt;');
  });

  it('stays within the limits for any error or notice', () => {
    fc.assert(
      fc.property(anyText(6000), anyText(3000), (error, usage) => {
        expectValidMessage(renderError(error, usage));
        expectValidMessage(renderNotice(error));
      }),
      { numRuns: 100 },
    );
  });
});

describe('text helpers', () => {
  it('escapes only &, < and >', () => {
    expect(escapeMrkdwn('a & b < c > d *e* _f_')).toBe('a &amp; b &lt; c &gt; d *e* _f_');
  });

  it.each([
    ['run alpine echo &lt;x&gt; &amp;amp;', 'run alpine echo <x> &amp;'],
    ['run --callback <https://ci.example.com/hook> alpine', 'run --callback https://ci.example.com/hook alpine'],
    ['run --callback <https://ci.example.com/hook|ci.example.com/hook> alpine', 'run --callback https://ci.example.com/hook alpine'],
    ['run -e TO=<mailto:ana@example.com|ana@example.com> alpine', 'run -e TO=ana@example.com alpine'],
    ['run alpine echo <@U024BE7LH|ana> <#C123|general> <@U1>', 'run alpine echo @ana #general @U1'],
    ['run alpine echo <!here>', 'run alpine echo @here'],
  ])('unescapes Slack command text %j', (input, expected) => {
    expect(unescapeSlackText(input)).toBe(expected);
  });

  it('fits any text without splitting a surrogate pair or an entity', () => {
    fc.assert(
      fc.property(anyText(400), fc.integer({ min: 2, max: 300 }), (text, max) => {
        for (const fitted of [fitText(text, max), fitMrkdwn(text, max), fitMrkdwnTail(text, max)]) {
          expect(fitted.length).toBeLessThanOrEqual(max);
          expect(fitted).not.toMatch(LONE_SURROGATE);
        }
        for (const fitted of [fitMrkdwn(text, max), fitMrkdwnTail(text, max)]) {
          // Every & starts a whole entity: no "&am…" left behind.
          expect(fitted.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
        }
      }),
      { numRuns: 1000 },
    );
  });
});
