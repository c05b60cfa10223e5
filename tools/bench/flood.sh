#!/usr/bin/env bash
# Other members' alerts while one member floods RaiseAlert (issue 6, item 7:
# resource limits never turn away an emergency, and one principal's flood
# does not slow everybody else). In one run on one maydayd (fresh SQLite
# file, synchronous=FULL), paced alerts from members of their own (open loop,
# latency counted from when each call was due):
#
#   others-alone        RATE alerts/s, nobody else calling
#   flood-raise         one member's app in a loop: RaiseAlert with a new
#                       request_id each time, 128 in flight, as fast as the
#                       server answers (every press after the first joins
#                       that member's open case: "joined")
#   others-beside-flood the same RATE alerts/s from other members meanwhile
#
# Prints one JSON line per measurement (mayday-sim load).
#
#   tools/bench/flood.sh BIN_DIR [RATE] [SECONDS]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/serving.sh"

bin="${1:?usage: flood.sh BIN_DIR [RATE] [SECONDS]}"
rate="${2:-1000}"
seconds="${3:-5}"
scratch flood

# members NAME COUNT: COUNT member tokens in $work/NAME.tokens.
members() {
  "$bin/maydayd" token create --db "$work/mayday.db" --role member --subject "$1" \
    --count "$2" >"$work/$1.tokens"
}
# An alert per member: enough for the warm-up and the counted seconds.
members alone $((rate * (seconds + 2)))
members beside $((rate * (seconds + 2)))
members flooder 1

start maydayd "$bin/maydayd" --listen 127.0.0.1:0 --db "$work/mayday.db"

# paced LABEL TOKENS [SECONDS]: RATE alerts/s from the members in TOKENS.
paced() {
  "$bin/mayday-sim" load --server "127.0.0.1:$port" --token-file "$work/$2.tokens" \
    --rate "$rate" --concurrency 4096 --warmup-s 1 --duration-s "${3:-$seconds}" --label "$1"
}

paced others-alone alone
# The flood starts first and outlasts the paced run on both ends.
"$bin/mayday-sim" load --server "127.0.0.1:$port" --token-file "$work/flooder.tokens" \
  --concurrency 128 --warmup-s 1 --duration-s $((seconds + 2)) --label flood-raise \
  >"$work/flood.json" &
flood_pid=$!
started_pids+=("$flood_pid")
sleep 1
paced others-beside-flood beside
wait "$flood_pid"
cat "$work/flood.json"
