/**
 * The answer to a command that did not finish after its ack (bot/slack/reply.ts `failureWords`):
 * what did not finish, why in a few words, and what changed — for each write the store began.
 */
import { describe, expect, test } from 'vitest';
import { failureWords, renderFailure, type StoreWrite } from '../../bot/slack/reply.js';

const late = { kind: 'late', seconds: 10, store: true } as const;

describe('a command that did not finish says whether anything changed', () => {
  test.each<[string, StoreWrite[], string]>([
    ['nothing written', [], 'Nothing was changed.'],
    ['a job created', [{ call: 'createJob', state: 'done', id: 'j-1' }], 'Job j-1 was created: `/sched status j-1` follows it.'],
    ['a retry created', [{ call: 'retryJob', arg: 'j-1', state: 'done', id: 'j-2' }], 'Job j-2 was created: `/sched status j-2` follows it.'],
    ['a job cancelled', [{ call: 'cancelJob', arg: 'j-1', state: 'done' }], 'Job j-1 was cancelled.'],
    ['on-demand accepted', [{ call: 'runOnDemand', arg: 'j-1', state: 'done' }], 'Job j-1 launches on-demand.'],
    ['a schedule created', [{ call: 'createSchedule', state: 'done', id: 's-1' }], 'Schedule s-1 was created.'],
    ['a schedule cancelled', [{ call: 'cancelSchedule', arg: 's-1', state: 'done' }], 'Schedule s-1 was cancelled; it starts no more jobs.'],
    ['a create that did not answer', [{ call: 'createJob', state: 'started' }], 'The job may or may not have been created: `/sched list` will show it in a minute.'],
    ['a cancel that failed', [{ call: 'cancelJob', arg: 'j-1', state: 'failed' }], 'Job j-1 may or may not be cancelled: `/sched status j-1` will tell in a minute.'],
    ['a retry that failed', [{ call: 'retryJob', arg: 'j-1', state: 'failed' }], 'The retry of j-1 may or may not have been created: `/sched list` will show it in a minute.'],
    ['on-demand that did not answer', [{ call: 'runOnDemand', arg: 'j-1', state: 'started' }], 'Job j-1 may or may not launch on-demand: `/sched status j-1` will tell in a minute.'],
    ['a schedule create that failed', [{ call: 'createSchedule', state: 'failed' }], 'The schedule may or may not have been created: `/sched list` will show it in a minute.'],
    ['a schedule cancel that failed', [{ call: 'cancelSchedule', arg: 's-1', state: 'failed' }], 'Schedule s-1 may or may not be cancelled: `/sched status s-1` will tell in a minute.'],
  ])('%s', (_name, writes, changed) => {
    expect(failureWords({ label: 'x', cause: late, writes })).toBe(`Sched could not finish \`x\`: the job store did not answer within 10 s. ${changed}`);
  });

  test('the cause in a few words, never the error', () => {
    expect(failureWords({ label: 'list', cause: { kind: 'late', seconds: 10, store: false }, writes: [] })).toBe('Sched could not finish `list`: it did not finish within 10 s. Nothing was changed.');
    expect(failureWords({ label: 'list', cause: { kind: 'store' }, writes: [] })).toBe('Sched could not finish `list`: the job store failed (the log says how). Nothing was changed.');
    expect(failureWords({ label: 'list', cause: { kind: 'other' }, writes: [] })).toBe('Sched could not finish `list`: something failed inside Sched (the log says what). Nothing was changed.');
  });

  test('a label cannot close its code span or mention anyone', () => {
    const message = renderFailure({ label: 'cancel `x` <!channel>', cause: { kind: 'other' }, writes: [] });
    expect(message.text).toContain("`cancel 'x' &lt;!channel&gt;`");
    expect(JSON.stringify(message.blocks)).not.toContain('<!channel>');
  });
});
