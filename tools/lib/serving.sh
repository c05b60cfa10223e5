# Sourced by the scripts that start maydayd or mayday-echo on port 0.
#
# scratch NAME: makes a fresh temporary directory, sets $work to it, and on
# exit stops every server `start` started and removes the directory.
#
# start NAME COMMAND...: runs COMMAND (which prints "... serving on port N"
# on stderr) in the background with its stderr in $work/NAME.log, and sets
# $port. stop_last stops the last one started.
#
# wait_for_port LOG: prints the port from the "... serving on port N" line the
# server writes to LOG, waiting up to 10 s; if none comes, prints LOG on
# stderr and returns 1.
wait_for_port() {
  wait_for_number "$1" 's/.*serving on port \([0-9]*\).*/\1/p' "the server did not start:"
}

# wait_for_metrics_port LOG: the same for the "metrics on
# http://HOST:N/metrics" line of a maydayd given --metrics-listen.
wait_for_metrics_port() {
  wait_for_number "$1" 's/.*metrics on http:.*:\([0-9]*\)\/metrics.*/\1/p' \
    "maydayd did not say where its metrics are:"
}

# wait_for_number LOG SED_SCRIPT FAILURE: the first number SED_SCRIPT
# prints from LOG, waiting up to 10 s; if none comes, FAILURE and LOG on
# stderr, and 1.
wait_for_number() {
  local number=""
  for _ in $(seq 1 100); do
    number=$(sed -n "$2" "$1" | head -1)
    if [ -n "$number" ]; then
      echo "$number"
      return 0
    fi
    sleep 0.1
  done
  echo "$3" >&2
  cat "$1" >&2
  return 1
}

# free_port: a TCP port free on 127.0.0.1 now, for a server that cannot
# be given port 0 (Prometheus).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

scratch() {
  work="$(mktemp -d "${TMPDIR:-/var/tmp}/mayday-$1.XXXXXX")"
  started_pids=()
  trap stop_started EXIT
}
stop_started() {
  for pid in "${started_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
start() {
  local log="$work/$1.log"
  shift
  "$@" 2>"$log" &
  started_pids+=($!)
  port="$(wait_for_port "$log")"
}
# stop_last: stops what `start` started last, and forgets it.
stop_last() {
  local pid="${started_pids[-1]}"
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset 'started_pids[-1]'
}
