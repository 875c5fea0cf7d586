import { describe, expect, test } from 'vitest';
import { EC2_ENV as EC2, problemsOf, configOf } from './harness/config.js';

const SLACK = { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_APP_TOKEN: 'xapp-test' };

describe('Slack with local compute', () => {
  test('refuses to start without SCHED_ALLOWED_USERS, saying why and what to set', () => {
    expect(problemsOf({ ...SLACK })).toEqual([
      'SCHED_ALLOWED_USERS: required with Slack and local compute (SCHED_CHAT=slack, SCHED_COMPUTE=local): without it every member of the workspace could run containers on this machine; set it to the Slack user ids (U…) who may, comma-separated',
    ]);
    expect(configOf({ ...SLACK, SCHED_ALLOWED_USERS: 'U012ABCDEF' })).toMatchObject({ chat: 'slack', compute: 'local' });
  });

  test('terminal or no chat with local compute, and Slack with EC2, need no allow-list', () => {
    expect(configOf({}, true)).toMatchObject({ chat: 'terminal', compute: 'local' });
    expect(configOf({})).toMatchObject({ chat: 'none', compute: 'local' });
    expect(configOf({ ...SLACK, SCHED_CHAT: 'none' })).toMatchObject({ chat: 'none', compute: 'local' });
    expect(configOf({ ...EC2, ...SLACK })).toMatchObject({ chat: 'slack', compute: 'ec2' });
  });
});

describe('SCHED_LOCAL_MEMORY, SCHED_LOCAL_CPUS', () => {
  test('defaults: 2g of memory, CPUs left to the machine (main.ts: 2 or fewer), 512 processes', () => {
    expect(configOf({}).localLimits).toEqual({ memory: '2g', pids: 512 });
    expect(configOf({ SCHED_LOCAL_MEMORY: '512M', SCHED_LOCAL_CPUS: '1.5' }).localLimits).toEqual({ memory: '512m', cpus: '1.5', pids: 512 });
  });

  test('a value docker or podman would not take is a problem that shows it', () => {
    expect(problemsOf({ SCHED_LOCAL_MEMORY: 'lots', SCHED_LOCAL_CPUS: 'all' })).toEqual([
      'SCHED_LOCAL_MEMORY: must be a memory size of at least 6m such as "512m" or "2g", got "lots"',
      'SCHED_LOCAL_CPUS: must be a number of CPUs such as "2" or "0.5", got "all"',
    ]);
    expect(problemsOf({ SCHED_LOCAL_MEMORY: '1m', SCHED_LOCAL_CPUS: '0' })).toHaveLength(2);
  });
});
