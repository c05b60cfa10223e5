#!/usr/bin/env bash
# What webhooks cost an alert: RaiseAlert's latency on a maydayd with three
# endpoints registered (a receiver on loopback that answers 200 to every
# POST, so every event of every alert is delivered three times while the
# load runs) beside one with none, side by side in one run. Two maydayd on
# SQLite files of their own; the same paced load (mayday-sim load --rate)
# on each in turn, A B A B, ROUNDS times. Prints one JSON line per run, the
# deliveries the receiver got, then the median p50 and p99 of each and
# their ratio (with / without). ENDPOINTS 0 registers none on either side:
# the ratio two alike servers show, the noise to read the other against.
#
#   tools/bench/webhooks.sh BIN_DIR [RATE [SECONDS [ROUNDS [ENDPOINTS]]]]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/serving.sh"

bin="${1:?usage: webhooks.sh BIN_DIR [RATE [SECONDS [ROUNDS [ENDPOINTS]]]]}"
rate="${2:-300}"
seconds="${3:-8}"
rounds="${4:-4}"
endpoints="${5:-3}"
scratch webhooks

# The receiver: every POST answered 200 at once, counted by path.
cat >"$work/receiver.py" <<'EOF'
import http.server, sys, threading
counts = {}
lock = threading.Lock()
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            counts[self.path] = counts.get(self.path, 0) + 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def do_GET(self):
        with lock:
            body = " ".join(f"{p}={n}" for p, n in sorted(counts.items())).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"receiver serving on port {server.server_address[1]}", file=sys.stderr, flush=True)
server.serve_forever()
EOF
# Receivers run elsewhere in a deployment; here they share the cores, so
# the receiver runs at the lowest priority: the figures are maydayd's.
start receiver nice -n 19 /usr/bin/python3 "$work/receiver.py"
receiver=$port

# Members for every run, issued before the servers start (a member's second
# alert would join the first, still open).
for side in with without; do
  "$bin/maydayd" token create --db "$work/$side.db" --role admin --subject root >"$work/$side.admin"
  for round in $(seq 1 "$rounds"); do
    "$bin/maydayd" token create --db "$work/$side.db" --role member --subject "r$round" \
      --count $((rate * (seconds + 2))) >"$work/$side-$round.tokens"
  done
done
sync

flags=(--webhook-allow-private --webhook-allow-http)
start with "$bin/maydayd" --listen 127.0.0.1:0 --db "$work/with.db" "${flags[@]}"
with_port=$port
start without "$bin/maydayd" --listen 127.0.0.1:0 --db "$work/without.db" "${flags[@]}"
without_port=$port
printf 'webhook-bench-secret-0123456789\n' >"$work/secret"
for path in $(printf '%s\n' a b c d e f g h | head -n "$endpoints"); do
  "$bin/maydayctl" --server "127.0.0.1:$with_port" --token "$(cat "$work/with.admin")" \
    webhooks add "http://127.0.0.1:$receiver/$path" --secret-file "$work/secret" >/dev/null
done

# run SIDE PORT ROUND: one paced load run, its JSON line.
run() {
  "$bin/mayday-sim" load --server "127.0.0.1:$2" --token-file "$work/$1-$3.tokens" \
    --concurrency 512 --rate "$rate" --warmup-s 1 --duration-s "$seconds" --label "$1-$3"
}
for round in $(seq 1 "$rounds"); do
  run with "$with_port" "$round" | tee -a "$work/with.json"
  run without "$without_port" "$round" | tee -a "$work/without.json"
done
sleep 2
echo "deliveries received: $(curl -s "http://127.0.0.1:$receiver/")"

# median FILE FIELD: the median of FIELD over the JSON lines of FILE.
median() {
  sed -E "s/.*\"$2\":([0-9.]+).*/\1/" "$1" | sort -g |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
for field in p50_ms p99_ms; do
  a="$(median "$work/with.json" "$field")"
  b="$(median "$work/without.json" "$field")"
  awk -v f="$field" -v a="$a" -v b="$b" \
    -v n="$endpoints" \
    'BEGIN { printf "%s median: with %d endpoints %.3f, without %.3f, ratio %.3f\n", f, n, a, b, a / b }'
done
