# Sourced by the scripts that start maydayd or mayday-echo on port 0.
#
# scratch NAME: makes a fresh temporary directory, sets $work to it, and on
# exit stops every server `start` started and removes the directory.
#
# start NAME COMMAND...: runs COMMAND (which prints "... serving on port N"
# on stderr) in the background with its stderr in $work/NAME.log, and sets
# $port.
#
# wait_for_port LOG: prints the port from the "... serving on port N" line the
# server writes to LOG, waiting up to 10 s; if none comes, prints LOG on
# stderr and returns 1.
wait_for_port() {
  local port=""
  for _ in $(seq 1 100); do
    port=$(sed -n 's/.*serving on port \([0-9]*\).*/\1/p' "$1" | head -1)
    if [ -n "$port" ]; then
      echo "$port"
      return 0
    fi
    sleep 0.1
  done
  echo "the server did not start:" >&2
  cat "$1" >&2
  return 1
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
