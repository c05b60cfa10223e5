#!/usr/bin/env bash
# Chaos on the cluster of tools/cluster.sh: a steady load of alerts through
# the SDK (each retried with its request_id as a phone does), crews
# accepting and resolving them, watchers following cases on other
# replicas, while faults are injected one at a time, every few seconds, in
# turns over six kinds:
#
#   kill-etcd      SIGKILL of an etcd member
#   kill-replica   SIGKILL of a maydayd replica that does not dispatch
#   kill-holder    SIGKILL of the maydayd that holds dispatch
#   stop-holder    SIGSTOP of the holder past its lease (3.5 s), then SIGCONT
#   kill-primary   SIGKILL of the PostgreSQL primary's node (Patroni and
#                  PostgreSQL), kept down until the standby was promoted
#   switchover     patronictl switchover to the synchronous standby
#
# Killed processes are started again by the cluster's restart loops. At the
# end, through a fresh maydayd replica's operator API (mayday-sim
# crash-verify): every acknowledged alert has its case, with its request_id
# and member; no request_id has two cases; every case's events are 1..n; no
# case offered to two crews at once and no crew with two cases; every
# watcher saw its cases' events in order, each once; and the time from each
# fault to the next acknowledged alert and the next offer. Exits 0 only if
# nothing was lost, duplicated or broken.
#
#   tools/chaos.sh BIN_DIR MINUTES [FAULT_EVERY_S]   (FAULT_EVERY_S: 15)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/patroni.sh"

bin="${1:?usage: tools/chaos.sh BIN_DIR MINUTES [FAULT_EVERY_S]}"
minutes="${2:?usage: tools/chaos.sh BIN_DIR MINUTES [FAULT_EVERY_S]}"
every="${3:-15}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export MAYDAY_CLUSTER_DIR="${MAYDAY_CLUSTER_DIR:-$(mktemp -u "${TMPDIR:-/tmp}/mayday-chaos.XXXXXX")}"
dir="$MAYDAY_CLUSTER_DIR"
cluster() { "$root/tools/cluster.sh" "$bin" "$@"; }
say() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
now_ms() { date +%s%3N; }

load_pid=""
fresh_pid=""
finish() {
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null || true
  [ -n "$fresh_pid" ] && kill "$fresh_pid" 2>/dev/null || true
  if [ -n "${MAYDAY_CHAOS_KEEP:-}" ]; then
    echo "cluster kept in $dir (tools/cluster.sh $bin stop)" >&2
  else
    cluster stop >/dev/null 2>&1 || true
  fi
}
trap finish EXIT

say "starting the cluster in $dir"
MAYDAY_CLUSTER_CREWS=8 cluster start >/dev/null
. "$dir/env"
work="$dir/chaos"
mkdir -p "$work"
IFS=, read -r -a replicas <<<"$MAYDAY_SERVER_LIST"

alerts_per_second=2
seconds=$(awk -v m="$minutes" 'BEGIN { printf "%d", m * 60 }')
members=$(( seconds * alerts_per_second + 200 ))
"$bin/maydayd" token create --store "$MAYDAY_STORE" --role member --subject chaos-member \
  --count "$members" 2>>"$dir/logs/tokens.log" | grep '^mdy_' >"$work/members.tokens"

say "load: $alerts_per_second alerts a second through the SDK, one in 5 watched on another replica"
"$bin/mayday-sim" crash-load --server "$MAYDAY_SERVERS" --token-file "$work/members.tokens" \
  --acked "$work/acked" --clients 8 --per-second "$alerts_per_second" --sdk --keep-open \
  --reraise-every 0 --near 52.3676,4.9041 --watch-every 5 \
  --watch-servers "$MAYDAY_SERVER_LIST" --watch-log "$work/watched" \
  >"$work/load.json" 2>"$work/load.log" &
load_pid=$!

pid_of() { cat "$dir/pids/$1"; }
# The maydayd replica that holds dispatch now (1..3): the one whose log has
# the highest epoch, if it is alive.
holder() {
  local best=0 who="" r
  for r in 1 2 3; do
    local epoch
    epoch=$(sed -n 's/.*holds dispatch for region "default" (epoch \([0-9]*\)).*/\1/p' \
      "$dir/logs/maydayd$r.log" | tail -1)
    if [ -n "$epoch" ] && [ "$epoch" -gt "$best" ]; then best=$epoch who=$r; fi
  done
  echo "$who"
}
primary_node() { patroni_node "$MAYDAY_PATRONI_APIS" /primary; }
sync_node() { patroni_node "$MAYDAY_PATRONI_APIS" /sync; }
# Until the cluster is whole again (a primary, its synchronous standby,
# every process running), up to 90 s.
await_whole() {
  for _ in $(seq 1 900); do
    if primary_node >/dev/null && sync_node >/dev/null &&
      etcdctl --endpoints "$MAYDAY_ETCD" endpoint health >/dev/null 2>&1; then
      local alive=1 r
      for r in 1 2 3; do kill -0 "$(pid_of "maydayd$r")" 2>/dev/null || alive=0; done
      [ "$alive" -eq 1 ] && return 0
    fi
    sleep 0.1
  done
  echo "chaos: the cluster was not whole again within 90 s" >&2
}

