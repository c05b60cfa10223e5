#!/usr/bin/env bash
# The Mayday demo, on built binaries: maydayd on a fresh SQLite file, a fleet
# of simulated responders around Amsterdam, then a road and a medical alert
# raised through the SDK (mayday-panic), each followed until RESOLVED. Ends
# with what a care agent sees in maydayctl. Exits 0 only if both cases were
# resolved.
#
#   tools/demo.sh BIN_DIR
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/serving.sh"

bin="${1:?usage: tools/demo.sh BIN_DIR}"
work="$(mktemp -d "${TMPDIR:-/tmp}/mayday-demo.XXXXXX")"
db="$work/mayday.db"
server_pid=""
sim_pid=""
cleanup() {
  # The responders go off duty first, while the server still answers.
  if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "issuing tokens into $db"
member=$("$bin/maydayd" token create --db "$db" --role member --subject alice)
agent=$("$bin/maydayd" token create --db "$db" --role operator --subject care-desk)
: >"$work/responders.tokens"
for i in 1 2 3 4 5; do
  "$bin/maydayd" token create --db "$db" --role responder --subject "unit-$i" \
    >>"$work/responders.tokens"
done

say "starting maydayd on a free loopback port"
"$bin/maydayd" --listen 127.0.0.1:0 --db "$db" --offer-timeout 10 \
  --metrics-listen 127.0.0.1:0 2>"$work/maydayd.log" &
server_pid=$!
port="$(wait_for_port "$work/maydayd.log")"
server="127.0.0.1:$port"
metrics="http://127.0.0.1:$(wait_for_metrics_port "$work/maydayd.log")/metrics"
echo "maydayd is serving on $server, its Prometheus metrics on $metrics"

say "starting 5 simulated responders (2 tow trucks, 1 patrol, 1 ambulance, 1 paramedic)"
"$bin/mayday-sim" responders --server "$server" --token-file "$work/responders.tokens" \
  --center 52.3676,4.9041 --radius-m 4000 --fleet tow:2,patrol:1,ambulance:1,paramedic:1 \
  --accept-delay-ms 500 --drive-seconds 12 --on-scene-seconds 2 --seed 7 \
  > >(sed -u 's/^/  [sim] /') 2>&1 &
sim_pid=$!
sleep 2

say "a member presses Road and Medical in the app"
timeout 120 "$bin/mayday-panic" --server "$server" --token "$member" \
  --note "flat tyre, hazard lights on" road 52.3702 4.8952 \
  > >(tee "$work/road.out" | sed -u 's/^/  [road] /') 2>&1 &
road=$!
# Indoors: the phone's first fix is a Wi-Fi estimate, 800 m uncertain;
# dispatch asks for a fresher one and the SDK sends the GNSS fix by itself.
timeout 120 "$bin/mayday-panic" --server "$server" --token "$member" \
  --accuracy 800 --fresh-fix 52.3600,4.8852,9 \
  --note "father collapsed, breathing" medical 52.3600 4.8852 \
  > >(tee "$work/medical.out" | sed -u 's/^/  [medical] /') 2>&1 &
medical=$!
status=0
wait "$road" || status=1
wait "$medical" || status=1

say "what the care desk sees: maydayctl cases list"
MAYDAY_SERVER="$server" MAYDAY_TOKEN="$agent" "$bin/maydayctl" cases list
first=$(MAYDAY_SERVER="$server" MAYDAY_TOKEN="$agent" "$bin/maydayctl" cases list --output json |
  sed -n 's/.*"name": *"\(cases\/[0-9a-f]*\)".*/\1/p' | head -1)
if [ -n "$first" ]; then
  say "maydayctl cases show $first"
  MAYDAY_SERVER="$server" MAYDAY_TOKEN="$agent" "$bin/maydayctl" cases show "$first"
fi
say "maydayctl responders list"
MAYDAY_SERVER="$server" MAYDAY_TOKEN="$agent" "$bin/maydayctl" responders list

if command -v curl >/dev/null; then
  say "what Prometheus would scrape: curl $metrics (the demo's figures)"
  curl -sf "$metrics" >"$work/metrics.txt"
  grep -E '^mayday_(alerts_(received|acknowledged)_total|cases_opened_total|offers_total|escalations_total|cases_open|alert_to_(first_offer|assignment)_seconds_(count|sum)|store_commits_total|dispatch_holder|serving)' \
    "$work/metrics.txt" | grep -v ' 0$' | sed 's/^/  /'
  if command -v promtool >/dev/null; then
    promtool check metrics <"$work/metrics.txt" && echo "  promtool check metrics: clean"
  fi
fi

resolved=$(MAYDAY_SERVER="$server" MAYDAY_TOKEN="$agent" "$bin/maydayctl" cases list \
  --state RESOLVED --output json | grep -o '"state":"RESOLVED"' | wc -l)
if [ "$status" -ne 0 ] || [ "$resolved" -ne 2 ]; then
  say "demo FAILED: $resolved of 2 cases resolved"
  exit 1
fi
# Each member's phone showed its crew coming (the "~ crew ..." lines).
for side in road medical; do
  if ! grep -q '^~ crew ' "$work/$side.out"; then
    say "demo FAILED: the $side member never saw the crew coming"
    exit 1
  fi
done
# The medical member's phone was asked for a fresher fix and sent it.
if ! grep -q 'a fresh location was asked for' "$work/medical.out" ||
  ! grep -q 'member moved to 52.36000, 4.88520 (±9 m)' "$work/medical.out"; then
  say "demo FAILED: the medical member's phone was not asked for a fresher fix, or did not send it"
  exit 1
fi
say "stopping the responders and the server"
cleanup
trap - EXIT
say "demo finished: both cases RESOLVED"
