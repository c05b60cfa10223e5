#!/usr/bin/env bash
# Durable alert intake, side by side with the RPC stack's own limit, in one
# run on this machine. Prints one JSON line per measurement (mayday-sim load):
#
#   echo-128, -512  mayday-echo (bare gRPC callback server, same request and
#                   reply sizes, no auth, no storage), as fast as it answers
#                   with 128 and 512 calls in flight; echo-peak: the better;
#   echo-80pct      mayday-echo paced at 80% of its peak
#   maydayd-128, -512, maydayd-peak
#                   maydayd on a fresh SQLite file (WAL, synchronous=FULL,
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

# per_second: the calls per second of the JSON line on stdin.
per_second() { sed -E 's/.*"per_second":([0-9.]+).*/\1/'; }
# measure SERVER_PID PORT LABEL CONCURRENCY TOKEN_FILE [flags...]: one load
# run; its JSON line gains the CPU time the server and the load generator
# spent per answered call in 3 s of the counted window (needs SECONDS >= 4).
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
measure() {
  local server=$1 out="$work/$3.json"
  shift
  load "$@" >"$out" &
  local loader=$!
  sleep 1.5
  local client s0 c0 s1 c1
  client="$(pgrep -n -f "mayday-sim load --server 127.0.0.1:$1 ")"
  s0=$(ticks "$server") c0=$(ticks "$client")
  sleep 3
  s1=$(ticks "$server") c1=$(ticks "$client")
  wait "$loader"
  awk -v s=$((s1 - s0)) -v c=$((c1 - c0)) -v n="$(per_second <"$out")" -v hz="$(getconf CLK_TCK)" '{
    calls = 3 * n
    sub(/\}$/, sprintf(",\"server_cpu_us\":%.1f,\"client_cpu_us\":%.1f}", s * 1e6 / hz / calls, c * 1e6 / hz / calls))
    print }' "$out"
}
# best LABEL LINE_A LINE_B: the line with more calls per second, as LABEL.
best() {
  local winner=$2
  awk -v a="$(per_second <<<"$2")" -v b="$(per_second <<<"$3")" 'BEGIN { exit !(b > a) }' && winner=$3
  sed -E "s/\"label\":\"[^\"]*\"/\"label\":\"$1\"/" <<<"$winner"
}

# Enough members for 25,000 alerts/s (above any peak seen here) in each run,
# issued before maydayd starts (issued during a run, their writes would be
# checkpointed in the middle of the measurement), and on disk before it
# starts (the kernel writing them back would share the disk with the fsyncs).
members peak128 $((25000 * (seconds + 1)))
members peak512 $((25000 * (seconds + 1)))
members paced $((25000 * (seconds + 2)))
sync
# peaks_and_paced NAME TOKENS_128 TOKENS_512 TOKENS_PACED: the server `start`
# started last, with 128 and then 512 calls in flight (the echo peaks at
# fewer calls in flight; group commit needs more: the alerts arriving during
# one fsync share the next), its better run as NAME-peak, then paced at 80% of that peak, up to 4,096 in flight so that a
# slow moment shows as latency (what the latency target asks of maydayd,
# asked of the echo too).
peaks_and_paced() {
  local name=$1 server="${started_pids[-1]}" at128 at512 peak rate
  at128="$(measure "$server" "$port" "$name-128" 128 "$2")"
  at512="$(measure "$server" "$port" "$name-512" 512 "$3")"
  peak="$(best "$name-peak" "$at128" "$at512")"
  printf '%s\n' "$at128" "$at512" "$peak"
  rate="$(per_second <<<"$peak")"
  measure "$server" "$port" "$name-80pct" 4096 "$4" \
    --rate "$(awk -v p="$rate" 'BEGIN { printf "%.0f", p * 0.8 }')"
}

start echo "$bin/mayday-echo" --listen 127.0.0.1:0
peaks_and_paced echo "$work/peak128.tokens" "$work/peak128.tokens" "$work/peak128.tokens"
# Each maydayd run's members are others than the runs' before it (theirs are
# still open: a press of theirs would join).
start maydayd "$bin/maydayd" --listen 127.0.0.1:0 --db "$work/mayday.db"
peaks_and_paced maydayd "$work/peak128.tokens" "$work/peak512.tokens" "$work/paced.tokens"
