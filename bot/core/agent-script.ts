/**
 * Over 300 lines because most of it is one bash script (`SCRIPT_BODY`), which reads best whole.
 *
 * The instance agent: the bash user-data script that runs one job attempt on a fresh EC2 spot
 * instance (or, in the embedded default, on this machine). Its reports follow README.md
 * "Instance notifications".
 *
 * What the rendered script does, in order:
 * 1. reports `started`;
 * 2. starts a background watcher that asks instance metadata (IMDSv2) for
 *    `spot/instance-action` every few seconds and reports `interrupting` once on an answer;
 * 3. with host actions on: installs the container CLI if missing (dnf/yum), starts docker;
 * 4. pulls the image — a failed pull reports `finished` with exit code 125 and the pull's output;
 * 5. runs the container with the job's env and argv, its output to the console and a log file;
 * 6. reports `finished` with the exit code and the tail of the output as JSON;
 * 7. with host actions on and metadata answering (so it is an EC2 instance): `shutdown -h now`,
 *    a backstop to the bot's own terminate. The script exits with the container's exit code.
 *
 * Settings the script reads from its environment (the local compute adapter sets them):
 * - `SCHED_IMDS_URL` — metadata base URL, default `http://169.254.169.254`; `off` disables every
 *   metadata request (no interruption watch, and never a shutdown).
 * - `SCHED_HOST_ACTIONS` — `on` when unset; any other value (including empty) means the script
 *   never installs packages, never calls systemctl and never shuts down.
 * - `SCHED_CONTAINER_CLI` — `docker` by default (`podman` works too).
 * - `SCHED_IMDS_POLL_SECONDS` — whole seconds between metadata polls, default 5.
 *
 * Job-provided values cross into the script only as base64 inside single quotes and are decoded
 * at run time into variables and array elements, so no job input is ever parsed as shell code.
 */
import { ValidationError } from './errors.js';

export interface AgentScriptInput {
  jobId: string;
  attempt: number;
  image: string;
  /** argv after the image; empty runs the image's default command. */
  command: string[];
  env: Record<string, string>;
  /** Base URL of the bot's notification endpoint, e.g. `https://sched.example.com`. */
  notifyBaseUrl: string;
  /** Bearer token for this job attempt's notifications. */
  token: string;
  /** How many bytes of the container's output `finished` carries; default 4096. */
  logTailBytes?: number;
}

export const ENV_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** EC2's limit on user data, counted before its base64 encoding. */
export const MAX_USER_DATA_BYTES = 16384;

const JOB_ID_PATTERN = /^[A-Za-z0-9_-]+$/;
// RFC 6750 b64token: also guarantees the header line cannot be split.
const TOKEN_PATTERN = /^[A-Za-z0-9._~+/=-]+$/;
const DEFAULT_LOG_TAIL_BYTES = 4096;
const MAX_LOG_TAIL_BYTES = 1024 * 1024;
// Lone surrogates cannot be encoded as UTF-8: the container would receive U+FFFD instead.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Length of a notification token: base64url of an HMAC-SHA256 (32 bytes), unpadded. */
export const NOTIFICATION_TOKEN_LENGTH = 43;

/**
 * Throws `ValidationError` when a job's script could not be rendered (bad values, or over EC2's
 * user-data limit), so a job is refused when it is created rather than when it is due. The size
 * depends on the token's length only, never its value.
 */
export function checkAgentScriptFits(input: Omit<AgentScriptInput, 'attempt' | 'token'>): void {
  renderAgentScript({ ...input, attempt: 1, token: 'x'.repeat(NOTIFICATION_TOKEN_LENGTH) });
}

/** Renders the user-data script for one job attempt; throws `ValidationError` listing every problem. */
export function renderAgentScript(input: AgentScriptInput): string {
  const problems = validate(input);
  if (problems.length > 0) throw new ValidationError(problems);

  const script = renderHead(input) + SCRIPT_BODY;
  const size = new TextEncoder().encode(script).length;
  if (size > MAX_USER_DATA_BYTES) {
    throw new ValidationError([
      `the rendered agent script is ${size} bytes, over EC2's user-data limit of ${MAX_USER_DATA_BYTES}: shorten the env and command`,
    ]);
  }
  return script;
}

