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
scratch intake

# load PORT LABEL CONCURRENCY TOKEN_FILE [mayday-sim load flags...]
load() {
  "$bin/mayday-sim" load --server "127.0.0.1:$1" --token-file "$4" \
    --concurrency "$3" --warmup-s 1 --duration-s "$seconds" --label "$2" "${@:5}"
}

# members NAME COUNT: COUNT member tokens in $work/NAME.tokens. Every alert
# comes from a member of its own, as on a real service (a member's second
# alert while the first is open would join it: "joined" in the output
# counts those, and must stay 0).
members() {
  "$bin/maydayd" token create --db "$work/mayday.db" --role member --subject "$1" \
    --count "$2" >"$work/$1.tokens"
}

# Enough members for 40,000 alerts/s (above any peak seen here) in each run,
# issued before maydayd starts (issued during a run, their writes would be
# checkpointed by maydayd's writer in the middle of the measurement).
members peak $((40000 * (seconds + 1)))
members paced $((40000 * (seconds + 2)))
start echo "$bin/mayday-echo" --listen 127.0.0.1:0
load "$port" echo-peak "$concurrency" "$work/peak.tokens"

start maydayd "$bin/maydayd" --listen 127.0.0.1:0 --db "$work/mayday.db"
peak_json="$(load "$port" maydayd-peak "$concurrency" "$work/peak.tokens")"
printf '%s\n' "$peak_json"
peak="$(sed -E 's/.*"per_second":([0-9.]+).*/\1/' <<<"$peak_json")"
rate="$(awk -v p="$peak" 'BEGIN { printf "%.0f", p * 0.8 }')"
# The paced run's members are others than the peak run's (theirs are still
# open: a press of theirs would join).
# Paced: up to 4096 in flight, so that a slow moment shows as latency.
load "$port" maydayd-80pct 4096 "$work/paced.tokens" --rate "$rate"
