import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface NetworkArgs {
  /** Unset: the region's default VPC. */
  vpcId?: string;
  /** Empty: the default VPC's default subnets, or every subnet of `vpcId`. */
  subnetIds: readonly string[];
}

/** Where Sched runs: a VPC and its subnets, looked up when not configured. Creates nothing. */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  /** Sorted, so AWS's listing order never shows up as a change. */
  readonly subnetIds: pulumi.Output<string[]>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sched:infra:Network', name, {}, opts);

    const isDefaultVpc = args.vpcId === undefined;
    this.vpcId = args.vpcId === undefined ? aws.ec2.getVpcOutput({ default: true }, { parent: this }).id : pulumi.output(args.vpcId);
    this.subnetIds =
      args.subnetIds.length > 0
        ? pulumi.output([...args.subnetIds])
        : aws.ec2
            .getSubnetsOutput(
              {
                filters: [
                  { name: 'vpc-id', values: [this.vpcId] },
                  ...(isDefaultVpc ? [{ name: 'default-for-az', values: ['true'] }] : []),
                ],
              },
              { parent: this },
            )
            .ids.apply((ids) => {
              if (ids.length === 0) throw new Error('the VPC has no subnets to use: set subnetIds');
              return [...ids].sort();
            });

    this.registerOutputs({ vpcId: this.vpcId, subnetIds: this.subnetIds });
  }
}
