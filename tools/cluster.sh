#!/usr/bin/env bash
# A Mayday cluster in the shape of a production one, on this one machine:
#   - etcd, three members (Patroni's store of who is primary: three, so
#     that one member's loss leaves a quorum);
#   - PostgreSQL, two nodes under Patroni, streaming replication in
#     synchronous mode (an acknowledged alert is on both before the phone
#     hears "received"); Patroni decides who is primary;
#   - three maydayd replicas on one multi-host URI
#     (target_session_attrs=read-write: each follows the primary);
#   - simulated crews given every replica.
# Everything listens on loopback ports; data lives in one folder. Every
# process runs under a small supervisor loop that starts it again when it
# dies (as systemd's Restart=always would), so that faults can be injected
# by killing the process itself (tools/chaos).
#
#   tools/cluster.sh BIN_DIR start   start it; print the endpoints
#   tools/cluster.sh BIN_DIR status  print the endpoints and the primary
#   tools/cluster.sh BIN_DIR stop    stop every process, remove the folder
#
# The folder is $MAYDAY_CLUSTER_DIR (default /tmp/mayday-cluster), the
# number of crews $MAYDAY_CLUSTER_CREWS (default 4, at least 2). Its
# file "env" holds the endpoints as shell variables (MAYDAY_STORE,
# MAYDAY_SERVERS, ...); "pids/NAME" the pid of each process now running.
# PostgreSQL and Patroni run as the postgres user (PostgreSQL refuses root).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/patroni.sh"

bin="${1:?usage: tools/cluster.sh BIN_DIR start|status|stop}"
action="${2:?usage: tools/cluster.sh BIN_DIR start|status|stop}"
dir="${MAYDAY_CLUSTER_DIR:-/tmp/mayday-cluster}"
pg_bin="${MAYDAY_PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
# setpriv, not runuser: it execs the command, so that its pid is the
# command's own (faults are injected by pid).
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  as_pg=(env HOME=/var/lib/postgresql setpriv --reuid=postgres --regid=postgres --init-groups --)
fi

say() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
die() { printf 'cluster: %s\n' "$*" >&2; exit 1; }

# N free loopback ports, one per line.
free_ports() {
  /usr/bin/python3 - "$1" <<'EOF'
import socket, sys
held = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
    print(s.getsockname()[1])
EOF
}

# supervise NAME USER COMMAND...: runs COMMAND again each time it ends
# (after 1 s, and after the file hold/NAME is gone if there is one), until
# the folder's "stopping" file exists; its pid in pids/NAME, its output
# appended to logs/NAME.log.
supervise() {
  local name="$1" user="$2"
  shift 2
  local run=()
  [ "$user" = postgres ] && run=("${as_pg[@]}")
  (
    trap '' HUP
    while [ ! -e "$dir/stopping" ]; do
      "${run[@]}" "$@" >>"$dir/logs/$name.log" 2>&1 &
      echo $! >"$dir/pids/$name"
      wait $! || true
      echo "$(date +%T.%N) $name ended; starting it again in 1 s" >>"$dir/logs/supervisor.log"
      sleep 1
      # Held down (a node kept off by the chaos tool) until the file goes.
      while [ -e "$dir/hold/$name" ] && [ ! -e "$dir/stopping" ]; do sleep 0.2; done
    done
  ) </dev/null >/dev/null 2>&1 &
  echo $! >"$dir/supervisors/$name"
}

# The Patroni node that is primary now ("pg1"), and the synchronous
# standby ("pg2"), from Patroni's REST API.
primary() {
  . "$dir/env"
  local node
  node="$(patroni_node "$MAYDAY_PATRONI_APIS" /primary)" && echo "pg$node"
}
synchronous_standby() {
  . "$dir/env"
  local node
  node="$(patroni_node "$MAYDAY_PATRONI_APIS" /sync)" && echo "pg$node"
}

# new_token ROLE SUBJECT: prints a new token made in $store. The first ones
# are made while the cluster has just formed, when PostgreSQL may still be
# restarted by Patroni: a failure is said on stderr with maydayd's reason
# (and kept in logs/tokens.log), and tried again, three times in all.
new_token() {
  local log="$dir/logs/tokens.log" attempt
  for attempt in 1 2 3; do
    if "$bin/maydayd" token create --store "$store" --role "$1" --subject "$2" 2>>"$log"; then
      return 0
    fi
    printf 'cluster: token for %s (%s), try %d failed: %s\n' "$2" "$1" "$attempt" \
      "$(tail -1 "$log")" >&2
    sleep 2
  done
  die "no token for $2 ($1) after 3 tries (logs in $dir/logs)"
}

