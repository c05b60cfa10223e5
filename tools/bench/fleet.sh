#!/usr/bin/env bash
# Issue 24's fleet feeds, on built binaries, each run against a fresh
# maydayd on 127.0.0.1:0; prints one JSON line per measurement:
#
#   positions-crews      2,000 crews on their own ReportLocation streams,
#                        offered 60,000 reports/s, beside alerts at half the
#                        intake peak (INTAKE_PEAK, from intake.sh)
#   fleet-feed           the same 2,000 crews' positions from one tracking feed
#                        (FleetService.ReportPositions, batches of 1,000 on 4
#                        streams), offered 400,000/s, beside the same alerts
#   intake-beside-...    those alerts' latency, from when each was due
#   offers-alone-N,      alert to offer (2,000 crews on duty reporting every 5 s,
#   offers-feed-N        alerts at 500/s) without and with the feed reporting
#                        200,000 positions/s of the same crews, alternating
#                        ROUNDS times (N = 1 .. ROUNDS, default 2)
#   server-offers-...    for each of those, maydayd's own account of the same
#                        offers (mayday_alert_to_first_offer_seconds: from the
#                        alert's arrival to the offer's commit), to tell the
#                        server's part from the clients' on the shared cores
#
#   tools/bench/fleet.sh BIN_DIR INTAKE_PEAK [ROUNDS [TIMELINE_DIR]]
#
# INTAKE_PEAK "-" skips the positions part. With TIMELINE_DIR, each
# alert-to-offer run also writes TIMELINE_DIR/offers-SIDE-N.csv: every
# offer's acknowledgement time and latency (mayday-sim offers --timeline).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/serving.sh"

usage="usage: fleet.sh BIN_DIR INTAKE_PEAK [ROUNDS [TIMELINE_DIR]]"
bin="${1:?$usage}"
peak="${2:?$usage}"
rounds="${3:-2}"
timelines="${4:-}"
[ -z "$timelines" ] || mkdir -p "$timelines"
scratch fleet

serve() { start maydayd "$bin/maydayd" --listen 127.0.0.1:0 --db "$1" "${@:2}"; }
# server_offers LABEL METRICS_PORT: one JSON line, the road offers maydayd
# counted and how many of them it committed within 10, 25 and 50 ms.
server_offers() {
  curl -sf "http://127.0.0.1:$2/metrics" | awk -v label="$1" '
    /^mayday_alert_to_first_offer_seconds_bucket\{kind="road"/ {
      split($0, a, "le=\""); split(a[2], b, "\""); n[b[1]] = $NF
    }
    END {
      printf "{\"label\":\"%s\",\"offers\":%d,\"within_10ms\":%d,\"within_25ms\":%d,\"within_50ms\":%d}\n",
        label, n["+Inf"], n["0.01"], n["0.025"], n["0.05"]
    }'
}
tokens() { "$bin/maydayd" token create --db "$1" --role "$2" --subject "$3" --count "$4" >"$5"; }
half="$(awk -v p="$peak" 'BEGIN { printf "%.0f", p / 2 }')"

# Positions beside half-peak intake: the crews' own streams, then the feed.
sides=(crews feed)
[ "$peak" != - ] || sides=()
for side in "${sides[@]}"; do
  db="$work/positions-$side.db"
  tokens "$db" responder patrol 2000 "$work/patrols.tokens"
  tokens "$db" fleet patrol 1 "$work/fleet.tokens"
  tokens "$db" member caller $(((half + 500) * 14)) "$work/callers.tokens"
  serve "$db"
  "$bin/mayday-sim" load --server "127.0.0.1:$port" --token-file "$work/callers.tokens" \
    --rate "$half" --concurrency 4096 --warmup-s 1 --duration-s 12 \
    --label "intake-beside-$side" >"$work/intake.json" &
  load_pid=$!
  started_pids+=("$load_pid")
  sleep 1
  if [ "$side" = crews ]; then
    "$bin/mayday-sim" positions --server "127.0.0.1:$port" \
      --responder-tokens "$work/patrols.tokens" --duration-s 5 --connections 16 \
      --rate 60000 --label positions-crews
  else
    "$bin/mayday-sim" fleet-feed --server "127.0.0.1:$port" \
      --fleet-token-file "$work/fleet.tokens" --crews patrol:2000 \
      --responder-tokens "$work/patrols.tokens" --rate 400000 --batch 1000 --streams 4 \
      --duration-s 5 --label fleet-feed
  fi
  wait "$load_pid"
  unset 'started_pids[-1]'
  cat "$work/intake.json"
  stop_last
done

# Alert to offer without and with the feed, alternating.
for round in $(seq 1 "$rounds"); do
  for side in alone feed; do
    db="$work/offers-$side-$round.db"
    tokens "$db" responder crew 2000 "$work/crews.tokens"
    tokens "$db" fleet crew 1 "$work/crew-fleet.tokens"
    tokens "$db" member member 4000 "$work/members.tokens"
    serve "$db" --metrics-listen 127.0.0.1:0
    metrics_port="$(wait_for_metrics_port "$work/maydayd.log")"
    feed_pid=""
    if [ "$side" = feed ]; then
      # Starts reporting for the crews as they come on duty (the first
      # positions of crews not yet on duty are skipped), and runs past the
      # alerts.
      "$bin/mayday-sim" fleet-feed --server "127.0.0.1:$port" \
        --fleet-token-file "$work/crew-fleet.tokens" --crews crew:2000 --rate 200000 \
        --batch 1000 --streams 4 --duration-s 25 --radius-m 20000 \
        --label "feed-beside-offers-$round" >"$work/feed.json" &
      feed_pid=$!
      started_pids+=("$feed_pid")
    fi
    "$bin/mayday-sim" offers --server "127.0.0.1:$port" --responder-tokens "$work/crews.tokens" \
      --member-tokens "$work/members.tokens" --rate 500 --warmup-s 2 --duration-s 5 \
      --report-every-s 5 --radius-m 20000 --label "offers-$side-$round" \
      ${timelines:+--timeline "$timelines/offers-$side-$round.csv"}
    server_offers "server-offers-$side-$round" "$metrics_port"
    if [ -n "$feed_pid" ]; then
      wait "$feed_pid" || true
      unset 'started_pids[-1]'
      cat "$work/feed.json"
    fi
    stop_last
  done
done
