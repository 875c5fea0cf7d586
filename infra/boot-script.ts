/**
 * The bot host's user data, rendered by pure functions. At first boot it installs Node.js 22,
 * downloads the bot bundle from S3 (checking its SHA-256), writes the environment file, the start
 * script and the systemd unit, and starts the service.
 *
 * No secret passes through here. The start script reads the SecureString parameters from SSM
 * Parameter Store each time the service starts and hands them to node through `exec`, so they
 * live only in the bot process's environment: not in user data (readable from instance metadata),
 * not in a file, not in a command line.
 *
 * Every value is validated to characters that are inert in bash, in a systemd environment file
 * and in a quoted heredoc, and the files are written through quoted heredocs, so nothing below is
 * ever expanded by the shell.
 *
 * For tests: every path the boot script writes is under `$SCHED_HOST_ROOT` (unset on the host),
 * and every command it runs is looked up on PATH.
 */
import { NODE_MAJOR } from './bot-bundle.js';
import { BOT_STATE_DIR, type SecretVariable } from './bot-environment.js';

export const SERVICE_NAME = 'sched';
export const SERVICE_USER = 'sched';
export const BUNDLE_PATH = '/opt/sched/sched.cjs';
export const START_SCRIPT_PATH = '/opt/sched/start';
export const ENV_FILE_PATH = '/etc/sched/sched.env';
export const UNIT_PATH = `/etc/systemd/system/${SERVICE_NAME}.service`;
export const NODE_BINARY = `node-${NODE_MAJOR}`;

export interface BootScriptInput {
  region: string;
  /** `s3://bucket/key` of the bot bundle. */
  bundleUrl: string;
  bundleSha256: string;
  /** The bot's non-secret variables, written to the environment file. */
  environment: Record<string, string>;
  /** Variable → SSM parameter name of each secret the start script loads. */
  secretParameters: Record<SecretVariable, string>;
}

const ENV_KEY = /^[A-Z_][A-Z0-9_]*$/;
// No whitespace, quotes, backslashes, `$` or backticks: inert everywhere the value is written.
const INERT_VALUE = /^[A-Za-z0-9_.,:/@+=-]*$/;
const S3_URL = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/[A-Za-z0-9._/-]+$/;
const SHA256 = /^[0-9a-f]{64}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const PARAMETER_NAME = /^\/[A-Za-z0-9_./-]+$/;
const HEREDOC_END = 'SCHED_EOF';

/** The whole user data; throws listing every value that cannot be written safely. */
export function renderBootScript(input: BootScriptInput): string {
  const problems: string[] = [];
  if (!REGION.test(input.region)) problems.push(`region ${JSON.stringify(input.region)} is not an AWS region`);
  if (!S3_URL.test(input.bundleUrl)) problems.push(`bundle URL ${JSON.stringify(input.bundleUrl)} is not an s3:// object URL`);
  if (!SHA256.test(input.bundleSha256)) problems.push('bundle SHA-256 must be 64 lowercase hex digits');
  for (const [key, value] of Object.entries(input.environment)) {
    if (!ENV_KEY.test(key)) problems.push(`environment variable name ${JSON.stringify(key)} is not valid`);
    if (!INERT_VALUE.test(value)) problems.push(`environment variable ${key} has characters the host cannot take safely: ${JSON.stringify(value)}`);
  }
  for (const [variable, name] of Object.entries(input.secretParameters)) {
    if (!PARAMETER_NAME.test(name)) problems.push(`parameter name of ${variable} ${JSON.stringify(name)} is not valid`);
    if (variable in input.environment) problems.push(`${variable} is a secret and must not be in the environment file`);
  }
  if (problems.length > 0) throw new Error(`cannot render the bot host's boot script:\n${problems.map((p) => `  - ${p}`).join('\n')}`);

  return `#!/bin/bash
# Sched bot host, first boot: Node.js ${NODE_MAJOR}, the bot bundle, the ${SERVICE_NAME} systemd service.
# Rendered by infra/boot-script.ts. It holds no secret: the service reads those from SSM
# Parameter Store each time it starts (${START_SCRIPT_PATH}).
set -euo pipefail
umask 022

readonly REGION='${input.region}'
readonly BUNDLE_URL='${input.bundleUrl}'
readonly BUNDLE_SHA256='${input.bundleSha256}'
${BOOT_BODY}
cat >"$ROOT${ENV_FILE_PATH}" <<'${HEREDOC_END}'
${renderEnvironmentFile(input.environment)}${HEREDOC_END}
chmod 0644 "$ROOT${ENV_FILE_PATH}"

cat >"$ROOT${START_SCRIPT_PATH}" <<'${HEREDOC_END}'
${renderStartScript(input.secretParameters)}${HEREDOC_END}
chmod 0755 "$ROOT${START_SCRIPT_PATH}"

cat >"$ROOT${UNIT_PATH}" <<'${HEREDOC_END}'
${renderServiceUnit()}${HEREDOC_END}
chmod 0644 "$ROOT${UNIT_PATH}"

systemctl daemon-reload
systemctl enable --now ${SERVICE_NAME}.service
log "${SERVICE_NAME}.service is enabled and started"
`;
}

