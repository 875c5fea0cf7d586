import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { renderBootScript } from '../boot-script.js';
import { botEnvironment, type BotEnvironmentInput, type SecretVariable } from '../bot-environment.js';
import { amazonLinuxParameter, architectureOf } from '../images.js';

/** The bot's settings; the host adds its own address, port and region. */
export type HostedBotSettings = {
  [K in keyof Omit<BotEnvironmentInput, 'publicUrl' | 'port' | 'region'>]: pulumi.Input<BotEnvironmentInput[K]>;
};

export interface BotHostArgs {
  region: string;
  instanceType: string;
  /** Unset: the latest Amazon Linux 2023 for the instance type's architecture. */
  ami?: string;
  /** An Elastic IP, the way out in a public subnet; false behind a NAT. */
  publicIp: boolean;
  port: number;
  vpcId: pulumi.Input<string>;
  /** In order of preference; the host goes in the first one whose zone offers its instance type. */
  subnetIds: pulumi.Input<string[]>;
  /** The only source allowed to reach `port`. */
  workerSecurityGroupId: pulumi.Input<string>;
  instanceProfileName: pulumi.Input<string>;
  /** What the instance boots only after: its role's inline policy and instance profile (BotRole.grants). */
  waitFor?: pulumi.Resource[];
  bundleUrl: pulumi.Input<string>;
  bundleSha256: string;
  bot: HostedBotSettings;
  secretParameters: Record<SecretVariable, string>;
}

/**
 * The small EC2 instance the bot runs on, as a systemd service (infra/boot-script.ts).
 *
 * - No key pair and no SSH: operators come in through SSM Session Manager. IMDSv2 only, with a
 *   hop limit of 1; the root volume is encrypted.
 * - Inbound: `port` from the workers' security group, nothing else.
 * - Its address is a network interface of its own, made before the instance: the workers' URL
 *   (SCHED_PUBLIC_URL) is known up front and survives a replaced instance, so jobs running
 *   through a redeploy still reach the new bot.
 * - New code or settings change the user data, which replaces the instance (the bot keeps no
 *   state of its own). The old one goes first: the two cannot share the interface.
 * - It comes back by itself (`hostRecoveryAlarms`): a failed system status check (the hardware or
 *   AWS's side) recovers it onto another host, same instance id, interface and addresses; a
 *   failed instance status check (a hung kernel, memory exhausted) reboots it; systemd restarts
 *   the bot if only the process dies. Not an Auto Scaling group of one: an ASG launches each
 *   instance from a template that cannot name an existing interface, so the fixed address the
 *   workers report to would need a hook to move it, while recovery keeps it as it is.
 */
export class BotHost extends pulumi.ComponentResource {
  readonly instanceId: pulumi.Output<string>;
  /** SCHED_PUBLIC_URL: where the workers reach the bot. */
  readonly publicUrl: pulumi.Output<string>;
  readonly securityGroupId: pulumi.Output<string>;

  constructor(name: string, args: BotHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sched:infra:BotHost', name, {}, opts);

    const securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      { vpcId: args.vpcId, description: 'Sched bot host: the bot port from the workers only', tags: { Name: name } },
      { parent: this },
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-from-workers`,
      {
        securityGroupId: securityGroup.id,
        referencedSecurityGroupId: args.workerSecurityGroupId,
        ipProtocol: 'tcp',
        fromPort: args.port,
        toPort: args.port,
        description: 'instance notifications from job instances',
      },
      { parent: this },
    );
    // Out to Slack, the AWS APIs, the package mirrors and job callbacks.
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-egress`,
      { securityGroupId: securityGroup.id, ipProtocol: '-1', cidrIpv4: '0.0.0.0/0', description: 'all outbound' },
      { parent: this },
    );

    // Not every zone offers every type: older zones lack the newer families.
    const zonesOffering = aws.ec2.getInstanceTypeOfferingsOutput(
      { locationType: 'availability-zone', filters: [{ name: 'instance-type', values: [args.instanceType] }] },
      { parent: this },
    ).locations;
    const subnetsInThoseZones = aws.ec2.getSubnetsOutput(
      { filters: [{ name: 'subnet-id', values: args.subnetIds }, { name: 'availability-zone', values: zonesOffering }] },
      { parent: this },
    ).ids;
    const subnetId = pulumi.all([args.subnetIds, subnetsInThoseZones]).apply(([preferred, usable]) => {
      const chosen = preferred.find((id) => usable.includes(id));
      if (chosen === undefined) throw new Error(`none of the subnets ${preferred.join(', ')} is in a zone that offers ${args.instanceType}`);
      return chosen;
    });

