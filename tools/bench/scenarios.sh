#!/usr/bin/env bash
# Issue 7's scenarios 2, 3, 4 and 6 on built binaries, each against a fresh
# maydayd on 127.0.0.1:0; prints one JSON line per measurement:
#
#   alert-to-offer   10,000 crews on duty reporting every 5 s; alerts at 500/s;
#                    RaiseAlert sent -> offer on the chosen crew's stream
#   fan-out          10,000 WatchCase streams (1,000 cases x 10 phones) and 100
#                    operator WatchCases streams; event commit -> arrival on
#                    every stream, and the server's memory per idle stream
#   positions-echo   2,000 crews offering 60,000 reports/s to mayday-echo (the
#                    RPC stack's own limit with this client, nothing stored)
#   positions-N      maydayd offered N reports/s (15,000 and 60,000) while
#                    alerts arrive at half the intake peak (INTAKE_PEAK, from
#                    intake.sh): reports/s absorbed, and the alerts' latency
#   restart          maydayd started on a database of 1,000,000 cases (100,000
#                    open): time from exec to serving, three starts
#
#   tools/bench/scenarios.sh BIN_DIR INTAKE_PEAK
#
# The restart database takes a minute and a half to write; it is kept in
# build/bench-cache/ and reused by the next run.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/serving.sh"

bin="${1:?usage: scenarios.sh BIN_DIR INTAKE_PEAK}"
peak="${2:?usage: scenarios.sh BIN_DIR INTAKE_PEAK}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="$root/build/bench-cache"
work="$(mktemp -d "${TMPDIR:-/var/tmp}/mayday-scenarios.XXXXXX")"
server_pid=""
load_pid=""
cleanup() {
  for pid in $load_pid $server_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# serve DB: starts maydayd on DB; sets $port and $server_pid.
serve() {
  "$bin/maydayd" --listen 127.0.0.1:0 --db "$1" 2>"$work/maydayd.log" &
  server_pid=$!
  port="$(wait_for_port "$work/maydayd.log")"
}
stop_server() {
  kill "$server_pid"
  wait "$server_pid" || true
  server_pid=""
}
# tokens DB ROLE SUBJECT COUNT FILE
tokens() { "$bin/maydayd" token create --db "$1" --role "$2" --subject "$3" --count "$4" >"$5"; }

# Scenario 2: alert to offer.
db="$work/offers.db"
tokens "$db" responder crew 10000 "$work/crews.tokens"
tokens "$db" member member 4000 "$work/members.tokens"
serve "$db"
"$bin/mayday-sim" offers --server "127.0.0.1:$port" --responder-tokens "$work/crews.tokens" \
  --member-tokens "$work/members.tokens" --rate 500 --warmup-s 2 --duration-s 5 \
  --report-every-s 5 --radius-m 20000
stop_server

# Scenario 3: fan-out.
db="$work/fanout.db"
tokens "$db" member phone 1000 "$work/phones.tokens"
tokens "$db" operator agent 1 "$work/agent.tokens"
serve "$db"
"$bin/mayday-sim" fanout --server "127.0.0.1:$port" --member-tokens "$work/phones.tokens" \
  --operator-token-file "$work/agent.tokens" --watchers-per-case 10 --operator-watchers 100 \
  --events 500 --events-per-second 50 --server-pid "$server_pid"
stop_server

# Scenario 4: position updates, the bare RPC stack first, then maydayd under
# half the intake peak.
tokens "$work/echo.db" responder patrol 2000 "$work/patrols.tokens"
"$bin/mayday-echo" --listen 127.0.0.1:0 2>"$work/echo.log" &
server_pid=$!
port="$(wait_for_port "$work/echo.log")"
"$bin/mayday-sim" positions --server "127.0.0.1:$port" --responder-tokens "$work/patrols.tokens" \
  --duration-s 5 --connections 16 --rate 60000 --label positions-echo
stop_server
half="$(awk -v p="$peak" 'BEGIN { printf "%.0f", p / 2 }')"
for offered in 15000 60000; do
  db="$work/positions-$offered.db"
  tokens "$db" responder patrol 2000 "$work/patrols.tokens"
  # A member per alert (13 s of them at half the peak), as in scenario 1.
  tokens "$db" member caller $(((half + 500) * 14)) "$work/callers.tokens"
  serve "$db"
  "$bin/mayday-sim" load --server "127.0.0.1:$port" --token-file "$work/callers.tokens" \
    --rate "$half" --concurrency 4096 --warmup-s 1 --duration-s 12 \
    --label "intake-beside-positions-$offered" >"$work/intake.json" &
  load_pid=$!
  sleep 1
  "$bin/mayday-sim" positions --server "127.0.0.1:$port" \
    --responder-tokens "$work/patrols.tokens" --duration-s 5 --connections 16 \
    --rate "$offered" --label "positions-$offered"
  wait "$load_pid"
  load_pid=""
  cat "$work/intake.json"
  stop_server
done

# Scenario 6: restart with 1,000,000 cases, 100,000 open.
mkdir -p "$cache"
# Named after the schema and the seed it was written with: a file from an
# older schema would be migrated at the first start, which is not what this
# measures, and one from an older seed holds other cases.
schema="$(cat "$root/server/store/migrations.cc" "$root/server/bench/seed_cases.cc" | sha1sum | cut -c1-12)"
restart_db="$cache/restart-1000000-100000-$schema.db"
find "$cache" -name 'restart-1000000-100000*' ! -name "restart-1000000-100000-$schema.db" -delete
if [ ! -f "$restart_db" ]; then
  "$bin/mayday-seed" --db "$restart_db.part" --cases 1000000 --open 100000 >&2
  mv "$restart_db.part" "$restart_db"
  rm -f "$restart_db.part-wal" "$restart_db.part-shm"
fi
# A copy, so that every run starts from the same file.
cp "$restart_db" "$work/restart.db"
times=()
for run in 1 2 3; do
  start_ns="$(date +%s%N)"
  "$bin/maydayd" --listen 127.0.0.1:0 --db "$work/restart.db" 2>"$work/restart.log" &
  server_pid=$!
  until grep -q "serving on port" "$work/restart.log"; do
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/restart.log" >&2; exit 1; }
    sleep 0.005
  done
  end_ns="$(date +%s%N)"
  times+=("$(awk -v a="$start_ns" -v b="$end_ns" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')")
  # SIGKILL: the next start recovers like after a crash, with the same open cases.
  kill -9 "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
done
restored="$(sed -n 's/.*took back \([0-9]*\) open cases.*/\1/p' "$work/restart.log" | head -1)"
printf '{"label":"restart","cases":1000000,"open":%s,"seconds":[%s,%s,%s]}\n' \
  "${restored:-0}" "${times[0]}" "${times[1]}" "${times[2]}"
