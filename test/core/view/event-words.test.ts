/**
 * The words of every event and end reason, pinned: the lifecycle records facts, and these are the
 * sentences Slack, the terminal, the log and the REST API show for them.
 */
import { describe, expect, test } from 'vitest';
import { describeEndReason, describeEvent, jobReason } from '../../../bot/core/view/event-words.js';
import type { EndReason, JobEvent, JobEventFacts } from '../../../bot/core/job-event.js';
import { viewEvent } from '../../../bot/core/view/job-view.js';
import { makeJob } from '../../harness/jobs.js';

const AT = '2026-01-15T10:05:00.000Z';
const NOW = new Date('2026-01-15T10:30:00.000Z');
const event = (facts: JobEventFacts): JobEvent => ({ ...facts, at: AT });

describe('describeEvent', () => {
  test.each<[JobEventFacts, string]>([
    [{ kind: 'created' }, 'created; starting now'],
    [{ kind: 'created', scheduledFor: '2026-01-16T09:30:00.000Z' }, 'scheduled for 2026-01-16 09:30:00 UTC'],
    [{ kind: 'requested', attempt: 1, compute: 'ec2', market: 'spot', pool: { instanceType: 't3.micro' } }, 'spot request issued for t3.micro (attempt 1)'],
    [{ kind: 'requested', attempt: 2, compute: 'local', market: 'spot', pool: { instanceType: 't3.micro' } }, 'starting on this machine (attempt 2)'],
    [{ kind: 'waiting', wait: 'launch-retry', code: 'RequestLimitExceeded', message: 'slow down' }, 'instance not launched yet: RequestLimitExceeded (slow down); retrying'],
    [{ kind: 'waiting', wait: 'launch-retry', code: 'RequestLimitExceeded', message: 'slow down', compute: 'ec2' }, 'instance not launched yet: RequestLimitExceeded (slow down); retrying'],
    [{ kind: 'waiting', wait: 'launch-retry', code: 'ShuttingDown', message: 'Sched is stopping', compute: 'local' }, 'could not start on this machine yet: ShuttingDown (Sched is stopping); retrying'],
    [{ kind: 'waiting', wait: 'capacity', statusCode: 'capacity-not-available', statusMessage: 'none left' }, 'waiting for spot capacity: no spot capacity for this instance type right now (none left)'],
    [{ kind: 'instance-type-changed', from: 'm7g.large', to: 'm6g.large', afterSeconds: 300 }, 'no m7g.large capacity after 300 s; trying m6g.large'],
    [{ kind: 'launching', compute: 'ec2', instanceId: 'i-0abc', instanceType: 't3.micro' }, 'instance i-0abc is up (t3.micro); starting the container'],
    [{ kind: 'launching', compute: 'local', instanceId: 'local-i-j-1-1', instanceType: 't3.micro' }, 'the agent is running on this machine; starting the container'],
    [{ kind: 'started', attempt: 2 }, 'container started (attempt 2)'],
    [{ kind: 'interruption-notice', source: 'spot', statusCode: 'marked-for-termination' }, 'AWS will reclaim the instance soon (marked-for-termination)'],
    [{ kind: 'interruption-notice', source: 'agent' }, 'the instance received the two-minute spot interruption notice'],
    [{ kind: 'rebalance-recommended', attempt: 2 }, 'AWS recommends moving off this instance soon (rebalance recommendation); attempt 2 keeps running'],
    [{ kind: 'interrupted', attempt: 1, compute: 'ec2', interruption: { cause: 'spot-reclaimed', status: 'instance-terminated-no-capacity' } }, 'attempt 1 interrupted: spot instance-terminated-no-capacity; requesting a new instance (attempt 2)'],
    [{ kind: 'interrupted', attempt: 1, compute: 'ec2', interruption: { cause: 'spot-ended-elsewhere', status: 'instance-terminated-by-user' } }, 'attempt 1 interrupted: spot instance-terminated-by-user outside Sched; requesting a new instance (attempt 2)'],
    [{ kind: 'interrupted', attempt: 3, compute: 'local', interruption: { cause: 'instance-missing' } }, 'attempt 3 interrupted: the instance disappeared; starting it again (attempt 4)'],
    [{ kind: 'interrupted', attempt: 1, compute: 'ec2', interruption: { cause: 'instance-state', state: 'stopped' } }, 'attempt 1 interrupted: the instance is stopped; requesting a new instance (attempt 2)'],
    [{ kind: 'interrupted', attempt: 1, compute: 'ec2', interruption: { cause: 'launch-timeout', seconds: 900 } }, 'attempt 1 interrupted: the instance did not start the container within 15m; requesting a new instance (attempt 2)'],
    [{ kind: 'interrupted', attempt: 1, compute: 'ec2', interruption: { cause: 'request-vanished' } }, 'attempt 1 interrupted: the spot request disappeared before launching anything; requesting a new instance (attempt 2)'],
    [{ kind: 'replacing', attempt: 1, cause: 'notice', interruptions: 1, tolerated: 3 }, 'AWS gave the two-minute notice for attempt 1; launching a replacement now (attempt 2, interruption 1 of 3 tolerated) while attempt 1 works on until AWS takes it'],
    [{ kind: 'replacing', attempt: 2, cause: 'rebalance', interruptions: 2, tolerated: 2 }, "AWS recommends moving off attempt 2's instance (rebalance recommendation); launching a replacement now (attempt 3, interruption 2 of 2 tolerated) while attempt 2 works on"],
    [{ kind: 'replacement-launched', attempt: 2, replaced: 1, cause: 'notice', pool: { instanceType: 'm7g.large', zone: 'us-west-2b' } }, 'AWS gave the two-minute notice; replacement launched in m7g.large (us-west-2b) (attempt 2) while attempt 1 works on'],
    [{ kind: 'replacement-launched', attempt: 2, replaced: 1, cause: 'rebalance', pool: { instanceType: 't3.micro' } }, 'AWS recommended a rebalance; replacement launched in t3.micro (attempt 2) while attempt 1 works on'],
    [{ kind: 'finished-after-all', attempt: 1, exitCode: 0 }, 'attempt 1 finished after all (exit 0); replacement stopped'],
    [{ kind: 'drain-released', attempt: 1, instanceId: 'i-0abc', release: 'replacement-started' }, "attempt 1's instance i-0abc terminated: the replacement has started"],
    [{ kind: 'drain-released', attempt: 1, instanceId: 'i-0abc', release: 'gone' }, "attempt 1's instance i-0abc is gone (AWS took it)"],
    [{ kind: 'drain-released', attempt: 1, release: 'deadline' }, "attempt 1's instance terminated: AWS's two-minute deadline has passed"],
    [{ kind: 'drain-released', attempt: 1, instanceId: 'i-0abc', release: 'superseded' }, "attempt 1's instance i-0abc terminated: its replacement got the notice in turn"],
    [{ kind: 'succeeded', ranSeconds: 840 }, 'succeeded (exit 0, 14m)'],
    [{ kind: 'succeeded' }, 'succeeded (exit 0)'],
    [{ kind: 'failed', end: { reason: 'exit-code', exitCode: 2 }, ranSeconds: 61 }, 'failed: the container exited with code 2, 1m 1s'],
    [{ kind: 'cancelled', end: { reason: 'cancelled', by: 'U024BE7LH' } }, 'cancelled by U024BE7LH'],
    [{ kind: 'callback', delivered: true, statusCode: 204 }, 'callback delivered (HTTP 204)'],
    [{ kind: 'callback', delivered: true }, 'callback delivered (HTTP ok)'],
    [{ kind: 'callback', delivered: false, attempts: 1, statusCode: 404 }, 'callback failed after 1 try: HTTP 404'],
    [{ kind: 'callback', delivered: false, attempts: 9, error: 'timeout' }, 'callback failed after 9 tries: timeout'],
  ])('%j', (facts, words) => {
    expect(describeEvent(event(facts))).toBe(words);
  });

  test('an event stored before events were data is shown as stored', () => {
    const legacy: JobEvent = { at: AT, kind: 'callback', text: 'callback failed after 2 tries: HTTP 500' };
    expect(describeEvent(legacy)).toBe('callback failed after 2 tries: HTTP 500');
    expect(viewEvent(legacy, NOW)).toMatchObject({ text: 'callback failed after 2 tries: HTTP 500', tone: 'failure' });
    expect(viewEvent({ at: AT, kind: 'callback', text: 'callback delivered (HTTP 200)' }, NOW).tone).toBe('success');
  });

  test('a rebalance recommendation reads as a warning, not a failure: the container keeps running', () => {
    expect(viewEvent(event({ kind: 'rebalance-recommended', attempt: 1 }), NOW).tone).toBe('waiting');
    expect(viewEvent(event({ kind: 'interruption-notice', source: 'agent' }), NOW).tone).toBe('failure');
  });

  test("a callback event's tone is whether it was delivered, whatever the words", () => {
    expect(viewEvent(event({ kind: 'callback', delivered: true, statusCode: 200 }), NOW).tone).toBe('success');
    // An error message that happens to contain "failed" does not make a delivery a failure, nor the reverse.
    expect(viewEvent(event({ kind: 'callback', delivered: false, attempts: 1, error: 'connection reset' }), NOW).tone).toBe('failure');
  });
});

