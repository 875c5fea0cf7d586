/**
 * Over 300 lines because most of it is one bash script (`SCRIPT_BODY`), which reads best whole.
 *
 * The instance agent: the bash user-data script that runs one job attempt on a fresh EC2 spot
 * instance (or, in the embedded default, on this machine). Its reports follow docs/rest-api.md
 * "Instance notifications".
 *
 * The user data carries only the job id, the attempt, the bot's URL and the attempt's token: anyone
 * with EC2 read access can read it. What to run comes from the bot at run time.
 *
 * What the rendered script does, in order:
 * 0. fetches the job's image, argv, env, GPUs and timeout with its token (`GET /v1/agent/<job-id>`,
 *    bot/core/agent-spec.ts), retrying for five minutes; without them it runs nothing and reports
 *    nothing (the bot's launch timeout replaces the attempt), and shuts an instance down;
 * 1. reports `started`;
 * 2. starts a background watcher that asks instance metadata (IMDSv2) every few seconds for
 *    `events/recommendations/rebalance` (reported once as `rebalance`: an early warning, nothing
 *    else changes) and `spot/instance-action` (AWS's two-minute notice). On the notice it reports
 *    `interrupting` once and stops the container in time to checkpoint: SIGTERM at the notice's
 *    `time` less `SCHED_STOP_GRACE_SECONDS` (never before the notice), SIGKILL 5 s before `time`
 *    (`stop -t`); a notice without a readable `time` gets SIGTERM at once and 110 s;
 * 3. with host actions on: installs the container CLI if missing (dnf/yum), starts docker;
 * 4. pulls the image — a failed pull reports `finished` with exit code 125 and the pull's output;
 * 5. runs the container with the job's env and argv plus `SCHED_JOB_ID` and `SCHED_ATTEMPT`, its
 *    output to the console and a log file;
 *    While it runs, a third background loop reports `output` (the last `LOG_TAIL_BYTES` of it) every
 *    `SCHED_OUTPUT_SECONDS`, when it changed, one try each; it stops when the container ends;
 * 6. reports `finished` with the exit code, the tail of the output and `ranSeconds` as JSON — unless
 *    the container exited after the watcher's SIGTERM: that exit is the interruption's, not the
 *    job's, so the script reports nothing more, leaves the host to AWS and exits;
 * With a timeout, a second background watcher stops the container at the job's deadline, counted
 * on the agent's own clock from its `started` report (as the bot counts from `startedAt`): SIGTERM,
 * then SIGKILL `TIMEOUT_KILL_AFTER_SECONDS` later (`stop -t`). The run is then reported `finished`
 * with `"timedOut": true` (exit code 124 when the deadline came before the container started).
 * `ranSeconds` — also in every try of `started`, so a bot that was down when the agent first
 * tried does not count its downtime — is how long the agent has run the job by its own clock.
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
 * - `SCHED_STOP_GRACE_SECONDS` — whole seconds between the container's SIGTERM and the notice's
 *   `time`, default 30.
 * - `SCHED_OUTPUT_SECONDS` — whole seconds between `output` reports, default 10.
 * - `SCHED_OUTPUT_FILE` — where the container's output is kept (local compute: in the run's
 *   folder, so it outlives the script); default a file in the script's own work directory.
 * - `SCHED_CONTAINER_MEMORY`, `SCHED_CONTAINER_CPUS`, `SCHED_CONTAINER_PIDS` — the container's
 *   `--memory`, `--cpus` and `--pids-limit`, each only when set: the local compute adapter sets
 *   them (this machine is shared with the bot); on EC2 the instance is the job's alone.
 *
 * Job-provided values reach the script only as base64 (the fetched answer is checked whole against
 * one pattern of base64 strings) and are decoded at run time into variables and array elements, so
 * no job input is ever parsed as shell code.
 */
import { ValidationError } from './errors.js';

export interface AgentScriptInput {
  jobId: string;
  attempt: number;
  /** Base URL of the bot's notification endpoint, e.g. `https://sched.example.com`. */
  notifyBaseUrl: string;
  /** Bearer token for this job attempt's notifications (and its `GET /v1/agent/<job-id>`). */
  token: string;
  /** How many bytes of the container's output `finished` carries; default 4096. */
  logTailBytes?: number;
}

