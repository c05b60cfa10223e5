#!/usr/bin/env bash
# The Mayday cluster demo, on built binaries: one throw-away PostgreSQL,
# three maydayd replicas on it, simulated crews whose calls go round the
# three (the standbys relay dispatch's calls to the replica that holds it),
# a road and a medical alert raised through one replica and watched by the
# care desk through another, each followed until RESOLVED; then the replica
# that holds dispatch is killed with SIGKILL, and a third alert is placed by
# its successor. Prints who held dispatch and how long the hand-over took.
# Exits 0 only if all three cases were resolved.
#
#   tools/demo-cluster.sh BIN_DIR
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/serving.sh"

bin="${1:?usage: tools/demo-cluster.sh BIN_DIR}"
pg_bin="${MAYDAY_PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
if [ ! -x "$pg_bin/initdb" ]; then
  echo "no PostgreSQL server found (tools/dev installs the postgresql package)" >&2
  exit 1
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/mayday-cluster.XXXXXX")"
chmod 755 "$work"
pg="$work/pg"
replica_pids=()
sim_pid=""
desk_pid=""
pg_started=0
# PostgreSQL refuses to run as root: as root, it runs as the postgres user.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); fi

cleanup() {
  for pid in "$sim_pid" "$desk_pid"; do
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  done
  for pid in "${replica_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$pg_started" -eq 1 ]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
now() { date +%s.%N; }

