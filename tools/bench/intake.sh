#!/usr/bin/env bash
# Durable alert intake, side by side with the RPC stack's own limit, in one
# run on this machine. Prints one JSON line per measurement (mayday-sim load):
#
#   echo-peak       mayday-echo (bare gRPC callback server, same request and
#                   reply sizes, no auth, no storage), as fast as it answers
#   maydayd-peak    maydayd on a fresh SQLite file (WAL, synchronous=FULL,
#                   group commit), real tokens, dispatch on, as fast as it
#                   answers: every answered alert is on disk
#   maydayd-80pct   maydayd at 80% of its peak, paced (open loop): latency at a
#                   sustainable load
#
#   tools/bench/intake.sh BIN_DIR [SECONDS]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/serving.sh"

bin="${1:?usage: intake.sh BIN_DIR [SECONDS]}"
seconds="${2:-5}"
# Calls in flight for the peak runs.
concurrency=128
work="$(mktemp -d "${TMPDIR:-/var/tmp}/mayday-intake.XXXXXX")"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# Starts "$@" (which prints "...serving on port N" on stderr) and sets $port.
start() {
  local log="$work/$1.log"
  shift
  "$@" 2>"$log" &
  pids+=($!)
  port="$(wait_for_port "$log")"
}

# load PORT LABEL CONCURRENCY [mayday-sim load flags...]
load() {
  "$bin/mayday-sim" load --server "127.0.0.1:$1" --token-file "$work/members.tokens" \
    --concurrency "$3" --warmup-s 1 --duration-s "$seconds" --label "$2" "${@:4}"
}

# Members: the load spreads over 50 of them, as a real service's alerts do.
for i in $(seq 1 50); do
  "$bin/maydayd" token create --db "$work/mayday.db" --role member --subject "load-$i"
done >"$work/members.tokens"

start echo "$bin/mayday-echo" --listen 127.0.0.1:0
load "$port" echo-peak "$concurrency"

start maydayd "$bin/maydayd" --listen 127.0.0.1:0 --db "$work/mayday.db"
peak_json="$(load "$port" maydayd-peak "$concurrency")"
printf '%s\n' "$peak_json"
peak="$(sed -E 's/.*"per_second":([0-9.]+).*/\1/' <<<"$peak_json")"
rate="$(awk -v p="$peak" 'BEGIN { printf "%.0f", p * 0.8 }')"
# Paced: up to 4096 in flight, so that a slow moment shows as latency.
load "$port" maydayd-80pct 4096 --rate "$rate"