wait_for() {  # wait_for SECONDS WHAT COMMAND...
  local seconds="$1" what="$2"
  shift 2
  for _ in $(seq 1 $((seconds * 10))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  die "$what did not come up within $seconds s (logs in $dir/logs)"
}

start() {
  [ -x "$pg_bin/initdb" ] || die "no PostgreSQL server found (tools/dev installs postgresql)"
  command -v patroni >/dev/null || die "no patroni (tools/dev installs it)"
  command -v etcd >/dev/null || die "no etcd (tools/dev installs etcd-server)"
  [ -e "$dir" ] && die "$dir exists: a cluster runs already (tools/dev cluster stop)"
  mkdir -p "$dir"/{logs,pids,supervisors,hold}
  chmod 755 "$dir"
  mapfile -t ports < <(free_ports 16)
  local etcd_clients=() etcd_peers=() initial=()
  for i in 1 2 3; do
    etcd_clients+=("127.0.0.1:${ports[$((i * 2 - 2))]}")
    etcd_peers+=("127.0.0.1:${ports[$((i * 2 - 1))]}")
    initial+=("e$i=http://127.0.0.1:${ports[$((i * 2 - 1))]}")
  done
  local pg_ports=("${ports[6]}" "${ports[7]}") apis=("127.0.0.1:${ports[8]}" "127.0.0.1:${ports[9]}")
  local maydayd_ports=("${ports[10]}" "${ports[11]}" "${ports[12]}")

  say "etcd: three members"
  for i in 1 2 3; do
    supervise "etcd$i" root etcd --name "e$i" --data-dir "$dir/etcd$i" \
      --listen-client-urls "http://${etcd_clients[$((i - 1))]}" \
      --advertise-client-urls "http://${etcd_clients[$((i - 1))]}" \
      --listen-peer-urls "http://${etcd_peers[$((i - 1))]}" \
      --initial-advertise-peer-urls "http://${etcd_peers[$((i - 1))]}" \
      --initial-cluster "$(IFS=,; echo "${initial[*]}")" \
      --initial-cluster-state new --initial-cluster-token mayday-cluster
  done
  wait_for 30 "etcd" etcdctl --endpoints "$(IFS=,; echo "${etcd_clients[*]}")" endpoint health

  say "PostgreSQL: two nodes under Patroni, synchronous mode"
  for n in 1 2; do
    mkdir -p "$dir/pg$n"
    cat >"$dir/pg$n/patroni.yml" <<EOF
scope: mayday
namespace: /mayday/
name: pg$n
log:
  level: WARNING
restapi:
  listen: ${apis[$((n - 1))]}
  connect_address: ${apis[$((n - 1))]}
etcd3:
  hosts: $(IFS=,; echo "${etcd_clients[*]}")
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters:
        synchronous_commit: "on"
        wal_log_hints: "on"
        max_connections: 200
        wal_keep_size: 256MB
  initdb:
    - encoding: UTF8
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication all 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:${pg_ports[$((n - 1))]}
  connect_address: 127.0.0.1:${pg_ports[$((n - 1))]}
  data_dir: $dir/pg$n/data
  bin_dir: $pg_bin
  pgpass: $dir/pg$n/pgpass
  authentication:
    superuser:
      username: postgres
      password: mayday-cluster
    replication:
      username: replicator
      password: mayday-cluster
    rewind:
      username: rewinder
      password: mayday-cluster
  parameters:
    unix_socket_directories: $dir/pg$n
EOF
    [ ${#as_pg[@]} -gt 0 ] && chown -R postgres: "$dir/pg$n"
    supervise "pg$n" postgres patroni "$dir/pg$n/patroni.yml"
  done
  echo "MAYDAY_PATRONI_APIS='$(IFS=,; echo "${apis[*]}")'" >"$dir/env"
  wait_for 60 "a PostgreSQL primary" primary
  wait_for 60 "the synchronous standby" synchronous_standby
  local first
  first="$(primary)"
  "${as_pg[@]}" "$pg_bin/psql" -q -h 127.0.0.1 -p "${pg_ports[$((${first#pg} - 1))]}" -U postgres \
    -d postgres -c "CREATE ROLE mayday LOGIN" -c "CREATE DATABASE mayday OWNER mayday" >/dev/null

  local store="postgresql://mayday@127.0.0.1:${pg_ports[0]},127.0.0.1:${pg_ports[1]}/mayday?target_session_attrs=read-write&connect_timeout=2"
  local servers=()
  for p in "${maydayd_ports[@]}"; do servers+=("127.0.0.1:$p"); done
  cat >"$dir/env" <<EOF
MAYDAY_STORE='$store'
MAYDAY_SERVERS='ipv4:$(IFS=,; echo "${servers[*]}")'
MAYDAY_SERVER_LIST='$(IFS=,; echo "${servers[*]}")'
MAYDAY_ETCD='$(IFS=,; echo "${etcd_clients[*]}")'
MAYDAY_PATRONI_APIS='$(IFS=,; echo "${apis[*]}")'
MAYDAY_PG_PORTS='$(IFS=,; echo "${pg_ports[*]}")'
EOF

  local crews="${MAYDAY_CLUSTER_CREWS:-4}"
  say "tokens: a care desk, $crews crews"
  new_token operator care-desk >"$dir/operator.token"
  new_token admin cluster-admin >"$dir/admin.token"
  : >"$dir/crews.tokens"
  for i in $(seq 1 "$crews"); do
    new_token responder "unit-$i" >>"$dir/crews.tokens"
  done

  say "maydayd: three replicas"
  for r in 1 2 3; do
    supervise "maydayd$r" root "$bin/maydayd" --listen "${servers[$((r - 1))]}" --store "$store" \
      --offer-timeout 10
  done
  for r in 1 2 3; do
    wait_for 30 "maydayd$r" grep -q "serving on port" "$dir/logs/maydayd$r.log"
  done

  say "simulated crews, given every replica"
  supervise sim root "$bin/mayday-sim" responders --server "ipv4:$(IFS=,; echo "${servers[*]}")" \
    --token-file "$dir/crews.tokens" --center 52.3676,4.9041 --radius-m 3000 \
    --fleet "tow:$(( (crews + 1) / 2 )),ambulance:$(( crews / 2 ))" --accept-delay-ms 200 --drive-seconds 2 --on-scene-seconds 1 \
    --duration-s 86400

  say "an alert through the SDK, given every replica"
  local member
  member="$(new_token member first-caller)"
  echo "$member" >"$dir/member.token"
  if ! timeout 60 "$bin/mayday-panic" --server "ipv4:$(IFS=,; echo "${servers[*]}")" \
    --token "$member" --note "cluster check" road 52.3702 4.8952 2>&1 | sed 's/^/  /'; then
    die "the first alert did not reach RESOLVED (logs in $dir/logs)"
  fi
  echo
  status
}

status() {
  [ -e "$dir/env" ] || die "no cluster in $dir (tools/dev cluster)"
  . "$dir/env"
  local now_primary
  now_primary="$(primary || echo none)"
  cat <<EOF
cluster folder   $dir (logs in $dir/logs)
etcd             $MAYDAY_ETCD
PostgreSQL       $MAYDAY_PG_PORTS (Patroni REST $MAYDAY_PATRONI_APIS); primary: $now_primary
store            $MAYDAY_STORE
maydayd          $MAYDAY_SERVERS
tokens           $dir/operator.token, $dir/admin.token, $dir/member.token, $dir/crews.tokens
try              maydayctl --server $MAYDAY_SERVERS --token \$(cat $dir/operator.token) cases list
EOF
}

stop() {
  [ -d "$dir" ] || { echo "no cluster in $dir" >&2; return 0; }
  touch "$dir/stopping"
  # The supervisors first (they start nothing more), then what they run:
  # maydayd and the crews, Patroni (which stops its PostgreSQL), etcd.
  for f in "$dir"/supervisors/*; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  for group in sim maydayd pg etcd; do
    for f in "$dir"/pids/"$group"*; do
      [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    done
    for f in "$dir"/pids/"$group"*; do
      [ -e "$f" ] || continue
      local pid
      pid="$(cat "$f")"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    done
  done
  # A PostgreSQL whose Patroni was killed outright.
  for n in 1 2; do
    if [ -f "$dir/pg$n/data/postmaster.pid" ]; then
      "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/pg$n/data" -m immediate stop >/dev/null 2>&1 || true
    fi
  done
  rm -rf "$dir"
  echo "cluster stopped; $dir removed" >&2
}

case "$action" in
  start) start ;;
  status) status ;;
  stop) stop ;;
  *) die "unknown action $action (start, status or stop)" ;;
esac
