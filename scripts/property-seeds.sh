#!/usr/bin/env bash
# Runs property tests once per fixed seed, so a property is known to hold on each of them:
#   scripts/property-seeds.sh [FIRST] [LAST] [vitest filters...]
# defaults: seeds 1..200 over the lifecycle properties. A failing seed replays with
#   FC_SEED=<seed> npx vitest run <file>
set -uo pipefail
cd "$(dirname "$0")/.."
first="${1:-1}"
last="${2:-200}"
shift $(( $# < 2 ? $# : 2 ))
filters=("$@")
[ ${#filters[@]} -gt 0 ] || filters=(test/core/lifecycle.test.ts -t 'decide: properties')

failed=()
for seed in $(seq "$first" "$last"); do
  if ! FC_SEED="$seed" npx vitest run "${filters[@]}" >"/tmp/property-seed-$seed.log" 2>&1; then
    failed+=("$seed")
    echo "seed $seed FAILED (log: /tmp/property-seed-$seed.log)"
  else
    rm -f "/tmp/property-seed-$seed.log"
  fi
done
echo "seeds $first..$last: $(( last - first + 1 - ${#failed[@]} )) passed, ${#failed[@]} failed${failed[*]:+: ${failed[*]}}"
[ ${#failed[@]} -eq 0 ]
