import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { buildBotBundle, DEFAULT_BUNDLE_PATH } from '../bot-bundle.js';
import { artifactBucketPolicy } from '../policies.js';

export interface BotArtifactArgs {
  /** Where the bundle is built; the repository's dist/ by default. */
  bundlePath?: string;
}

/**
 * The bot, built from this checkout into one file and stored in a private bucket for the bot host
 * to fetch at boot. The object key carries the bundle's SHA-256, so new code is a new object (and
 * a new bot host), and the host checks what it downloaded against the same hash.
 */
export class BotArtifact extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly objectArn: pulumi.Output<string>;
  /** `s3://bucket/key`, for `aws s3 cp`. */
  readonly url: pulumi.Output<string>;
  readonly sha256: string;
  readonly bytes: number;

  constructor(name: string, args: BotArtifactArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sched:infra:BotArtifact', name, {}, opts);

    const bundle = buildBotBundle(args.bundlePath ?? DEFAULT_BUNDLE_PATH);

    // Only build output lives here, so `pulumi destroy` may empty it.
    const bucket = new aws.s3.Bucket(name, { forceDestroy: true }, { parent: this });
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      { parent: this },
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }] },
      { parent: this },
    );
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      { bucket: bucket.id, policy: bucket.arn.apply((arn) => JSON.stringify(artifactBucketPolicy(arn))) },
      { parent: this, dependsOn: [publicAccess] },
    );
    const object = new aws.s3.BucketObjectv2(
      `${name}-bundle`,
      {
        bucket: bucket.id,
        key: `bot/sched-${bundle.sha256}.cjs`,
        source: new pulumi.asset.FileAsset(bundle.path),
        contentType: 'application/javascript',
      },
      { parent: this },
    );

    this.bucketName = bucket.id;
    this.objectArn = object.arn;
    this.url = pulumi.interpolate`s3://${object.bucket}/${object.key}`;
    this.sha256 = bundle.sha256;
    this.bytes = bundle.bytes;
    this.registerOutputs({ bucketName: this.bucketName, url: this.url, sha256: this.sha256, bytes: this.bytes });
  }
}
