# Sourced by the scripts that start maydayd or mayday-echo on port 0.
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
