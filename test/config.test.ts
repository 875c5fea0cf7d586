import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { chatChoice, loadConfig, maskConfig } from '../bot/config.js';

const SECRET = 's'.repeat(40);
const AWS = { AWS_REGION: 'us-west-2', AWS_ACCESS_KEY_ID: 'AKIA', SCHED_AMI: 'ami-123', SCHED_SECRET: SECRET };

describe('configuration', () => {
  test('nothing set: the embedded default', () => {
    const result = loadConfig({}, { stdinIsTTY: true });
    expect(result.ok && result.config).toMatchObject({ compute: 'local', store: 'embedded', chat: 'terminal', port: 8080, host: '127.0.0.1', publicUrl: 'http://127.0.0.1:8080', table: 'sched-jobs', dataDir: '.sched', pollSeconds: 30, callbackAllowPrivate: false });
    const piped = loadConfig({}, { stdinIsTTY: false });
    expect(piped.ok && piped.config.chat).toBe('none');
  });

  test('AWS configured: EC2 and DynamoDB; Slack tokens: Slack', () => {
    const result = loadConfig({ ...AWS, SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }, { stdinIsTTY: false });
    expect(result.ok && result.config).toMatchObject({ compute: 'ec2', store: 'dynamodb', chat: 'slack', host: '0.0.0.0' });
  });

  test('instance types with a dash in the size are instance types', () => {
    const result = loadConfig({ SCHED_INSTANCE_TYPES: 'm7i.metal-24xl,c6i.metal-32xl' }, { stdinIsTTY: false });
    expect(result.ok && result.config.spot.instanceTypes).toEqual(['m7i.metal-24xl', 'c6i.metal-32xl']);
  });

  test('every problem is reported at once', () => {
    const result = loadConfig(
      { SCHED_PORT: 'eighty', SCHED_COMPUTE: 'ec2', SCHED_POLL_SECONDS: '0', SCHED_INSTANCE_TYPES: 'T3 MICRO' },
      { stdinIsTTY: false },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.join('\n')).toMatch(/SCHED_PORT/);
    expect(result.problems.join('\n')).toMatch(/SCHED_POLL_SECONDS/);
    expect(result.problems.join('\n')).toMatch(/SCHED_INSTANCE_TYPES/);
    expect(result.problems.join('\n')).toMatch(/SCHED_AMI/);
    const third = loadConfig({ SCHED_ALLOWED_USERS: 'U123, bob', SCHED_ALLOWED_CHANNELS: 'C1X,#general', SCHED_ADMINS: 'UADMIN1' }, { stdinIsTTY: false });
    expect(third.ok ? [] : third.problems).toEqual(['SCHED_ALLOWED_USERS: "bob" is not a Slack user id', 'SCHED_ALLOWED_CHANNELS: "#general" is not a Slack channel id']);
    const second = loadConfig({ SCHED_COMPUTE: 'ec2', SCHED_INSTANCE_TYPES: 'T3 MICRO', SCHED_SECRET: 'short', SCHED_SUBNET_IDS: 'nope', SCHED_CHAT: 'slack' }, { stdinIsTTY: false });
    expect(second.ok).toBe(false);
    if (second.ok) return;
    for (const name of ['AWS_REGION', 'SCHED_AMI', 'SCHED_SECRET', 'SCHED_INSTANCE_TYPES', 'SCHED_SUBNET_IDS', 'SLACK_BOT_TOKEN']) {
      expect(second.problems.some((p) => p.startsWith(name)), name).toBe(true);
    }
  });

  test('every problem shows the value it was given, except a secret\'s', () => {
    const result = loadConfig(
      { SCHED_COMPUTE: 'foo', SCHED_TABLE: 'a b', SCHED_LOG_LEVEL: 'loud', SCHED_PORT: 'abc', SCHED_SECRET: 'short-secret-value' },
      { stdinIsTTY: false },
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toEqual(
      expect.arrayContaining([
        'SCHED_COMPUTE: must be one of "ec2", "local", got "foo"',
        'SCHED_TABLE: must be a DynamoDB table name, got "a b"',
        'SCHED_LOG_LEVEL: must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"',
        'SCHED_PORT: must be a whole number from 0 to 65535, got "abc"',
      ]),
    );
    expect(result.problems.join('\n')).not.toContain('short-secret-value');
  });

  test('SCHED_LAUNCH_TIMEOUT: a duration, 10 minutes by default; anything else is a clear error', () => {
    const launchTimeout = (value?: string) => {
      const result = loadConfig(value === undefined ? {} : { SCHED_LAUNCH_TIMEOUT: value }, { stdinIsTTY: false });
      return result.ok ? result.config.launchTimeoutSeconds : result.problems;
    };
    expect(launchTimeout()).toBe(600);
    expect(launchTimeout('')).toBe(600);
    expect(launchTimeout('10m')).toBe(600);
    expect(launchTimeout('600')).toBe(600);
    expect(launchTimeout('1h30m')).toBe(5400);
    expect(launchTimeout('90s')).toBe(90);
    for (const bad of ['soon', '10 minutes', '-5m', '0', '30s', '2d', '1.5m']) {
      expect(launchTimeout(bad), bad).toEqual([`SCHED_LAUNCH_TIMEOUT: must be a duration from 1m to 24h ("10m", "90s", "600"), got "${bad}"`]);
    }
  });

  test('masking shows whether a secret is set, never its value', () => {
    const result = loadConfig({ ...AWS, SCHED_API_TOKEN: 't'.repeat(40), SLACK_BOT_TOKEN: 'xoxb-secret-value', SLACK_SIGNING_SECRET: 'sign-secret' }, { stdinIsTTY: false });
    if (!result.ok) throw new Error(result.problems.join());
    const text = JSON.stringify(maskConfig(result.config));
    for (const secret of [SECRET, 't'.repeat(40), 'xoxb-secret-value', 'sign-secret']) expect(text).not.toContain(secret);
    expect(text).toContain('<set, 40 chars>');
  });

  test('--check-config says that stdin chose the chat, and what a start from a terminal does', () => {
    const piped = loadConfig({}, { stdinIsTTY: false });
    const tty = loadConfig({}, { stdinIsTTY: true });
    if (!piped.ok || !tty.ok) throw new Error('the empty configuration is valid');
    expect(chatChoice({}, piped.config)).toMatch(/^none, since stdin is not a terminal .*npm start typed in a terminal shows the prompt$/);
    expect(chatChoice({}, tty.config)).toMatch(/^terminal, since stdin is a terminal .*from a pipe or a service: none$/);
    // Chosen by a setting, not by stdin: nothing to explain.
    const set = loadConfig({ SCHED_CHAT: 'none' }, { stdinIsTTY: true });
    expect(set.ok && chatChoice({ SCHED_CHAT: 'none' }, set.config)).toBeUndefined();
    const slack = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1', SCHED_ALLOWED_USERS: 'U0123ABCD' }, { stdinIsTTY: false });
    if (!slack.ok) throw new Error(`Slack with an allow-list is valid: ${slack.problems.join('; ')}`);
    expect(slack.ok && chatChoice({}, slack.config)).toBeUndefined();
    // From a pipe, as the issue saw it: the output says why, not only `none`.
    const out = spawnSync('npm', ['start', '--silent', '--', '--check-config'], { env: { PATH: process.env.PATH, HOME: process.env.HOME }, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    expect(out.status).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ chat: 'none', chatChoice: expect.stringContaining('npm start typed in a terminal shows the prompt') });
  }, 60_000);

  test('npm start -- --check-config prints the masked configuration; bad configuration exits 2', () => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, AWS_EC2_METADATA_DISABLED: 'true', ...AWS, SCHED_API_TOKEN: 't'.repeat(40) };
    const ok = spawnSync('npm', ['start', '--silent', '--', '--check-config'], { env, encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ compute: 'ec2', secret: '<set, 40 chars>', apiToken: '<set, 40 chars>' });
    expect(ok.stdout + ok.stderr).not.toContain(SECRET);
    const bad = spawnSync('npm', ['start', '--silent', '--', '--check-config'], { env: { ...env, SCHED_PORT: '99999', SCHED_AMI: '' }, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/SCHED_PORT/);
    expect(bad.stderr).toMatch(/SCHED_AMI/);
  }, 90_000);
});