/**
 * What the agent runs, fetched from the bot at run time (`GET /v1/agent/<job-id>`, bot/core/agent-spec.ts),
 * never written into the user data, which anyone with EC2 read access can read.
 */
export interface AgentSpec {
  image: string;
  /** argv after the image; empty runs the image's default command. */
  command: string[];
  env: Record<string, string>;
  /** The job's `--timeout`: the agent stops the container this long after its start. */
  timeoutSeconds?: number;
  /** The GPUs the container gets: docker `--gpus all|N`, podman CDI `--device nvidia.com/gpu=…`. */
  gpus?: 'all' | number;
}

export const ENV_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Env names the agent itself gives every container: a job's own env may not use them, so a
 * checkpointing job can always trust them (and no runtime's rule for duplicate `-e` is relied on).
 */
export const RESERVED_ENV_KEYS: readonly string[] = ['SCHED_JOB_ID', 'SCHED_ATTEMPT'];

/** EC2's limit on user data, counted before its base64 encoding. */
export const MAX_USER_DATA_BYTES = 16384;
/**
 * The most a job's image, argv and env may weigh together (UTF-8 bytes): far below what one exec
 * takes (Linux: 128 KiB per argument), so `docker run` always receives them whole.
 */
export const MAX_AGENT_SPEC_BYTES = 64 * 1024;

const JOB_ID_PATTERN = /^[A-Za-z0-9_-]+$/;
// RFC 6750 b64token: also guarantees the header line cannot be split.
const TOKEN_PATTERN = /^[A-Za-z0-9._~+/=-]+$/;
const DEFAULT_LOG_TAIL_BYTES = 4096;
const MAX_LOG_TAIL_BYTES = 1024 * 1024;
/** Between the SIGTERM and the SIGKILL of a container stopped at its timeout. */
export const TIMEOUT_KILL_AFTER_SECONDS = 10;
// Lone surrogates cannot be encoded as UTF-8: the container would receive U+FFFD instead.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Length of a notification token: base64url of an HMAC-SHA256 (32 bytes), unpadded. */
export const NOTIFICATION_TOKEN_LENGTH = 43;

/**
 * Throws `ValidationError` when a job could not be run: its image, argv or env are not values a
 * container can receive (or weigh over `MAX_AGENT_SPEC_BYTES`), or its script would not render.
 * So a job is refused when it is created rather than when it is due.
 */
export function checkAgentScriptFits(input: Omit<AgentScriptInput, 'attempt' | 'token'> & AgentSpec): void {
  const problems = agentSpecProblems(input);
  if (problems.length > 0) throw new ValidationError(problems);
  renderAgentScript({ jobId: input.jobId, notifyBaseUrl: input.notifyBaseUrl, attempt: 1, token: 'x'.repeat(NOTIFICATION_TOKEN_LENGTH) });
}

/** Renders the user-data script for one job attempt; throws `ValidationError` listing every problem. */
export function renderAgentScript(input: AgentScriptInput): string {
  const problems = validate(input);
  if (problems.length > 0) throw new ValidationError(problems);

  const script = renderHead(input) + COMPACT_BODY;
  const size = new TextEncoder().encode(script).length;
  if (size > MAX_USER_DATA_BYTES) {
    throw new ValidationError([`the rendered agent script is ${size} bytes, over EC2's user-data limit of ${MAX_USER_DATA_BYTES}`]);
  }
  return script;
}

/** Why the agent could not run this spec (empty: it can): what `docker run` would misread or not receive. */
export function agentSpecProblems(spec: AgentSpec): string[] {
  const problems: string[] = [];
  if (spec.image === '') problems.push('image must not be empty');
  // The CLI would read a leading dash as one of its own options.
  if (spec.image.startsWith('-')) problems.push(`image ${JSON.stringify(spec.image)} must not start with "-"`);
  checkText(`image`, spec.image, problems);
  spec.command.forEach((arg, i) => checkText(`command argument ${i + 1}`, arg, problems));
  for (const [key, value] of Object.entries(spec.env)) {
    if (!ENV_KEY_PATTERN.test(key)) {
      problems.push(`env key ${JSON.stringify(key)} must match ${ENV_KEY_PATTERN.source}`);
    } else if (RESERVED_ENV_KEYS.includes(key)) {
      problems.push(`env key ${JSON.stringify(key)} is set by Sched itself (${RESERVED_ENV_KEYS.join(', ')}); choose another name`);
    }
    checkText(`env value of ${JSON.stringify(key)}`, value, problems);
  }
  // Only "all" or a small count is ever handed to the agent, which checks it again.
  if (spec.gpus !== undefined && spec.gpus !== 'all' && !(Number.isSafeInteger(spec.gpus) && spec.gpus >= 1 && spec.gpus <= 64)) {
    problems.push(`gpus ${JSON.stringify(spec.gpus)} must be "all" or a whole number from 1 to 64`);
  }
  const timeout = spec.timeoutSeconds;
  if (timeout !== undefined && (!Number.isSafeInteger(timeout) || timeout < 1)) {
    problems.push(`timeoutSeconds ${timeout} must be a whole number of seconds, at least 1`);
  }
  const encoder = new TextEncoder();
  const bytes = [spec.image, ...spec.command, ...Object.entries(spec.env).map(([k, v]) => `${k}=${v}`)].reduce((sum, text) => sum + encoder.encode(text).length, 0);
  if (bytes > MAX_AGENT_SPEC_BYTES) {
    problems.push(`the image, command and env are ${bytes} bytes together, over the limit of ${MAX_AGENT_SPEC_BYTES}: shorten the env and command`);
  }
  return problems;
}

function validate(input: AgentScriptInput): string[] {
  const problems: string[] = [];
  if (!JOB_ID_PATTERN.test(input.jobId)) {
    problems.push(`job id ${JSON.stringify(input.jobId)} must be non-empty and use only A-Z, a-z, 0-9, _ and -`);
  }
  if (!Number.isSafeInteger(input.attempt) || input.attempt < 0) {
    problems.push(`attempt ${input.attempt} must be a non-negative integer`);
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

// jobId and attempt are validated above to characters that are inert in bash.
function renderHead(input: AgentScriptInput): string {
  return `#!/bin/bash
# Sched instance agent: job ${input.jobId}, attempt ${input.attempt}.
# Rendered by bot/core/agent-script.ts, where its comments are. The job's image, argv and env are
# fetched from the bot; they are base64 and only ever decoded into variables, never parsed as code.
set -u
umask 077

readonly JOB_ID='${input.jobId}'
readonly ATTEMPT=${input.attempt}
readonly LOG_TAIL_BYTES=${input.logTailBytes ?? DEFAULT_LOG_TAIL_BYTES}
readonly TIMEOUT_KILL_AFTER=${TIMEOUT_KILL_AFTER_SECONDS}
readonly NOTIFY_BASE_B64=${inert(input.notifyBaseUrl.replace(/\/+$/, ''))}
readonly TOKEN_B64=${inert(input.token)}
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
STOP_GRACE_SECONDS="\${SCHED_STOP_GRACE_SECONDS:-30}"
[[ "$STOP_GRACE_SECONDS" =~ ^[0-9]{1,5}$ ]] || STOP_GRACE_SECONDS=30
OUTPUT_SECONDS="\${SCHED_OUTPUT_SECONDS:-10}"
[[ "$OUTPUT_SECONDS" =~ ^[1-9][0-9]*$ ]] || OUTPUT_SECONDS=10
readonly CONTAINER_NAME="sched-$JOB_ID-$ATTEMPT"
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

WORK_DIR="$(mktemp -d "\${TMPDIR:-/tmp}/sched-agent.XXXXXX")" || { log "cannot create a work directory"; exit 70; }
# The watcher creates this just before it stops the container for an interruption: from then on
# the container's exit is the interruption's, not the job's.
readonly STOPPING_MARK="$WORK_DIR/stopping"
# The main script creates this once the container has exited, or once it knows it will not start.
readonly CONTAINER_DONE="$WORK_DIR/container-done"
# The deadline watcher creates this just before it stops the container at the job's timeout.
readonly TIMEOUT_MARK="$WORK_DIR/timed-out"
# The container's output, as it is printed.
readonly CONTAINER_LOG="\${SCHED_OUTPUT_FILE:-$WORK_DIR/container.log}"
# The agent's own clock: the job's run time and its deadline count from here (the started report,
# set again once the job is fetched).
START_SECONDS=$SECONDS
WATCHER_PID=
DEADLINE_PID=
OUTPUT_PID=
stop_output() {
  [ -z "$OUTPUT_PID" ] || { kill $OUTPUT_PID; wait $OUTPUT_PID; } 2>/dev/null
  OUTPUT_PID=
}
stop_watcher() {
  if [ -n "$WATCHER_PID" ]; then kill "$WATCHER_PID" 2>/dev/null; WATCHER_PID=; fi
  if [ -n "$DEADLINE_PID" ]; then kill "$DEADLINE_PID" 2>/dev/null; DEADLINE_PID=; fi
  stop_output
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
  # started carries how long the agent has run so far, written afresh for each try.
  if [ "$status" = started ]; then body="$WORK_DIR/started.json"; fi
  if [ -n "$body" ]; then args+=(-H 'Content-Type: application/json' --data-binary "@$body"); fi
  local try code delay=1 deadline=$((SECONDS + window))
  for ((try = 1; ; try++)); do
    if [ "$status" = started ]; then printf '{"ranSeconds":%d}' $((SECONDS - START_SECONDS)) >"$body"; fi
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

# GETs one metadata path into $WORK_DIR/metadata.out and prints the HTTP status (000: no answer).
imds_get() {
  curl -s -o "$WORK_DIR/metadata.out" -w '%{http_code}' --connect-timeout 1 --max-time 2 \\
    -H "X-aws-ec2-metadata-token: $1" "$IMDS_URL/latest/meta-data/$2"
}

# Milliseconds since the epoch (GNU date, as on Amazon Linux).
now_ms() { date +%s%3N; }

# Prints the notice's \`time\` (ISO UTC, e.g. {"action":"terminate","time":"2030-01-01T00:02:00Z"})
# in milliseconds since the epoch; fails when the answer has no time that reads as one.
notice_deadline_ms() {
  local pattern='"time"[[:space:]]*:[[:space:]]*"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z)"'
  [[ "$1" =~ $pattern ]] || return 1
  date -u -d "\${BASH_REMATCH[1]}" +%s%3N 2>/dev/null
}

# The watcher's sleeps run in the background so its TERM trap can end them at once.
pause_ms() {
  local ms="$1" seconds
  ((ms > 0)) || return 0
  seconds=$((ms / 1000))
  ((ms % 1000 == 0)) || seconds+=".$(printf '%03d' $((ms % 1000)))"
  sleep "$seconds" &
  sleeper=$!
  wait "$sleeper"
  sleeper=
}

# The two-minute notice: report it (in the background: a slow bot must not delay the stop), and
# stop the container in time to checkpoint. SIGTERM comes at the notice's time less the grace, or
# at once when that is already past; SIGKILL 5 s before the time. Without a readable time, SIGTERM
# now and 110 s to go. A container that exits on its own before the SIGTERM is reported finished by
# the main script, which then ends this watcher. The main script starts no container once the mark
# is set; one it started just before may not exist yet, so a failed stop is tried again for a few
# seconds, until the main script says the container is done.
act_on_notice() {
  local answer="$1" now deadline term_at kill_after
  notify interrupting &
  notifier=$!
  now="$(now_ms)"
  if deadline="$(notice_deadline_ms "$answer")" && [ -n "$deadline" ]; then
    term_at=$((deadline - STOP_GRACE_SECONDS * 1000))
    ((term_at > now)) || term_at=$now
    kill_after=$(((deadline - 5000 - term_at) / 1000))
    ((kill_after >= 1)) || kill_after=1
    log "the instance goes in $(((deadline - now) / 1000))s: SIGTERM to the container in $(((term_at - now) / 1000))s, SIGKILL \${kill_after}s later"
    pause_ms $((term_at - now))
  else
    kill_after=110
    log "the notice has no readable time: SIGTERM to the container now, SIGKILL \${kill_after}s later"
  fi
  : >"$STOPPING_MARK"
  local try
  for ((try = 1; ; try++)); do
    # -t: older docker's and podman's --time, newer docker's --timeout (which deprecates --time).
    "$CLI" stop -t "$kill_after" "$CONTAINER_NAME" >/dev/null 2>&1 && break
    if [ -e "$CONTAINER_DONE" ] || ((try >= 20)); then log "no container to stop"; break; fi
    pause_ms 500
  done
  wait "$notifier"
  notifier=
}

# Runs in the background: reports a rebalance recommendation once, and acts on AWS's two-minute
# notice (then returns).
watch_metadata() {
  local token sleeper= notifier= rebalancer= rebalance_seen=
  # The main script kills this subshell; its sleep and reports must not outlive it.
  trap 'for pid in $sleeper $notifier $rebalancer; do kill "$pid" 2>/dev/null; done; wait; exit 0' TERM
  while :; do
    if token="$(imds_token)" && [ -n "$token" ]; then
      if [ -z "$rebalance_seen" ] && [ "$(imds_get "$token" events/recommendations/rebalance)" = 200 ]; then
        rebalance_seen=1
        log "rebalance recommendation received"
        notify rebalance &
        rebalancer=$!
      fi
      if [ "$(imds_get "$token" spot/instance-action)" = 200 ]; then
        log "spot interruption notice received"
        act_on_notice "$(head -c 4096 "$WORK_DIR/metadata.out")"
        if [ -n "$rebalancer" ]; then wait "$rebalancer"; fi
        return 0
      fi
    fi
    if [ -n "$rebalancer" ] && ! kill -0 "$rebalancer" 2>/dev/null; then
      wait "$rebalancer"
      rebalancer=
    fi
    pause_ms $((POLL_SECONDS * 1000))
  done
}

# Runs in the background: at the job's timeout, stops the container (SIGTERM, SIGKILL
# TIMEOUT_KILL_AFTER s later). As for the notice, a container the main script is about to start
# may not exist yet: the stop is tried again until the main script says the container is done.
watch_deadline() {
  local sleeper=
  trap '[ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null; exit 0' TERM
  pause_ms $(((START_SECONDS + TIMEOUT_SECONDS - SECONDS) * 1000))
  log "the job's timeout of \${TIMEOUT_SECONDS}s is up: SIGTERM to the container, SIGKILL \${TIMEOUT_KILL_AFTER}s later"
  : >"$TIMEOUT_MARK"
  local try
  for ((try = 1; ; try++)); do
    "$CLI" stop -t "$TIMEOUT_KILL_AFTER" "$CONTAINER_NAME" >/dev/null 2>&1 && break
    if [ -e "$CONTAINER_DONE" ] || ((try >= 20)); then break; fi
    pause_ms 500
  done
}

# Runs in the background while the container runs: every OUTPUT_SECONDS, the tail of its output
# as \`output\`, when it changed since the last one the bot took; one try each (the next comes
# anyway). It waits on a FIFO nobody writes to (\`read -t\`), not on sleep: nothing outlives it.
# The report in flight is waited for, so none arrives after the container ended.
report_output() {
  local n= o="$WORK_DIR/output"
  trap '[ -z "$n" ] || wait "$n"; exit 0' TERM
  mkfifo "$o.fifo" && exec 3<>"$o.fifo" || return 0
  while :; do
    read -rt "$OUTPUT_SECONDS" -u 3
    tail -c "$LOG_TAIL_BYTES" "$CONTAINER_LOG" >"$o.new" 2>/dev/null
    if [ ! -s "$o.new" ] || cmp -s "$o.new" "$o.sent"; then continue; fi
    { printf '{"logTail":'; json_string <"$o.new"; printf '}'; } >"$o.json"
    notify output "" "$o.json" 0 &
    n=$!
    wait "$n" && mv "$o.new" "$o.sent"
    n=
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

# The container was stopped for the interruption (or never started after it): its exit is not the
# job's. Nothing more is reported and the host is left to AWS; the watcher finishes its report.
interrupted() {
  log "stopped for the spot interruption: not reporting finished; AWS takes the instance"
  if [ -n "$WATCHER_PID" ]; then wait "$WATCHER_PID"; WATCHER_PID=; fi
  exit "$1"
}

finish() {
  local exit_code="$1" output="$2" body="$WORK_DIR/finished.json" timed_out=
  # After "finished" an "interrupting" would only confuse the bot.
  stop_watcher
  if [ -e "$TIMEOUT_MARK" ]; then timed_out='"timedOut":true,'; fi
  { printf '{"exitCode":%d,%s"ranSeconds":%d,"logTail":' "$exit_code" "$timed_out" $((SECONDS - START_SECONDS)); tail -c "$LOG_TAIL_BYTES" "$output" | json_string; printf '}'; } >"$body"
  # An hour: a bot being redeployed must not make a finished job look interrupted (and run again)
  # because the shutdown backstop came first.
  notify finished "$exit_code" "$body" 3600
  shutdown_backstop
  exit "$exit_code"
}

# GETs what to run (docs/rest-api.md, "The agent's job"): the job's image, argv and env are never
# in the user data, which anyone with EC2 read access can read. Network errors, 408, 429 and 5xx
# are retried with back-off for five minutes (the bot may be restarting); any other answer is
# final. Every string of the answer is base64 and its fields come in a fixed order, so one pattern
# checks it whole (no jq needed) and no value in it is ever read as shell code. Sets IMAGE, GPUS,
# TIMEOUT_SECONDS, ENV_B64 and ARGV_B64; returns 69 (no answer), 77 (refused) or 76 (unreadable).
fetch_job() {
  local url="$NOTIFY_BASE/v1/agent/$JOB_ID?attempt=$ATTEMPT" out="$WORK_DIR/job.json"
  local try code delay=1 deadline=$((SECONDS + 300))
  for ((try = 1; ; try++)); do
    code="$(printf 'Authorization: Bearer %s\\n' "$TOKEN" | curl -sS -o "$out" -w '%{http_code}' --connect-timeout 5 --max-time 30 -H @- "$url")"
    case "$code" in
      200) break ;;
      000 | 408 | 429 | 5??) ;;
      *) log "the bot refused to hand over the job (answer: \${code:-nothing}): not running it"; return 77 ;;
    esac
    if ((SECONDS + delay > deadline)); then
      log "the bot did not hand over the job after $try tries (last answer: $code): not running it"
      return 69
    fi
    log "fetching the job: try $try got $code; again in \${delay}s"
    sleep "$delay"
    delay=$((delay * 2 > 30 ? 30 : delay * 2))
  done
  local b='[A-Za-z0-9+/=]*' job argv env
  local pattern='^\\{"image":"('"$b"')","argv":\\[(("'"$b"'",)*"'"$b"'")?\\],"env":\\[(("'"$b"'",)*"'"$b"'")?\\],"gpus":"(all|[1-9][0-9]?)?","timeoutSeconds":(0|[1-9][0-9]{0,9})\\}$'
  job="$(cat "$out")"
  if ! [[ "$job" =~ $pattern ]]; then log "the bot's answer is not a job this agent can read: not running it"; return 76; fi
  GPUS="\${BASH_REMATCH[6]}"
  TIMEOUT_SECONDS="\${BASH_REMATCH[7]}"
  argv="\${BASH_REMATCH[2]}"
  env="\${BASH_REMATCH[4]}"
  decode "\${BASH_REMATCH[1]}"
  IMAGE="$REPLY"
  b64_list "$argv"
  ARGV_B64=(\${LIST[@]+"\${LIST[@]}"})
  b64_list "$env"
  ENV_B64=(\${LIST[@]+"\${LIST[@]}"})
}

# Splits a checked list such as "a","b","" into the array LIST (bash 4.2 has no namerefs).
b64_list() {
  local rest="$1" q='"'
  LIST=()
  while [ -n "$rest" ]; do
    rest="\${rest#"$q"}"
    LIST+=("\${rest%%"$q"*}")
    rest="\${rest#*"$q"}"
    rest="\${rest#,}"
  done
}

# Without its job the attempt does not run, and nothing is reported: a bot that does not answer
# could not take the report, and one that refuses does not want this attempt. Failing the job for
# the bot's own outage would be wrong; the bot's launch timeout (or the instance's end, after the
# backstop) replaces the attempt, as for an instance that never started.
fetch_job
fetched=$?
if ((fetched != 0)); then
  shutdown_backstop
  exit "$fetched"
fi
START_SECONDS=$SECONDS

if ((TIMEOUT_SECONDS > 0)); then
  watch_deadline &
  DEADLINE_PID=$!
fi

notify started

if [ "$IMDS_URL" != off ]; then
  watch_metadata &
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

run_args=(run --rm --name "$CONTAINER_NAME")
# GPUs: docker's --gpus (the NVIDIA runtime of the GPU image); podman names them as CDI devices,
# "all" or one per index (\`nvidia-ctk cdi generate\` makes both), the first GPUS of them.
if [ -n "$GPUS" ]; then
  if [ "\${CLI##*/}" != podman ]; then run_args+=(--gpus "$GPUS")
  elif [ "$GPUS" = all ]; then run_args+=(--device nvidia.com/gpu=all)
  else for ((g = 0; g < GPUS; g++)); do run_args+=(--device "nvidia.com/gpu=$g"); done; fi
fi
[ -n "\${SCHED_CONTAINER_MEMORY:-}" ] && run_args+=(--memory "$SCHED_CONTAINER_MEMORY")
[ -n "\${SCHED_CONTAINER_CPUS:-}" ] && run_args+=(--cpus "$SCHED_CONTAINER_CPUS")
[ -n "\${SCHED_CONTAINER_PIDS:-}" ] && run_args+=(--pids-limit "$SCHED_CONTAINER_PIDS")
for b64 in \${ENV_B64[@]+"\${ENV_B64[@]}"}; do
  decode "$b64"
  run_args+=(-e "$REPLY")
done
# After the job's own env, which may not use these names (see RESERVED_ENV_KEYS).
run_args+=(-e "SCHED_JOB_ID=$JOB_ID" -e "SCHED_ATTEMPT=$ATTEMPT")
run_args+=("$IMAGE")
for b64 in \${ARGV_B64[@]+"\${ARGV_B64[@]}"}; do
  decode "$b64"
  run_args+=("$REPLY")
done

# 124: what timeout(1) returns; the deadline came before the container could start.
if [ -e "$TIMEOUT_MARK" ]; then
  : >"$CONTAINER_DONE"
  finish 124 "$WORK_DIR/pull.log"
fi
# 143: what a container ended by SIGTERM returns.
if [ -e "$STOPPING_MARK" ]; then
  : >"$CONTAINER_DONE"
  interrupted 143
fi
report_output &
OUTPUT_PID=$!
"$CLI" "\${run_args[@]}" 2>&1 | tee "$CONTAINER_LOG"
run_status=\${PIPESTATUS[0]}
: >"$CONTAINER_DONE"
stop_output
# 125: the engine could not create the container; for a GPU job, most often for want of the GPUs.
if [ -n "$GPUS" ] && [ "$run_status" = 125 ]; then
  echo "sched-agent: \${CLI##*/} could not start this GPU job (125): docker needs the NVIDIA Container Toolkit, podman a CDI spec (nvidia-ctk cdi generate)" | tee -a "$CONTAINER_LOG" >&2
fi
# Stopped at the timeout: the job's end, whatever the notice watcher did meanwhile.
if [ -e "$STOPPING_MARK" ] && [ ! -e "$TIMEOUT_MARK" ]; then interrupted "$run_status"; fi
finish "$run_status" "$CONTAINER_LOG"
`;

/**
 * The body without its comment lines: EC2 counts every byte of user data, and the comments (a
 * third of the body) are read here, not on the instance. No line of the body starts with `#`
 * inside a string, so only comments go.
 */
const COMPACT_BODY = SCRIPT_BODY.split('\n')
  .filter((line) => !/^\s*#/.test(line))
  .join('\n');
