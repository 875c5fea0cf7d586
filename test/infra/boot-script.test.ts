/**
 * The bot host's boot script, executed: in a sandbox (stub system commands first on PATH, a
 * scratch root for every file) it installs Node.js, the bundle and the unit, and starts the
 * service; the start script then puts the SSM secrets into the bot's environment, and the result
 * passes the bot's own configuration check.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { loadConfig } from '../../bot/config.js';
import {
  BUNDLE_PATH,
  ENV_FILE_PATH,
  START_SCRIPT_PATH,
  UNIT_PATH,
  renderBootScript,
  renderEnvironmentFile,
  type BootScriptInput,
} from '../../infra/boot-script.js';
import { SECRET_VARIABLES, botEnvironment, secretParameterName, type SecretVariable } from '../../infra/bot-environment.js';
import { bootAndStart, makeHostSandbox, type HostSandbox } from './host-sandbox.js';

const BUNDLE = Buffer.from('// the bot, bundled\nconsole.log("sched");\n');
const BUNDLE_SHA256 = createHash('sha256').update(BUNDLE).digest('hex');
const DEPLOYMENT = 'sched-test';

const PARAMETERS = Object.fromEntries(SECRET_VARIABLES.map((v) => [v, secretParameterName(DEPLOYMENT, v)])) as Record<SecretVariable, string>;
const SECRET_VALUES: Record<SecretVariable, string> = {
  SCHED_SECRET: 'hmacSecretValue0123456789abcdefghijklmnopqrstuv',
  SCHED_API_TOKEN: 'apiTokenValue0123456789abcdefghijklmnopqrstuvwx',
  SLACK_BOT_TOKEN: 'xoxb-1234-5678-abcdefghijklmnop',
  SLACK_APP_TOKEN: 'xapp-1-A0123-4567-abcdef0123456789',
};
const STORED = Object.fromEntries(SECRET_VARIABLES.map((v) => [PARAMETERS[v], SECRET_VALUES[v]]));

const ENVIRONMENT = botEnvironment({
  region: 'eu-west-1',
  deployment: DEPLOYMENT,
  port: 8080,
  publicUrl: 'http://172.31.16.10:8080',
  tableName: 'sched-test-jobs-1a2b3c4',
  retentionDays: 30,
  workerImageId: 'ami-0123456789abcdef0',
  workerInstanceTypes: ['m7g.medium', 't4g.medium'],
  workerMaxPrice: '0.05',
  subnetIds: ['subnet-0aaa1111', 'subnet-0bbb2222'],
  workerSecurityGroupId: 'sg-0123456789abcdef0',
  workerInstanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/sched-test-workers-profile-1',
  allowedUsers: ['U0123ABCD'],
  allowedChannels: [],
  admins: ['U0456EFGH'],
});

const INPUT: BootScriptInput = {
  region: 'eu-west-1',
  bundleUrl: 's3://sched-test-artifact-1a2b3c4/bot/sched-0123.cjs',
  bundleSha256: BUNDLE_SHA256,
  environment: ENVIRONMENT,
  secretParameters: PARAMETERS,
};

let sandbox: HostSandbox | undefined;
afterEach(async () => {
  await sandbox?.cleanup();
  sandbox = undefined;
});

describe('the boot script, run in a sandbox', () => {
  test('installs Node.js 22, the bundle, the environment, the start script and the unit, then starts the service', async () => {
    sandbox = await makeHostSandbox({ bundle: BUNDLE, parameters: STORED });
    const run = await sandbox.run(renderBootScript(INPUT));
    expect(run.stderr).toContain('sched.service is enabled and started');
    expect(run.code).toBe(0);

    const calls = await sandbox.calls();
    const commands = calls.map((c) => c.join(' '));
    expect(commands).toContain('dnf install -y nodejs22');
    expect(commands).toContain('useradd --system --home-dir /var/lib/sched --no-create-home --shell /sbin/nologin sched');
    expect(commands).toContain(`aws s3 cp --only-show-errors --region eu-west-1 ${INPUT.bundleUrl} ${sandbox.root}${BUNDLE_PATH}.download`);
    // The service is enabled and started last, after everything it needs is in place.
    expect(commands.slice(-2)).toEqual(['systemctl daemon-reload', 'systemctl enable --now sched.service']);
    // The stub aws is on PATH, so the AWS CLI is not installed again.
    expect(commands).not.toContain('dnf install -y awscli-2');

    expect(await readFile(join(sandbox.root, BUNDLE_PATH))).toEqual(BUNDLE);
    expect(await readFile(join(sandbox.root, ENV_FILE_PATH), 'utf8')).toBe(renderEnvironmentFile(ENVIRONMENT));
    expect((await stat(join(sandbox.root, START_SCRIPT_PATH))).mode & 0o111).not.toBe(0);

    const unit = await readFile(join(sandbox.root, UNIT_PATH), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/opt\/sched\/start$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^User=sched$/m);
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/sched\/sched\.env$/m);
    expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
  });

  test('systemd accepts the unit without a warning (systemd-analyze verify)', async () => {
    // Never a silent skip: without the tool the check fails and says what to install (.ci/run does).
    if (spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status !== 0) {
      throw new Error("systemd-analyze not found: install Debian's systemd package (apt-get install -y systemd)");
    }
    sandbox = await makeHostSandbox({ bundle: BUNDLE, parameters: STORED });
    await sandbox.run(renderBootScript(INPUT));
    // verify wants ExecStart to exist on this machine: point it at the sandbox's copy.
    const unit = (await readFile(join(sandbox.root, UNIT_PATH), 'utf8')).replace(`ExecStart=${START_SCRIPT_PATH}`, `ExecStart=${join(sandbox.root, START_SCRIPT_PATH)}`);
    const file = join(sandbox.root, 'sched.service');
    await writeFile(file, unit);
    const verify = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
    expect(verify.stderr).toBe('');
    expect(verify.status).toBe(0);
  });

  test('the service starts the bot with the file settings plus the secrets from SSM, and the bot accepts them', async () => {
    sandbox = await makeHostSandbox({ bundle: BUNDLE, parameters: STORED });
    const { fileEnv, botEnv } = await bootAndStart(sandbox, renderBootScript(INPUT), ENV_FILE_PATH, START_SCRIPT_PATH);

    expect(botEnv).toEqual({ ...fileEnv, ...SECRET_VALUES });
    const calls = await sandbox.calls();
    expect(calls.filter((c) => c[0] === 'node-22')).toEqual([['node-22', BUNDLE_PATH]]);
    const ssm = calls.find((c) => c[0] === 'aws' && c[1] === 'ssm')!;
    expect(ssm).toEqual(expect.arrayContaining(['get-parameters', '--with-decryption', ...Object.values(PARAMETERS)]));

    const loaded = loadConfig(botEnv, { stdinIsTTY: false });
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    expect(loaded.config).toMatchObject({
      compute: 'ec2',
      store: 'dynamodb',
      chat: 'slack',
      host: '0.0.0.0',
      port: 8080,
      publicUrl: 'http://172.31.16.10:8080',
      table: 'sched-test-jobs-1a2b3c4',
      deployment: DEPLOYMENT,
      secret: SECRET_VALUES.SCHED_SECRET,
      apiToken: SECRET_VALUES.SCHED_API_TOKEN,
      slack: { botToken: SECRET_VALUES.SLACK_BOT_TOKEN, appToken: SECRET_VALUES.SLACK_APP_TOKEN },
      spot: {
        ami: 'ami-0123456789abcdef0',
        instanceTypes: ['m7g.medium', 't4g.medium'],
        maxPrice: '0.05',
        subnetIds: ['subnet-0aaa1111', 'subnet-0bbb2222'],
        securityGroupIds: ['sg-0123456789abcdef0'],
        instanceProfile: ENVIRONMENT.SCHED_INSTANCE_PROFILE,
      },
      aws: { region: 'eu-west-1' },
    });
  });

  test('a bundle that does not match its SHA-256 is not installed and nothing is started', async () => {
    sandbox = await makeHostSandbox({ bundle: Buffer.from('tampered'), parameters: STORED });
    const run = await sandbox.run(renderBootScript(INPUT));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/does not match|expected/);
    expect((await sandbox.calls()).some((c) => c[0] === 'systemctl')).toBe(false);
    await expect(stat(join(sandbox.root, BUNDLE_PATH))).rejects.toThrow();
  });

  test('a missing secret stops the start (systemd retries), and no secret value is printed', async () => {
    const { SLACK_APP_TOKEN: _missing, ...partial } = SECRET_VALUES;
    sandbox = await makeHostSandbox({
      bundle: BUNDLE,
      parameters: Object.fromEntries(Object.entries(partial).map(([v, value]) => [PARAMETERS[v as SecretVariable], value])),
    });
    await sandbox.run(renderBootScript(INPUT));
    const start = await sandbox.run(await readFile(join(sandbox.root, START_SCRIPT_PATH), 'utf8'), ENVIRONMENT);
    expect(start.code).toBe(1);
    expect(start.stderr).toContain('found 3 of the 4 parameters');
    for (const value of Object.values(SECRET_VALUES)) expect(start.stderr).not.toContain(value);
    expect(await sandbox.nodeEnvironment()).toBeUndefined();
  });
});

describe('what the boot script may carry', () => {
  test('no secret: the environment file and the user data hold only parameter names', () => {
    const script = renderBootScript(INPUT);
    for (const value of Object.values(SECRET_VALUES)) expect(script).not.toContain(value);
    for (const variable of SECRET_VARIABLES) expect(ENVIRONMENT).not.toHaveProperty(variable);
    expect(() => renderBootScript({ ...INPUT, environment: { ...ENVIRONMENT, SLACK_BOT_TOKEN: 'xoxb-1' } })).toThrow(/is a secret/);
  });

  test.each([
    ['a command substitution', '$(touch /tmp/pwned)'],
    ['a backtick', '`id`'],
    ['a quote', "it's"],
    ['a newline', 'a\nSCHED_EOF\nrm -rf /'],
    ['a space', 'two words'],
  ])('refuses a setting with %s rather than quoting it', (_what, value) => {
    expect(() => renderBootScript({ ...INPUT, environment: { ...ENVIRONMENT, SCHED_ALLOWED_USERS: value } })).toThrow(/cannot take safely/);
  });

  test('refuses bad URLs, hashes, regions and parameter names, listing every problem', () => {
    const bad = { ...INPUT, region: 'mars', bundleUrl: "s3://b/k'; rm -rf /", bundleSha256: 'abc', secretParameters: { ...PARAMETERS, SCHED_SECRET: "/x'y" } };
    const message = (() => {
      try {
        renderBootScript(bad);
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(message).toMatch(/region/);
    expect(message).toMatch(/bundle URL/);
    expect(message).toMatch(/SHA-256/);
    expect(message).toMatch(/parameter name of SCHED_SECRET/);
  });
});
