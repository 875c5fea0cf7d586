import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { SECRET_VARIABLES, secretParameterName, type SecretVariable } from '../bot-environment.js';

export interface SecretsArgs {
  deployment: string;
  slackBotToken: pulumi.Input<string>;
  slackAppToken: pulumi.Input<string>;
}

/**
 * The bot's four secrets as SecureString parameters under `/sched/<deployment>/`. The HMAC secret
 * and the API token are generated here; the Slack tokens come from the stack's secret config.
 * Pulumi keeps every value encrypted in its state; the bot host reads them at service start.
 */
export class Secrets extends pulumi.ComponentResource {
  /** Variable → parameter name; the bot host's start script asks for exactly these. */
  readonly parameterNames: Record<SecretVariable, string>;
  readonly parameterArns: pulumi.Output<string[]>;
  /** The REST API's bearer token, for the operator to hand out. */
  readonly apiToken: pulumi.Output<string>;

  constructor(name: string, args: SecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super('sched:infra:Secrets', name, {}, opts);

    // 48 alphanumerics: about 285 bits, and inert in every file and header they cross.
    const generate = (id: string) => new random.RandomPassword(`${name}-${id}`, { length: 48, special: false }, { parent: this }).result;
    const values: Record<SecretVariable, pulumi.Input<string>> = {
      SCHED_SECRET: generate('hmac-secret'),
      SCHED_API_TOKEN: generate('api-token'),
      SLACK_BOT_TOKEN: args.slackBotToken,
      SLACK_APP_TOKEN: args.slackAppToken,
    };

    this.parameterNames = Object.fromEntries(
      SECRET_VARIABLES.map((variable) => [variable, secretParameterName(args.deployment, variable)]),
    ) as Record<SecretVariable, string>;
    const parameters = SECRET_VARIABLES.map(
      (variable) =>
        new aws.ssm.Parameter(
          `${name}-${variable.toLowerCase().replaceAll('_', '-')}`,
          {
            name: this.parameterNames[variable],
            type: 'SecureString',
            value: pulumi.secret(values[variable]),
            description: `Sched ${args.deployment}: ${variable}, read by the bot at start`,
          },
          { parent: this },
        ),
    );

    this.parameterArns = pulumi.all(parameters.map((parameter) => parameter.arn));
    this.apiToken = pulumi.secret(values.SCHED_API_TOKEN);
    this.registerOutputs({ parameterArns: this.parameterArns });
  }
}