// A plain template literal: bash's \${…} is escaped for TypeScript.
const BOOT_BODY = `# Every path is under ROOT: empty on the host, a scratch directory in tests.
readonly ROOT="\${SCHED_HOST_ROOT:-}"

log() { printf 'sched-boot: %s\\n' "$*" >&2; }
trap 'log "failed at line $LINENO"' ERR

# At first boot the network, the package mirrors and a new role's credentials can all lag.
retry() {
  local try
  for try in 1 2 3 4 5 6 7 8 9 10; do
    "$@" && return 0
    log "$1 failed (try $try of 10)"
    sleep $((try * 3))
  done
  return 1
}

retry dnf install -y nodejs${NODE_MAJOR}
command -v aws >/dev/null 2>&1 || retry dnf install -y awscli-2
id -u ${SERVICE_USER} >/dev/null 2>&1 || useradd --system --home-dir ${BOT_STATE_DIR} --no-create-home --shell /sbin/nologin ${SERVICE_USER}

install -d -m 0755 "$ROOT/opt/sched" "$ROOT/etc/sched" "$ROOT/etc/systemd/system"
retry aws s3 cp --only-show-errors --region "$REGION" "$BUNDLE_URL" "$ROOT${BUNDLE_PATH}.download"
actual="$(sha256sum "$ROOT${BUNDLE_PATH}.download" | cut -d ' ' -f 1)"
if [ "$actual" != "$BUNDLE_SHA256" ]; then
  log "the downloaded bundle has SHA-256 $actual, expected $BUNDLE_SHA256: not starting"
  exit 1
fi
# Root owns the code; the service user can run it, not change it.
chmod 0644 "$ROOT${BUNDLE_PATH}.download"
mv -f "$ROOT${BUNDLE_PATH}.download" "$ROOT${BUNDLE_PATH}"
`;

/** systemd's EnvironmentFile format, one sorted `KEY=value` a line. */
export function renderEnvironmentFile(environment: Record<string, string>): string {
  const lines = Object.keys(environment)
    .sort()
    .map((key) => `${key}=${environment[key]}`);
  return `# Sched bot settings (no secrets), written by the Pulumi stack. Secrets: ${START_SCRIPT_PATH}.\n${lines.join('\n')}\n`;
}

/**
 * The service's ExecStart: fetches the secrets in one GetParameters call, exports them, then
 * `exec`s node, so the values are in that process's environment only. It fails, and systemd
 * retries, until every parameter is there.
 */
export function renderStartScript(secretParameters: Record<SecretVariable, string>): string {
  const entries = Object.entries(secretParameters)
    .map(([variable, name]) => `  ['${name}']=${variable}`)
    .join('\n');
  return `#!/bin/bash
# Starts the Sched bot with its secrets, read from SSM Parameter Store (SecureString) into this
# process's environment and handed to node by exec: never written to a file or a log.
set -euo pipefail
declare -A VARIABLE_OF=(
${entries}
)
# Text output is one "name<TAB>value" line per parameter; the values are tokens without whitespace.
listing="$(aws ssm get-parameters --with-decryption --output text --query 'Parameters[].[Name,Value]' --names "\${!VARIABLE_OF[@]}")"
found=0
while IFS=$'\\t' read -r name value; do
  variable="\${VARIABLE_OF[$name]:-}"
  if [ -n "$variable" ] && [ -n "$value" ]; then
    export "$variable=$value"
    found=$((found + 1))
  fi
done < <(printf '%s\\n' "$listing")
unset listing name value variable
if [ "$found" -ne "\${#VARIABLE_OF[@]}" ]; then
  echo "sched-start: found $found of the \${#VARIABLE_OF[@]} parameters \${!VARIABLE_OF[*]}" >&2
  exit 1
fi
exec ${NODE_BINARY} ${BUNDLE_PATH}
`;
}

/** The systemd unit: restarts on failure forever, runs unprivileged in a read-only system. */
export function renderServiceUnit(): string {
  return `[Unit]
Description=Sched: Docker container jobs on EC2 spot instances, driven from Slack
Wants=network-online.target
After=network-online.target
# Never stop retrying: at first boot the role's credentials or the parameters may lag.
StartLimitIntervalSec=0

[Service]
Type=exec
User=${SERVICE_USER}
Group=${SERVICE_USER}
EnvironmentFile=${ENV_FILE_PATH}
ExecStart=${START_SCRIPT_PATH}
Restart=on-failure
RestartSec=5s
TimeoutStopSec=30s
StateDirectory=sched
WorkingDirectory=${BOT_STATE_DIR}
UMask=0077
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes
CapabilityBoundingSet=
# AF_NETLINK: listing the host's addresses (os.networkInterfaces) goes through it.
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK

[Install]
WantedBy=multi-user.target
`;
}
