import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { architectureOf, ECS_GPU_OPTIMIZED_PARAMETER, ecsOptimizedParameter } from '../images.js';
import { ec2TrustPolicy } from '../policies.js';

export interface WorkersArgs {
  vpcId: pulumi.Input<string>;
  /** The jobs' instance types; the default image is chosen for their (single) architecture. */
  instanceTypes: readonly string[];
  /** Unset: the latest ECS-optimized Amazon Linux 2023, which ships Docker. */
  ami?: string;
  /** GPU jobs' image; unset: the latest x86_64 ECS GPU-optimized Amazon Linux 2023. */
  gpuAmi?: string;
  /** False: no GPU image at all (the bot then refuses GPU jobs). */
  gpuJobs: boolean;
}

/**
 * What a job's spot instance runs as. The role has no policy at all: the instance agent only
 * talks to the bot and to instance metadata, and pulls public images. It exists so the bot can
 * be allowed to pass exactly this role and no other. The security group admits nothing.
 */
export class Workers extends pulumi.ComponentResource {
  readonly roleArn: pulumi.Output<string>;
  readonly instanceProfileArn: pulumi.Output<string>;
  readonly securityGroupId: pulumi.Output<string>;
  readonly amiId: pulumi.Output<string>;
  /** The GPU jobs' image; undefined when the stack runs no GPU jobs. */
  readonly gpuAmiId: pulumi.Output<string | undefined>;

  constructor(name: string, args: WorkersArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sched:infra:Workers', name, {}, opts);

    const role = new aws.iam.Role(
      `${name}-role`,
      { description: 'Sched job instances: no permissions', assumeRolePolicy: JSON.stringify(ec2TrustPolicy()) },
      { parent: this },
    );
    const profile = new aws.iam.InstanceProfile(`${name}-profile`, { role: role.name }, { parent: this });

    const securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      { vpcId: args.vpcId, description: 'Sched job instances: no inbound traffic', tags: { Name: name } },
      { parent: this },
    );
    // Out to image registries, the bot and job callbacks.
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-egress`,
      { securityGroupId: securityGroup.id, ipProtocol: '-1', cidrIpv4: '0.0.0.0/0', description: 'all outbound' },
      { parent: this },
    );

    const architecture = architectureOf(args.instanceTypes[0] ?? '');
    this.amiId =
      args.ami !== undefined
        ? pulumi.output(args.ami)
        : // A public parameter: not worth hiding as a secret in every diff.
          pulumi.unsecret(aws.ssm.getParameterOutput({ name: ecsOptimizedParameter(architecture) }, { parent: this }).value);

    // GPU jobs name their own (x86_64 GPU) types, so this image does not follow the default types.
    this.gpuAmiId = !args.gpuJobs
      ? pulumi.output(undefined)
      : args.gpuAmi !== undefined
        ? pulumi.output(args.gpuAmi)
        : pulumi.unsecret(aws.ssm.getParameterOutput({ name: ECS_GPU_OPTIMIZED_PARAMETER }, { parent: this }).value);

    this.roleArn = role.arn;
    this.instanceProfileArn = profile.arn;
    this.securityGroupId = securityGroup.id;
    this.registerOutputs({ roleArn: this.roleArn, instanceProfileArn: this.instanceProfileArn, securityGroupId: this.securityGroupId, amiId: this.amiId, gpuAmiId: this.gpuAmiId });
  }
}