fault() {  # fault KIND: inject one, logging when
  local kind="$1"
  case "$kind" in
    kill-replica)
      local h r
      h="$(holder)"
      r=$(( (h + RANDOM % 2) % 3 + 1 ))
      echo "$(now_ms) $kind" >>"$work/faults"
      echo "  $kind: maydayd$r (${replicas[$((r - 1))]})" >&2
      kill -9 "$(pid_of "maydayd$r")"
      ;;
    kill-holder)
      local h
      h="$(holder)"
      echo "$(now_ms) $kind" >>"$work/faults"
      echo "  $kind: maydayd$h (${replicas[$((h - 1))]})" >&2
      kill -9 "$(pid_of "maydayd$h")"
      ;;
    stop-holder)
      local h pid
      h="$(holder)"
      pid="$(pid_of "maydayd$h")"
      echo "$(now_ms) $kind" >>"$work/faults"
      echo "  $kind: maydayd$h stopped 3.5 s" >&2
      kill -STOP "$pid"
      sleep 3.5
      kill -CONT "$pid"
      ;;
    kill-primary)
      local p postmaster
      p="$(primary_node)"
      postmaster="$(head -1 "$dir/pg$p/data/postmaster.pid" 2>/dev/null || true)"
      touch "$dir/hold/pg$p"
      echo "$(now_ms) $kind" >>"$work/faults"
      echo "  $kind: pg$p (Patroni and PostgreSQL), down until the standby is promoted" >&2
      kill -9 "$(pid_of "pg$p")" ${postmaster:+"$postmaster"} 2>/dev/null || true
      for _ in $(seq 1 600); do
        local q
        q="$(primary_node || true)"
        [ -n "$q" ] && [ "$q" != "$p" ] && break
        sleep 0.1
      done
      rm -f "$dir/hold/pg$p"
      ;;
    switchover)
      local p s
      p="$(primary_node)"
      s="$(sync_node)"
      echo "$(now_ms) $kind" >>"$work/faults"
      echo "  $kind: pg$p to pg$s" >&2
      patronictl -c "$dir/pg$p/patroni.yml" switchover --leader "pg$p" --candidate "pg$s" --force \
        >>"$work/patronictl.log" 2>&1 || echo "  (patronictl switchover failed; see $work/patronictl.log)" >&2
      ;;
    kill-etcd)
      local e=$(( RANDOM % 3 + 1 ))
      echo "$(now_ms) $kind" >>"$work/faults"
      echo "  $kind: etcd$e" >&2
      kill -9 "$(pid_of "etcd$e")"
      ;;
  esac
}

say "faults: one every $every s for $minutes min"
# The quick ones first, so that a short run meets every kind.
kinds=(kill-etcd kill-replica switchover kill-holder stop-holder kill-primary)
end=$(( $(date +%s) + seconds ))
n=0
sleep "$every"
while [ "$(date +%s)" -lt "$end" ]; do
  await_whole
  fault "${kinds[$(( n % ${#kinds[@]} ))]}"
  n=$((n + 1))
  sleep "$every"
done
await_whole

say "stopping the load (alerts in flight retry until acknowledged)"
kill -TERM "$load_pid"
load_status=0
wait "$load_pid" || load_status=$?
load_pid=""
cat "$work/load.json"

say "stopping the crews; checking through a fresh replica"
touch "$dir/hold/sim"
kill "$(pid_of sim)" 2>/dev/null || true
"$bin/maydayd" --listen 127.0.0.1:0 --store "$MAYDAY_STORE" 2>"$work/fresh.log" &
fresh_pid=$!
. "$root/tools/lib/serving.sh"
fresh_port="$(wait_for_port "$work/fresh.log")"
verify_status=0
"$bin/mayday-sim" crash-verify --acked "$work/acked" --server "127.0.0.1:$fresh_port" \
  --token-file "$work/members.tokens" --operator-token-file "$dir/operator.token" \
  --dispatch-checks --watch-log "$work/watched" --faults "$work/faults" \
  --members-prefix members/chaos-member- \
  >"$work/verify.json" || verify_status=$?
cat "$work/verify.json"

/usr/bin/python3 - "$work/load.json" "$work/verify.json" <<'EOF'
import json, sys
load = json.load(open(sys.argv[1]))
v = json.load(open(sys.argv[2]))
faults = v["faults"]
print("faults: %d (%s)" % (sum(faults.values()),
                          ", ".join("%s %d" % (k, faults[k]) for k in sorted(faults))))
print("alerts acknowledged: %d (the SDK gave up on %d)" % (v["acknowledged"], load["gave_up"]))
print("lost: %d" % v["lost"])
print("duplicated: %d" % v["duplicated"])
print("event gaps: %d" % v["event_gaps"])
print("double offers: %d" % v["double_offers"])
print("double assignments: %d" % v["double_assignments"])
print("watched cases: %d, delivered out of order, twice or not as stored: %d"
      % (v["watched_cases"], v["watch_errors"]))
def s(ms):  # -1: nothing came before the run ended
    return "none before the end" if ms < 0 else "%.1f s" % (ms / 1000)
print("fault to next acknowledged alert: p50 %s, p99 %s, max %s"
      % (s(v["to_ack_p50_ms"]), s(v["to_ack_p99_ms"]), s(v["to_ack_max_ms"])))
print("fault to next offer: p50 %s, p99 %s, max %s"
      % (s(v["to_offer_p50_ms"]), s(v["to_offer_p99_ms"]), s(v["to_offer_max_ms"])))
for kind in sorted(faults):
    print("  %-12s longest to the next acknowledged alert: %s, to the next offer: %s"
          % (kind, s(v["to_ack_max_ms_by_kind"][kind]), s(v["to_offer_max_ms_by_kind"][kind])))
for p in v["problems"]:
    print("problem: " + p)
EOF
if [ "$load_status" -ne 0 ] || [ "$verify_status" -ne 0 ]; then
  say "chaos FAILED (load exit $load_status, verify exit $verify_status); logs in $dir"
  MAYDAY_CHAOS_KEEP=1
  exit 1
fi
say "chaos passed"