    const networkInterface = new aws.ec2.NetworkInterface(
      `${name}-eni`,
      { subnetId, securityGroups: [securityGroup.id], description: 'Sched bot host', tags: { Name: name } },
      { parent: this },
    );
    const publicIp = args.publicIp
      ? new aws.ec2.Eip(`${name}-ip`, { domain: 'vpc', networkInterface: networkInterface.id, tags: { Name: name } }, { parent: this })
      : undefined;

    this.publicUrl = pulumi.interpolate`http://${networkInterface.privateIp}:${args.port}`;
    const environment = pulumi
      .all([pulumi.output(args.bot), this.publicUrl])
      .apply(([bot, publicUrl]) => botEnvironment({ ...bot, region: args.region, port: args.port, publicUrl }));
    const userData = pulumi.all([environment, args.bundleUrl]).apply(([env, bundleUrl]) =>
      renderBootScript({
        region: args.region,
        bundleUrl,
        bundleSha256: args.bundleSha256,
        environment: env,
        secretParameters: args.secretParameters,
      }),
    );

    const ami =
      args.ami ??
      pulumi.unsecret(aws.ssm.getParameterOutput({ name: amazonLinuxParameter(architectureOf(args.instanceType)) }, { parent: this }).value);
    const instance = new aws.ec2.Instance(
      name,
      {
        ami,
        instanceType: args.instanceType,
        iamInstanceProfile: args.instanceProfileName,
        // The interface outlives the instance: the next one takes it over, address and all.
        primaryNetworkInterface: { networkInterfaceId: networkInterface.id, deleteOnTermination: false },
        metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1, instanceMetadataTags: 'disabled' },
        rootBlockDevice: { encrypted: true, volumeType: 'gp3', deleteOnTermination: true },
        // Simplified automatic recovery, EC2's default, said so it is never turned off by accident.
        maintenanceOptions: { autoRecovery: 'default' },
        userData,
        userDataReplaceOnChange: true,
        tags: { Name: name },
      },
      // The boot script needs the way out before it runs.
      { parent: this, deleteBeforeReplace: true, dependsOn: [...(publicIp ? [publicIp] : []), ...(args.waitFor ?? [])] },
    );

    for (const alarm of hostRecoveryAlarms(args.region)) {
      new aws.cloudwatch.MetricAlarm(
        `${name}-${alarm.suffix}`,
        {
          alarmDescription: alarm.description,
          namespace: 'AWS/EC2',
          metricName: alarm.metricName,
          dimensions: { InstanceId: instance.id },
          statistic: 'Maximum',
          period: 60,
          evaluationPeriods: alarm.evaluationPeriods,
          threshold: 1,
          comparisonOperator: 'GreaterThanOrEqualToThreshold',
          // No data is what a stopped or replaced instance gives: nothing to act on.
          treatMissingData: 'notBreaching',
          alarmActions: [alarm.action],
          tags: { Name: name },
        },
        { parent: this },
      );
    }

    this.instanceId = instance.id;
    this.securityGroupId = securityGroup.id;
    this.registerOutputs({ instanceId: this.instanceId, publicUrl: this.publicUrl, securityGroupId: this.securityGroupId });
  }
}

/** What brings the bot host back: a status check failing for `evaluationPeriods` minutes, and EC2's own action for it. */
export interface HostRecoveryAlarm {
  suffix: string;
  description: string;
  metricName: 'StatusCheckFailed_System' | 'StatusCheckFailed_Instance';
  evaluationPeriods: number;
  /** An EC2 alarm action: `arn:aws:automate:<region>:ec2:recover|reboot`. */
  action: string;
}

/**
 * CloudWatch's recover action (allowed on the system check, not the instance check) moves the
 * instance to healthy hardware keeping its id, interface, private and Elastic IP; simplified
 * automatic recovery does the same by default on supported types, but only after AWS's own delay:
 * the alarm acts after two failed minutes. A reboot cures what is wrong inside the instance.
 */
export function hostRecoveryAlarms(region: string): HostRecoveryAlarm[] {
  return [
    {
      suffix: 'recover',
      description: 'Sched bot host: the system status check failed (AWS hardware or network); recover it onto another host, same id and address',
      metricName: 'StatusCheckFailed_System',
      evaluationPeriods: 2,
      action: `arn:aws:automate:${region}:ec2:recover`,
    },
    {
      suffix: 'reboot',
      description: 'Sched bot host: the instance status check failed (kernel, memory, network inside the instance); reboot it',
      metricName: 'StatusCheckFailed_Instance',
      evaluationPeriods: 3,
      action: `arn:aws:automate:${region}:ec2:reboot`,
    },
  ];
}
