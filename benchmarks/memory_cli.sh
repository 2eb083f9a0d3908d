#!/bin/bash
# Peak resident memory of `alliancesim run` from the command line, worker processes included:
# in-process, with --out, and on the process pool (docs/performance.md).
#
#   benchmarks/memory_cli.sh [SCENARIO] [TRIALS] [MODES]
#   (default: nato-2021-baltic 10000000 "in-process out pool")
#
# The resident sets of the command and of its children (the pool's workers) are summed and
# sampled every half second; the peak of the sum is printed per mode. /usr/bin/time would report
# the command alone.
set -u
cd "$(dirname "$0")/.."
SCENARIO=${1:-nato-2021-baltic}
N=${2:-10000000}
MODES=${3:-in-process out pool}
OUT=$(mktemp -d)
for mode in $MODES; do
  args=(--no-store run "$SCENARIO" --trials "$N")
  case $mode in
    out) args+=(--out "$OUT/run");;
    pool) args+=(--backend process);;
  esac
  .venv/bin/alliancesim "${args[@]}" > "$OUT/$mode.log" 2>&1 &
  pid=$!
  peak=0
  while kill -0 "$pid" 2>/dev/null; do
    total=0
    for p in $pid $(pgrep -P "$pid") $(for c in $(pgrep -P "$pid"); do pgrep -P "$c"; done); do
      r=$(awk '/VmRSS/{print $2}' "/proc/$p/status" 2>/dev/null)
      total=$((total + ${r:-0}))
    done
    [ "$total" -gt "$peak" ] && peak=$total
    sleep 0.5
  done
  wait "$pid"
  echo "$SCENARIO, $N trials, $mode: exit $?, peak resident memory $((peak / 1024)) MiB"
done
rm -rf "$OUT"
