#!/usr/bin/env bash
# Runs every fuzz harness for a set time from its committed seeds and prints
# one line of figures each; exits non-zero if any harness found a crash, a
# sanitizer report or a broken invariant (its input is then in
# <bin>/../fuzz-artifacts/<harness>/). `tools/dev fuzz` builds and calls it.
#
#   tests/fuzz/run.sh <dir of the built harnesses> [seconds per harness, 60]
set -uo pipefail

bin="$1"
seconds="${2:-60}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(cd "$bin/.." && pwd)"
harnesses=(validation_fuzz alert_rpc_fuzz responder_rpc_fuzz operator_rpc_fuzz fleet_rpc_fuzz
           sdk_watch_fuzz sdk_outbox_fuzz)

# The server's database and the outbox file: on tmpfs when there is one, so
# that fsyncs do not set the pace (durability is not what is fuzzed here).
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
printf '%-20s %8s %10s %8s %8s %7s  %s\n' harness seconds execs exec/s cov ft corpus
for h in "${harnesses[@]}"; do
  corpus="$work/fuzz-corpus/$h"         # what this machine found; seeds stay as committed
  artifacts="$work/fuzz-artifacts/$h/"
  log="$work/fuzz-logs/$h.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  "$bin/$h" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$artifacts" "$corpus" "$here/corpus/$h" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  units=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  printf '%-20s %8s %10s %8s %8s %7s  %s\n' "$h" "$seconds" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "${ft:-?}" "${units:-?}"
  if [ $rc -ne 0 ]; then
    failed+=("$h")
    echo "   $h FAILED (exit $rc); its log: $log; the input: $artifacts" >&2
    grep -E 'ERROR: |runtime error|invariant broken|== message' "$log" | head -5 >&2
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzzing found problems in: ${failed[*]}" >&2
  exit 1
fi
echo "no crash, no sanitizer report, no broken invariant" >&2
