#!/usr/bin/env bash
# docs.webhooks: the signature checks of docs/integrations.md, run as a
# reader would paste them, on real deliveries. maydayd with a simulated
# crew, an endpoint registered with maydayctl, a road alert raised through
# the SDK (mayday-panic) and followed to RESOLVED; a receiver on loopback
# keeps every delivery. Then the page's Python function must accept each
# delivery and refuse it with a changed body or another secret, and the
# page's openssl line must give the signature maydayd sent. Prints the
# first and last deliveries as received (what the page shows).
#
#   tests/docs/webhook_docs_test.sh BIN_DIR PAGE
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../tools/lib/serving.sh"

bin="${1:?usage: webhook_docs_test.sh BIN_DIR PAGE}"
page="${2:?usage: webhook_docs_test.sh BIN_DIR PAGE}"
python=/usr/bin/python3
scratch webhook-docs

# The page's fenced block that follows the line `<!-- NAME -->`.
snippet() {
  awk -v mark="<!-- $1 -->" '
    $0 == mark { found = 1; next }
    found && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }' "$page"
}
snippet verify-python >"$work/verify.py"
snippet verify-shell >"$work/verify.sh"
[ -s "$work/verify.py" ] || { echo "no <!-- verify-python --> block in $page" >&2; exit 1; }
[ -s "$work/verify.sh" ] || { echo "no <!-- verify-shell --> block in $page" >&2; exit 1; }

# The receiver: each POST saved as N.body and N.headers, answered 204.
mkdir "$work/got"
cat >"$work/receiver.py" <<EOF
import http.server, itertools, sys
count = itertools.count(1)
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        n = next(count)
        with open(f"$work/got/{n:03}.headers", "w") as f:
            f.write("".join(f"{k}: {v}\n" for k, v in self.headers.items()))
        with open(f"$work/got/{n:03}.body", "wb") as f:
            f.write(body)
        self.send_response(204)
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"receiver serving on port {server.server_address[1]}", file=sys.stderr, flush=True)
server.serve_forever()
EOF
start receiver "$python" "$work/receiver.py"
receiver=$port

db="$work/mayday.db"
admin="$("$bin/maydayd" token create --db "$db" --role admin --subject root)"
member="$("$bin/maydayd" token create --db "$db" --role member --subject ana)"
"$bin/maydayd" token create --db "$db" --role responder --subject unit-1 >"$work/crew.tokens"
start maydayd "$bin/maydayd" --listen 127.0.0.1:0 --db "$db" \
  --webhook-allow-private --webhook-allow-http --webhook-agency care.example.org
server="127.0.0.1:$port"
secret="$(openssl rand -hex 32)"
printf '%s\n' "$secret" >"$work/secret"
"$bin/maydayctl" --server "$server" --token "$admin" \
  webhooks add "http://127.0.0.1:$receiver/mayday" --secret-file "$work/secret"
"$bin/mayday-sim" responders --server "$server" --token-file "$work/crew.tokens" \
  --center 52.3676,4.9041 --radius-m 500 --fleet tow:1 --accept-delay-ms 0 \
  --drive-seconds 2 --on-scene-seconds 1 --duration-s 60 >"$work/sim.log" 2>&1 &
started_pids+=($!)
sleep 2
timeout 60 "$bin/mayday-panic" --server "$server" --token "$member" \
  --note "flat tyre, hazard lights on" road 52.3702 4.8952 >"$work/panic.log" 2>&1
for _ in $(seq 1 100); do
  grep -qs '"state":"CASE_STATE_RESOLVED"' "$work"/got/*.body && break
  sleep 0.1
done
"$bin/maydayctl" --server "$server" --token "$admin" webhooks list

# Every delivery through the page's Python and shell.
checked=0
for body in "$work"/got/*.body; do
  headers="${body%.body}.headers"
  signature="$(sed -n 's/^Mayday-Signature: //p' "$headers" | tr -d '\r')"
  "$python" - "$work/verify.py" "$secret" "$signature" "$body" <<'EOF'
import sys
exec(open(sys.argv[1]).read())
secret, header, body = sys.argv[2].encode(), sys.argv[3], open(sys.argv[4], "rb").read()
assert verify(secret, header, body), "the page's verify() refused a delivery"
assert not verify(secret, header, body + b" "), "verify() took a changed body"
assert not verify(b"another secret", header, body), "verify() took another secret"
EOF
  t="${signature#t=}"
  t="${t%%,*}"
  sent="${signature##*v1=}"
  computed="$(secret="$secret" t="$t" body_file="$body" bash "$work/verify.sh")"
  if [ "$computed" != "$sent" ]; then
    echo "the page's openssl line gave $computed, maydayd sent $sent" >&2
    exit 1
  fi
  checked=$((checked + 1))
done
[ "$checked" -ge 5 ] || { echo "only $checked deliveries arrived" >&2; exit 1; }
echo "$checked deliveries checked with the page's Python and shell"
first="$(ls "$work"/got/*.body | head -1)"
last="$(ls "$work"/got/*.body | tail -1)"
for body in "$first" "$last"; do
  echo "--- ${body##*/}"
  cat "${body%.body}.headers"
  "$python" -m json.tool "$body"
done