function validate(input: AgentScriptInput): string[] {
  const problems: string[] = [];
  if (!JOB_ID_PATTERN.test(input.jobId)) {
    problems.push(`job id ${JSON.stringify(input.jobId)} must be non-empty and use only A-Z, a-z, 0-9, _ and -`);
  }
  if (!Number.isSafeInteger(input.attempt) || input.attempt < 0) {
    problems.push(`attempt ${input.attempt} must be a non-negative integer`);
  }
  if (input.image === '') problems.push('image must not be empty');
  // The CLI would read a leading dash as one of its own options.
  if (input.image.startsWith('-')) problems.push(`image ${JSON.stringify(input.image)} must not start with "-"`);
  checkText(`image`, input.image, problems);
  input.command.forEach((arg, i) => checkText(`command argument ${i + 1}`, arg, problems));
  for (const [key, value] of Object.entries(input.env)) {
    if (!ENV_KEY_PATTERN.test(key)) {
      problems.push(`env key ${JSON.stringify(key)} must match ${ENV_KEY_PATTERN.source}`);
    }
    checkText(`env value of ${JSON.stringify(key)}`, value, problems);
  }
  problems.push(...checkNotifyUrl(input.notifyBaseUrl));
  if (!TOKEN_PATTERN.test(input.token)) problems.push('token must be a non-empty bearer token (base64url characters)');
  const tail = input.logTailBytes;
  if (tail !== undefined && (!Number.isSafeInteger(tail) || tail < 1 || tail > MAX_LOG_TAIL_BYTES)) {
    problems.push(`logTailBytes ${tail} must be an integer from 1 to ${MAX_LOG_TAIL_BYTES}`);
  }
  return problems;
}

// argv and environment strings are C strings: a NUL would cut the value short.
function checkText(what: string, value: string, problems: string[]): void {
  if (value.includes('\0')) problems.push(`${what} must not contain a NUL character`);
  if (LONE_SURROGATE.test(value)) problems.push(`${what} is not valid Unicode (lone surrogate)`);
}

function checkNotifyUrl(raw: string): string[] {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return [`notify URL ${JSON.stringify(raw)} is not a URL`];
  }
  const problems: string[] = [];
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push(`notify URL ${JSON.stringify(raw)} must be http or https`);
  }
  // The script appends the path and query string itself.
  if (url.search !== '' || url.hash !== '' || raw.includes('?') || raw.includes('#')) {
    problems.push(`notify URL ${JSON.stringify(raw)} must not have a query or fragment`);
  }
  return problems;
}

/** Single-quoted base64 of the UTF-8 bytes: only [A-Za-z0-9+/=] ever appears between the quotes. */
function inert(value: string): string {
  return `'${Buffer.from(value, 'utf8').toString('base64')}'`;
}

function inertArray(values: string[]): string {
  return `(${values.map(inert).join(' ')})`;
}

// jobId and attempt are validated above to characters that are inert in bash.
function renderHead(input: AgentScriptInput): string {
  return `#!/bin/bash
# Sched instance agent: job ${input.jobId}, attempt ${input.attempt}.
# Rendered by bot/core/agent-script.ts. Job values are base64 and are only ever decoded into
# variables, never parsed as shell code.
set -u
umask 077

readonly JOB_ID='${input.jobId}'
readonly ATTEMPT=${input.attempt}
readonly LOG_TAIL_BYTES=${input.logTailBytes ?? DEFAULT_LOG_TAIL_BYTES}
readonly NOTIFY_BASE_B64=${inert(input.notifyBaseUrl.replace(/\/+$/, ''))}
readonly TOKEN_B64=${inert(input.token)}
readonly IMAGE_B64=${inert(input.image)}
readonly -a ENV_B64=${inertArray(Object.entries(input.env).map(([k, v]) => `${k}=${v}`))}
readonly -a ARGV_B64=${inertArray(input.command)}
`;
}