say "a throw-away PostgreSQL in $pg (Unix socket only)"
mkdir -p "$pg"
[ ${#as_pg[@]} -gt 0 ] && chown postgres: "$pg"
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg/data" -U mayday -A trust >"$work/initdb.log" 2>&1 ||
  { cat "$work/initdb.log" >&2; exit 1; }
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg/data" -l "$pg/data/server.log" -w \
  -o "-k $pg -p 5432 -c listen_addresses=''" start >/dev/null
pg_started=1
"${as_pg[@]}" "$pg_bin/createdb" -h "$pg" -p 5432 -U mayday mayday
store="postgresql://mayday@/mayday?host=$pg&port=5432"
echo "store: $store"

say "issuing tokens into the database"
member=$("$bin/maydayd" token create --store "$store" --role member --subject alice)
agent=$("$bin/maydayd" token create --store "$store" --role operator --subject care-desk)
: >"$work/responders.tokens"
for i in 1 2 3 4 5; do
  "$bin/maydayd" token create --store "$store" --role responder --subject "unit-$i" \
    >>"$work/responders.tokens"
done

say "starting three maydayd replicas on the one database"
addresses=()
for r in 1 2 3; do
  "$bin/maydayd" --listen 127.0.0.1:0 --store "$store" --offer-timeout 10 \
    2>"$work/replica-$r.log" &
  replica_pids+=($!)
  port="$(wait_for_port "$work/replica-$r.log")"
  addresses+=("127.0.0.1:$port")
  echo "replica $r serves on 127.0.0.1:$port"
done
every="ipv4:$(IFS=,; echo "${addresses[*]}")"

# The replica whose log says it holds dispatch at `epoch` (waits up to 10 s).
holder_at_epoch() {
  local epoch="$1"
  for _ in $(seq 1 200); do
    for r in 1 2 3; do
      if grep -q "holds dispatch for region \"default\" (epoch $epoch)" "$work/replica-$r.log"; then
        echo "$r"
        return 0
      fi
    done
    sleep 0.05
  done
  return 1
}
holder=$(holder_at_epoch 1)
echo "replica $holder (${addresses[$((holder - 1))]}) holds dispatch; the other two stand by"
raise_on=$(( holder % 3 + 1 ))      # a standby
watch_on=$(( (holder + 1) % 3 + 1 ))  # the other standby

say "5 simulated crews, their calls spread round the three replicas ($every)"
"$bin/mayday-sim" responders --server "$every" --token-file "$work/responders.tokens" \
  --center 52.3676,4.9041 --radius-m 4000 --fleet tow:2,patrol:1,ambulance:1,paramedic:1 \
  --accept-delay-ms 500 --drive-seconds 12 --on-scene-seconds 2 --seed 7 \
  > >(sed -u 's/^/  [sim] /') 2>&1 &
sim_pid=$!
sleep 2

say "the care desk watches every case through replica $watch_on (${addresses[$((watch_on - 1))]})"
MAYDAY_SERVER="${addresses[$((watch_on - 1))]}" MAYDAY_TOKEN="$agent" \
  "$bin/maydayctl" cases watch > >(sed -u "s/^/  [desk on replica $watch_on] /") 2>&1 &
desk_pid=$!
sleep 1

say "a member presses Road and Medical; the app reaches replica $raise_on (${addresses[$((raise_on - 1))]})"
server="${addresses[$((raise_on - 1))]}"
timeout 120 "$bin/mayday-panic" --server "$server" --token "$member" \
  --note "flat tyre, hazard lights on" road 52.3702 4.8952 > >(sed -u 's/^/  [road] /') 2>&1 &
road=$!
timeout 120 "$bin/mayday-panic" --server "$server" --token "$member" \
  --note "father collapsed, breathing" medical 52.3600 4.8852 > >(sed -u 's/^/  [medical] /') 2>&1 &
medical=$!
status=0
wait "$road" || status=1
wait "$medical" || status=1

say "SIGKILL to replica $holder, which holds dispatch"
killed_at=$(now)
kill -9 "${replica_pids[$((holder - 1))]}"
wait "${replica_pids[$((holder - 1))]}" 2>/dev/null || true
successor=$(holder_at_epoch 2) || { say "demo FAILED: no replica took dispatch over"; exit 1; }
# The successor logs when it took the lease and again once it dispatches.
for _ in $(seq 1 200); do
  grep -q "dispatching (epoch 2)" "$work/replica-$successor.log" && break
  sleep 0.02
done
took=$(awk -v a="$killed_at" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
printf 'replica %s (%s) took dispatch over %.2f s after the kill\n' "$successor" \
  "${addresses[$((successor - 1))]}" "$took"

# The successor rebuilt dispatch from the database, where crews' duty is
# not kept: the crews' apps go on duty again when their streams break.
for _ in $(seq 1 150); do
  back=$(MAYDAY_SERVER="$every" MAYDAY_TOKEN="$agent" "$bin/maydayctl" --output json \
    responders list 2>/dev/null | grep -o '"status": *"AVAILABLE"' | wc -l || true)
  [ "$back" -ge 5 ] && break
  sleep 0.1
done
crews_back=$(awk -v a="$killed_at" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
echo "$back of 5 crews on duty with the successor $crews_back s after the kill"

say "a third alert, placed by the successor; the app is given every replica"
timeout 120 "$bin/mayday-panic" --server "$every" --token "$member" \
  --note "out of fuel on the ring road" road 52.3750 4.9100 > >(sed -u 's/^/  [third] /') 2>&1 ||
  status=1

kill "$desk_pid" 2>/dev/null || true
wait "$desk_pid" 2>/dev/null || true
desk_pid=""
alive="${addresses[$((successor - 1))]}"
say "maydayctl responders list (through replica $watch_on)"
MAYDAY_SERVER="${addresses[$((watch_on - 1))]}" MAYDAY_TOKEN="$agent" "$bin/maydayctl" responders list
resolved=$(MAYDAY_SERVER="$alive" MAYDAY_TOKEN="$agent" "$bin/maydayctl" cases list \
  --state RESOLVED --output json | grep -o '"state":"RESOLVED"' | wc -l)
if [ "$status" -ne 0 ] || [ "$resolved" -ne 3 ]; then
  say "demo FAILED: $resolved of 3 cases resolved"
  exit 1
fi
say "dispatch: replica $holder until its SIGKILL, then replica $successor, $(printf '%.2f' "$took") s later"
say "demo finished: all three cases RESOLVED"
