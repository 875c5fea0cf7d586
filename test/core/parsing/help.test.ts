import { describe, expect, it } from 'vitest';
import { helpText } from '../../../bot/core/parsing/help.js';

describe('help speaks of what this deployment and surface do', () => {
  it('on EC2 from Slack: spot instances and the Slack time zone', () => {
    expect(helpText()).toMatch(/^Sched runs Docker containers on EC2 spot instances: /);
    expect(helpText('run')).toContain('Runs IMAGE on an EC2 spot instance, like docker run.');
    expect(helpText('times')).toContain('--at TIME is read in --tz, else your Slack time zone, else UTC:');
    expect(helpText('cancel')).toContain('its spot request is withdrawn and its\ninstance terminated');
    expect(helpText('cron')).toContain('Each firing starts its own job on a new spot instance');
  });

  it('local compute from the terminal: this machine, and its own time zone; no EC2 or Slack in those lines', () => {
    const here = { compute: 'local' as const, zoneFrom: { kind: 'machine' as const, zone: 'Europe/Paris' } };
    const overview = helpText(undefined, here);
    expect(overview).toMatch(/^Sched runs Docker containers on this machine \(with docker or podman\): /);
    expect(overview).not.toMatch(/EC2|Slack/);
    expect(helpText('run', here)).toContain('Runs IMAGE on this machine, like docker run.');
    expect(helpText('run', here)).toContain("(default: this machine's time zone (Europe/Paris), else UTC)");
    expect(helpText('times', here)).toContain("--at TIME is read in --tz, else this machine's time zone (Europe/Paris), else UTC:");
    expect(helpText('times', here)).not.toContain('Slack');
    expect(helpText('cron', here)).toContain("read in --tz (else this machine's time zone (Europe/Paris), else UTC)");
    expect(helpText('cron', here)).toContain('Each firing starts its own job on this machine');
    expect(helpText('cancel', here)).toContain('Cancels a job that has not ended: its container is\nstopped.');
    expect(helpText('cancel', here)).not.toMatch(/spot|instance/);
  });

  it('help run lists the EC2 options only where compute is EC2', () => {
    const ec2Only = ['--type', '--max-price', '--on-demand-after', '--on-demand-wait', '--on-rebalance'];
    const local = helpText('run', { compute: 'local', interruptionsTolerated: 2 });
    for (const option of ec2Only) expect(local, option).not.toContain(option);
    expect(local).not.toMatch(/spot|instance|pool|EC2/i);
    // What does apply here stays, with the operator's default.
    for (const option of ['--retries N', '--retry-exit CODES', '--gpus all|N', '--dry-run', '--timeout', '--callback']) expect(local).toContain(option);
    expect(local).toContain('(default: 2; 0: never run again)');
    const ec2 = helpText('run', { compute: 'ec2' });
    for (const option of ec2Only) expect(ec2, option).toContain(option);
    expect(helpText('run')).toContain('--type T[,T...]');
    expect(ec2).toContain('(default: warn)\n\nNotification');
  });
});