// A plain template literal: bash's \${…} and backslashes are escaped for TypeScript.
const SCRIPT_BODY = `
IMDS_URL="\${SCHED_IMDS_URL:-http://169.254.169.254}"
IMDS_URL="\${IMDS_URL%/}"
# Only an explicit "on" (or no setting at all) may touch the host: an empty or misspelt value
# must never power off a laptop.
HOST_ACTIONS="\${SCHED_HOST_ACTIONS-on}"
CLI="\${SCHED_CONTAINER_CLI:-docker}"
POLL_SECONDS="\${SCHED_IMDS_POLL_SECONDS:-5}"
# A bad value (not a number, 0, 00…) would make the watcher spin without sleeping.
[[ "$POLL_SECONDS" =~ ^[0-9]*[1-9][0-9]*$ ]] || POLL_SECONDS=5
# cloud-init may run user data without HOME, which the docker CLI wants for its config.
export HOME="\${HOME:-/root}"

log() { printf 'sched-agent: %s\\n' "$*" >&2; }

# Command substitution strips trailing newlines, so a sentinel is printed after the value.
decode() {
  REPLY="$(printf %s "$1" | base64 -d; printf x)"
  REPLY="\${REPLY%x}"
}

decode "$NOTIFY_BASE_B64"; readonly NOTIFY_BASE="$REPLY"
decode "$TOKEN_B64"; readonly TOKEN="$REPLY"
decode "$IMAGE_B64"; readonly IMAGE="$REPLY"

WORK_DIR="$(mktemp -d "\${TMPDIR:-/tmp}/sched-agent.XXXXXX")" || { log "cannot create a work directory"; exit 70; }
WATCHER_PID=
stop_watcher() {
  if [ -n "$WATCHER_PID" ]; then kill "$WATCHER_PID" 2>/dev/null; WATCHER_PID=; fi
}
trap 'stop_watcher; rm -rf "$WORK_DIR"' EXIT

# PUT one notification. Network errors, 408, 429 and 5xx are retried with back-off for the given
# window (default five minutes); any other answer is final (404: the job is unknown, 409: this
# attempt is stale).
# The token goes in through stdin so it never shows in the process list.
notify() {
  local status="$1" exit_code="\${2:-}" body="\${3:-}" window="\${4:-300}"
  local url="$NOTIFY_BASE/v1/notifications/$JOB_ID?status=$status&attempt=$ATTEMPT"
  if [ -n "$exit_code" ]; then url+="&exit=$exit_code"; fi
  local args=(-sS -o /dev/null -w '%{http_code}' --connect-timeout 5 --max-time 30 -X PUT -H @-)
  if [ -n "$body" ]; then args+=(-H 'Content-Type: application/json' --data-binary "@$body"); fi
  local try code delay=1 deadline=$((SECONDS + window))
  for ((try = 1; ; try++)); do
    code="$(printf 'Authorization: Bearer %s\\n' "$TOKEN" | curl "\${args[@]}" "$url")"
    case "$code" in
      2??) return 0 ;;
      000 | 408 | 429 | 5??) ;;
      *) log "$status: the bot answered \${code:-nothing}; not retrying"; return 1 ;;
    esac
    if ((SECONDS + delay > deadline)); then
      log "$status: giving up after $try tries (last answer: $code)"
      return 1
    fi
    log "$status: try $try got $code; again in \${delay}s"
    sleep "$delay"
    delay=$((delay * 2 > 30 ? 30 : delay * 2))
  done
}

# Prints an IMDSv2 session token; fails fast where there is no metadata service.
imds_token() {
  [ "$IMDS_URL" != off ] || return 1
  curl -sf --connect-timeout 1 --max-time 2 -X PUT \\
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600' "$IMDS_URL/latest/api/token"
}

# Runs in the background until AWS gives its two-minute notice, then reports it once.
watch_for_interruption() {
  local token code sleeper=
  # The main script kills this subshell; its sleep must not outlive it.
  trap 'if [ -n "$sleeper" ]; then kill "$sleeper" 2>/dev/null; wait "$sleeper"; fi; exit 0' TERM
  while :; do
    if token="$(imds_token)" && [ -n "$token" ]; then
      code="$(curl -s -o /dev/null -w '%{http_code}' --connect-timeout 1 --max-time 2 \\
        -H "X-aws-ec2-metadata-token: $token" "$IMDS_URL/latest/meta-data/spot/instance-action")"
      if [ "$code" = 200 ]; then
        log "spot interruption notice received"
        notify interrupting
        return 0
      fi
    fi
    sleep "$POLL_SECONDS" &
    sleeper=$!
    wait "$sleeper"
    sleeper=
  done
}

# A JSON string of stdin's bytes. awk works on bytes in the C locale, so UTF-8 passes through
# unchanged (and invalid UTF-8 too: the bot tolerates it). NULs are dropped because awk
# implementations disagree on them. The trailing x marks the end of input, so a last line without
# a newline stays without one. No backslash or quote is written literally: sprintf makes them.
json_string() {
  { tr -d '\\000'; printf x; } | LC_ALL=C awk '
    function escape(s,    out, n, j, c) {
      out = ""; n = length(s)
      for (j = 1; j <= n; j++) { c = substr(s, j, 1); out = out ((c in esc) ? esc[c] : c) }
      return out
    }
    BEGIN {
      bs = sprintf("%c", 92); q = sprintf("%c", 34)
      for (i = 1; i < 32; i++) esc[sprintf("%c", i)] = sprintf("%cu%04x", 92, i)
      esc[bs] = bs bs; esc[q] = bs q
      printf "%s", q
    }
    NR > 1 { printf "%s%sn", escape(prev), bs }
    { prev = $0 }
    END { sub(/x$/, "", prev); printf "%s%s", escape(prev), q }'
}

# The bot terminates the instance itself; this is the backstop for when it cannot. Metadata that
# answers is the proof that this is an EC2 instance and not someone's laptop.
shutdown_backstop() {
  [ "$HOST_ACTIONS" = on ] || return 0
  if ! imds_token >/dev/null 2>&1; then
    log "no instance metadata: not shutting down"
    return 0
  fi
  log "shutting down"
  shutdown -h now
}

finish() {
  local exit_code="$1" output="$2" body="$WORK_DIR/finished.json"
  # After "finished" an "interrupting" would only confuse the bot.
  stop_watcher
  { printf '{"exitCode":%d,"logTail":' "$exit_code"; tail -c "$LOG_TAIL_BYTES" "$output" | json_string; printf '}'; } >"$body"
  # An hour: a bot being redeployed must not make a finished job look interrupted (and run again)
  # because the shutdown backstop came first.
  notify finished "$exit_code" "$body" 3600
  shutdown_backstop
  exit "$exit_code"
}

notify started

if [ "$IMDS_URL" != off ]; then
  watch_for_interruption &
  WATCHER_PID=$!
fi

if [ "$HOST_ACTIONS" = on ]; then
  if ! command -v "$CLI" >/dev/null 2>&1; then
    case "\${CLI##*/}" in podman) package=podman ;; *) package=docker ;; esac
    log "$CLI is missing; installing $package"
    if command -v dnf >/dev/null 2>&1; then
      dnf install -y "$package" || log "dnf install $package failed"
    elif command -v yum >/dev/null 2>&1; then
      yum install -y "$package" || log "yum install $package failed"
    else
      log "neither dnf nor yum is available to install $package"
    fi
  fi
  # Idempotent, and some AMIs ship docker installed but not started.
  if [ "\${CLI##*/}" = docker ]; then systemctl start docker || log "systemctl start docker failed"; fi
fi

"$CLI" pull "$IMAGE" 2>&1 | tee "$WORK_DIR/pull.log"
pull_status=\${PIPESTATUS[0]}
if [ "$pull_status" -ne 0 ]; then
  log "pull failed with status $pull_status"
  # 125 is what docker run itself returns when it cannot start the container.
  finish 125 "$WORK_DIR/pull.log"
fi

run_args=(run --rm --name "sched-$JOB_ID-$ATTEMPT")
for b64 in \${ENV_B64[@]+"\${ENV_B64[@]}"}; do
  decode "$b64"
  run_args+=(-e "$REPLY")
done
run_args+=("$IMAGE")
for b64 in \${ARGV_B64[@]+"\${ARGV_B64[@]}"}; do
  decode "$b64"
  run_args+=("$REPLY")
done

"$CLI" "\${run_args[@]}" 2>&1 | tee "$WORK_DIR/container.log"
finish "\${PIPESTATUS[0]}" "$WORK_DIR/container.log"
`;
