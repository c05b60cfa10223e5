#!/usr/bin/env bash
# A real Prometheus scrapes a real maydayd: the alert rules and their unit
# tests pass promtool; maydayd's /metrics passes `promtool check metrics`;
# simulated crews take a road and a medical alert raised through the SDK;
# then the figures read back through Prometheus's HTTP API are the run's
# counts, every expression of the Grafana dashboard evaluates, and the rules
# are loaded and healthy.
#
#   tests/e2e/prometheus_test.sh BIN_DIR SOURCE_DIR
set -euo pipefail
bin="${1:?usage: prometheus_test.sh BIN_DIR SOURCE_DIR}"
src="${2:?usage: prometheus_test.sh BIN_DIR SOURCE_DIR}"
. "$src/tools/lib/serving.sh"
scratch prometheus
rules="$(cd "$src/deploy/prometheus" && pwd)/mayday.rules.yml"
fail() {
  echo "FAILED: $*" >&2
  for log in "$work"/*.log; do echo "--- $log" >&2; tail -20 "$log" >&2; done
  exit 1
}

echo "== promtool: the rules, and their unit tests"
promtool check rules "$rules"
(cd "$src/deploy/prometheus" && promtool test rules mayday.rules.test.yml)

db="$work/mayday.db"
member=$("$bin/maydayd" token create --db "$db" --role member --subject alice)
"$bin/maydayd" token create --db "$db" --role responder --subject unit --count 4 \
  >"$work/crews.tokens"

echo "== maydayd with --metrics-listen 127.0.0.1:0"
start maydayd "$bin/maydayd" --listen 127.0.0.1:0 --db "$db" --metrics-listen 127.0.0.1:0 \
  --offer-timeout 10
server="127.0.0.1:$port"
metrics_port="$(wait_for_metrics_port "$work/maydayd.log")"
curl -sf "http://127.0.0.1:$metrics_port/metrics" >"$work/first.txt"
promtool check metrics <"$work/first.txt" || fail "promtool check metrics"

echo "== Prometheus scraping it every second"
prom_port="$(free_port)"
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $rules
scrape_configs:
  - job_name: maydayd
    static_configs:
      - targets: ["127.0.0.1:$metrics_port"]
EOF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" 2>"$work/prometheus.log" &
started_pids+=($!)
api="http://127.0.0.1:$prom_port/api/v1"
ready=""
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$prom_port/-/ready" >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.2
done
[ -n "$ready" ] || fail "Prometheus did not become ready"

echo "== crews on duty, a road and a medical alert through the SDK"
"$bin/mayday-sim" responders --server "$server" --token-file "$work/crews.tokens" \
  --center 52.3676,4.9041 --radius-m 3000 --fleet tow:2,ambulance:2 \
  --accept-delay-ms 200 --drive-seconds 1 --on-scene-seconds 1 --seed 3 \
  >"$work/sim.log" 2>&1 &
started_pids+=($!)
sleep 1
timeout 60 "$bin/mayday-panic" --server "$server" --token "$member" road 52.3702 4.8952 \
  >"$work/road.log" 2>&1 || fail "the road alert did not resolve"
timeout 60 "$bin/mayday-panic" --server "$server" --token "$member" medical 52.3600 4.8852 \
  >"$work/medical.log" 2>&1 || fail "the medical alert did not resolve"

# query EXPR: the value of an instant query's single sample ("" if none).
query() {
  curl -sf --get "$api/query" --data-urlencode "query=$1" | /usr/bin/python3 -c '
import json, sys
answer = json.load(sys.stdin)
assert answer["status"] == "success", answer
result = answer["data"]["result"]
print(result[0]["value"][1] if len(result) == 1 else "")'
}
# expect EXPR VALUE: waits (up to 30 s, scrapes come each second) until
# Prometheus answers VALUE for EXPR.
expect() {
  local got=""
  for _ in $(seq 1 60); do
    got="$(query "$1")"
    [ "$got" = "$2" ] && { echo "  $1 = $got"; return 0; }
    sleep 0.5
  done
  fail "Prometheus says $1 = '$got', expected $2"
}

echo "== the figures, read back through Prometheus's HTTP API"
expect 'sum(mayday_alerts_received_total)' 2
expect 'sum(mayday_alerts_acknowledged_total{kind="road"})' 1
expect 'sum(mayday_alerts_acknowledged_total{kind="medical"})' 1
expect 'sum(mayday_alerts_failed_total) or vector(0)' 0
expect 'sum(mayday_cases_opened_total)' 2
expect 'sum(mayday_offers_total{outcome="accepted"})' 2
expect 'sum(mayday_case_events_total{type="progressed"})' 6
expect 'sum(mayday_cases_open)' 0
expect 'sum(mayday_alert_to_first_offer_seconds_count)' 2
expect 'sum(mayday_alert_to_assignment_seconds_count)' 2
expect 'mayday_dispatch_holder' 1
expect 'mayday_serving' 1
expect 'mayday_open_streams{call="Subscribe"}' 4
expect 'up{job="maydayd"}' 1
expect 'mayday_store_size_bytes > bool 0' 1

echo "== every expression of the dashboard evaluates"
/usr/bin/python3 - "$src/deploy/grafana/mayday-dashboard.json" "$api" <<'EOF'
import json, sys, urllib.parse, urllib.request
dashboard, api = sys.argv[1], sys.argv[2]
exprs = [t["expr"] for p in json.load(open(dashboard))["panels"] for t in p["targets"]]
for expr in exprs:
    url = api + "/query?" + urllib.parse.urlencode({"query": expr})
    answer = json.load(urllib.request.urlopen(url, timeout=10))
    if answer["status"] != "success":
        sys.exit(f"dashboard expression failed: {expr}: {answer}")
print(f"  {len(exprs)} expressions evaluate")
EOF

echo "== the rules are loaded and evaluate without error"
expected_rules="$(grep -c '^ *- alert:' "$rules")"
curl -sf "$api/rules" | /usr/bin/python3 -c '
import json, sys
rules = [r for g in json.load(sys.stdin)["data"]["groups"] for r in g["rules"]]
bad = [r["name"] for r in rules if r.get("health") != "ok"]
assert len(rules) == int(sys.argv[1]) and not bad, (len(rules), sys.argv[1], bad)
firing = [r["name"] for r in rules if r.get("state") == "firing"]
assert not firing, firing
print(f"  {len(rules)} rules, all healthy, none firing")' "$expected_rules"
echo "prometheus test passed"
