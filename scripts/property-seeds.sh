#!/usr/bin/env bash
# Runs the lifecycle's properties under each of a range of fixed seeds, in one vitest process:
#   scripts/property-seeds.sh [FIRST] [LAST]        (default 1 200)
# A failing seed replays alone with FC_SEED=<seed> npx vitest run test/core/lifecycle.test.ts
set -euo pipefail
cd "$(dirname "$0")/.."
first="${1:-1}"
last="${2:-200}"
FC_SEEDS="$first-$last" npx vitest run test/core/lifecycle.test.ts -t 'decide: properties'