describe('describeEndReason and jobReason', () => {
  test.each<[EndReason, string]>([
    [{ reason: 'exit-code', exitCode: 3 }, 'the container exited with code 3'],
    [{ reason: 'timeout', seconds: 60 }, 'timed out after 60 s'],
    [{ reason: 'launch-refused', compute: 'ec2', code: 'InvalidAMIID.NotFound', message: 'no such AMI' }, 'the spot request was refused: InvalidAMIID.NotFound: no such AMI'],
    [{ reason: 'launch-refused', compute: 'local', code: 'ContainerCliMissing', message: 'neither docker nor podman is installed' }, 'the job could not start on this machine: ContainerCliMissing: neither docker nor podman is installed'],
    [{ reason: 'no-capacity', instanceTypes: ['m7g.large', 'm6g.large'], code: 'Unsupported', message: 'not here' }, 'EC2 could not place any of the instance types (m7g.large, m6g.large): Unsupported: not here'],
    [{ reason: 'spot-failed', status: 'bad-parameters', message: 'The request is not valid' }, 'spot request failed: bad-parameters: The request is not valid'],
    [{ reason: 'spot-failed', status: 'failed' }, 'spot request failed: failed'],
    [{ reason: 'retries-spent', interruptions: 2, tolerated: 1, last: { cause: 'instance-state', state: 'terminated' } }, 'interrupted 2 times (the instance is terminated); retries spent (--retries 1)'],
    [{ reason: 'cancelled', by: 'api' }, 'cancelled by api'],
  ])('%j', (end, words) => {
    expect(describeEndReason(end)).toBe(words);
  });

  test('a job stored before end reasons were data keeps its words', () => {
    expect(jobReason(makeJob({ status: 'failed', reason: 'the container exited with code 1' }))).toBe('the container exited with code 1');
    expect(jobReason(makeJob({ status: 'failed', endReason: { reason: 'exit-code', exitCode: 1 } }))).toBe('the container exited with code 1');
    expect(jobReason(makeJob())).toBeUndefined();
  });
});
