#!/usr/bin/env bash
# The crash test (docs/RELIABILITY.md, "Crash, many times"): maydayd is
# SIGKILLed at random moments under a load of alerts and restarted on the same
# port, ROUNDS times, while `mayday-sim crash-load` raises alerts with random
# request_ids, retrying each until acknowledged, and writes down every
# acknowledgement. Then the final read: the database of the last killed server
# passes PRAGMA integrity_check, and `mayday-sim crash-verify` checks through
# the operator API of a restarted server that every acknowledged alert exists
# exactly once, that a retry with its request_id returns the same case, and
# that every case's events are 1..n without gaps.
#
#   tools/crash/crash_test.sh BIN_DIR [ROUNDS]     (ROUNDS defaults to 200)
#
# Environment: CRASH_CLIENTS (client threads, 16), CRASH_MIN_MS / CRASH_MAX_MS
# (how long a server lives once serving before its SIGKILL, 30 / 400),
# CRASH_SEED (request_ids and kill times), CRASH_KEEP=1 keeps the work
# directory. Prints a summary and two JSON lines (crash-load's and
# crash-verify's); exits 0 only if every check passed.
set -euo pipefail

bin="${1:?usage: crash_test.sh BIN_DIR [ROUNDS]}"
rounds="${2:-200}"
clients="${CRASH_CLIENTS:-16}"
min_ms="${CRASH_MIN_MS:-30}"
max_ms="${CRASH_MAX_MS:-400}"
seed="${CRASH_SEED:-$$}"
members=32

work="$(mktemp -d "${TMPDIR:-/var/tmp}/mayday-crash.XXXXXX")"
db="$work/mayday.db"
server_pid=""
load_pid=""
cleanup() {
  [ -n "$server_pid" ] && { kill -9 "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
  [ -n "$load_pid" ] && { kill "$load_pid" 2>/dev/null || true; wait "$load_pid" 2>/dev/null || true; }
  if [ "${CRASH_KEEP:-0}" = 1 ]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

now_ms() { date +%s%3N; }

# start_server LISTEN: starts maydayd and waits (polling every 10 ms, up to
# 10 s) for its "serving on port N" line; sets $server_pid and $port.
starts=0
start_server() {
  local log="$work/server-$starts.log"
  starts=$((starts + 1))
  : >"$log"  # exists before the background child opens it
  "$bin/maydayd" --listen "$1" --db "$db" 2>"$log" &
  server_pid=$!
  for _ in $(seq 1 1000); do
    port="$(sed -n 's/.*serving on port \([0-9]*\).*/\1/p' "$log" | head -1)"
    [ -n "$port" ] && return 0
    if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
    sleep 0.01
  done
  echo "crash-test: maydayd did not start:" >&2
  cat "$log" >&2
  kill -9 "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  return 1
}

# Restarts on the same port; a port the kernel has not let go of yet is
# retried a few times.
restart_server() {
  for _ in 1 2 3 4 5; do
    start_server "127.0.0.1:$1" && return 0
    sleep 0.2
  done
  return 1
}

kill_server() {
  kill -9 "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

for i in $(seq 1 "$members"); do
  "$bin/maydayd" token create --db "$db" --role member --subject "crash-$i"
done >"$work/members.tokens"
"$bin/maydayd" token create --db "$db" --role operator --subject crash-check >"$work/operator.token"

start_server 127.0.0.1:0
fixed_port="$port"
# Made here: on a loaded machine the load generator may not have opened it
# (and acknowledged anything) before the first kill counts its lines.
: >"$work/acked.txt"
"$bin/mayday-sim" crash-load --server "127.0.0.1:$fixed_port" --token-file "$work/members.tokens" \
  --acked "$work/acked.txt" --clients "$clients" --seed "$seed" >"$work/load.json" &
load_pid=$!

RANDOM=$((seed % 32768))
began="$(now_ms)"
restart_total=0
restart_max=0
acked_before=0
per_round=()
for round in $(seq 1 "$rounds"); do
  if [ "$round" -gt 1 ]; then
    t0="$(now_ms)"
    restart_server "$fixed_port"
    t=$(($(now_ms) - t0))
    restart_total=$((restart_total + t))
    [ "$t" -gt "$restart_max" ] && restart_max="$t"
  fi
  life=$((min_ms + RANDOM % (max_ms - min_ms + 1)))
  sleep "$(printf '%d.%03d' $((life / 1000)) $((life % 1000)))"
  kill_server
  acked_now=$(wc -l <"$work/acked.txt")
  per_round+=($((acked_now - acked_before)))
  acked_before="$acked_now"
  if [ $((round % 50)) -eq 0 ]; then
    echo "crash-test: $round kills, $acked_now alerts acknowledged" >&2
  fi
done

# Let every alert in flight be acknowledged, then stop the load.
restart_server "$fixed_port"
kill -TERM "$load_pid"
load_status=0
wait "$load_pid" || load_status=$?
load_pid=""
elapsed=$(($(now_ms) - began))

# The last server dies like the others; its file must be sound.
kill_server
integrity_status=0
"$bin/mayday-sim" crash-verify --acked "$work/acked.txt" --db "$db" >"$work/integrity.json" ||
  integrity_status=$?

restart_server "$fixed_port"
verify_status=0
"$bin/mayday-sim" crash-verify --acked "$work/acked.txt" --server "127.0.0.1:$fixed_port" \
  --token-file "$work/members.tokens" --operator-token-file "$work/operator.token" \
  >"$work/verify.json" || verify_status=$?
kill -TERM "$server_pid"
wait "$server_pid" || true
server_pid=""

sorted=($(printf '%s\n' "${per_round[@]}" | sort -n))
n=${#sorted[@]}
acked_total=$(wc -l <"$work/acked.txt")
echo "crash-test: $rounds SIGKILLs in $((elapsed / 1000)).$(printf '%03d' $((elapsed % 1000))) s;" \
  "$acked_total alerts acknowledged ($clients clients);" \
  "per round min ${sorted[0]}, median ${sorted[$((n / 2))]}, max ${sorted[$((n - 1))]};" \
  "restart to serving avg $((restart_total / (rounds > 1 ? rounds - 1 : 1))) ms, max $restart_max ms;" \
  "server life $min_ms-$max_ms ms; seed $seed"
echo "crash-load: $(cat "$work/load.json")"
echo "integrity:  $(cat "$work/integrity.json")"
echo "verify:     $(cat "$work/verify.json")"
if [ "$load_status" -ne 0 ] || [ "$integrity_status" -ne 0 ] || [ "$verify_status" -ne 0 ]; then
  echo "crash-test: FAILED (load $load_status, integrity $integrity_status, verify $verify_status)" >&2
  exit 1
fi
echo "crash-test: passed"
