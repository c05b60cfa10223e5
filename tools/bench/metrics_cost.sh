#!/usr/bin/env bash
# What the metrics cost the hot path: durable alert intake at its peak (512
# calls in flight, as tools/bench/intake.sh measures it) on maydayd without
# --metrics-listen and with it (every counter and histogram updated, and
# /metrics scraped every second as Prometheus would), alternating off, on,
# off, on ... for ROUNDS rounds in one run. Prints one JSON line per run, then
# {"label":"metrics-cost","on_over_off":R,...}: the median of the rounds'
# on/off throughput ratios.
#
#   tools/bench/metrics_cost.sh BIN_DIR [SECONDS] [ROUNDS]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib/serving.sh"

bin="${1:?usage: metrics_cost.sh BIN_DIR [SECONDS] [ROUNDS]}"
seconds="${2:-5}"
rounds="${3:-3}"
scratch metrics-cost

per_second() { sed -E 's/.*"per_second":([0-9.]+).*/\1/'; }
# Enough members for 25,000 alerts/s in every run (above any peak seen
# here), each run's its own: a member's second alert would join the first.
per_run=$((25000 * (seconds + 1)))
for variant in off on; do
  "$bin/maydayd" token create --db "$work/$variant.db" --role member --subject "$variant" \
    --count $((per_run * rounds)) >"$work/$variant.tokens"
  split -l "$per_run" -d -a 2 "$work/$variant.tokens" "$work/$variant.run."
done
sync

ratios=()
for round in $(seq 0 $((rounds - 1))); do
  declare -A rate=()
  for variant in off on; do
    flags=()
    [ "$variant" = on ] && flags=(--metrics-listen 127.0.0.1:0)
    start "maydayd-$variant-$round" "$bin/maydayd" --listen 127.0.0.1:0 \
      --db "$work/$variant.db" "${flags[@]}"
    scraper=""
    if [ "$variant" = on ]; then
      metrics_port="$(wait_for_metrics_port "$work/maydayd-$variant-$round.log")"
      (while curl -sf "http://127.0.0.1:$metrics_port/metrics" >/dev/null; do sleep 1; done) &
      scraper=$!
    fi
    line="$("$bin/mayday-sim" load --server "127.0.0.1:$port" \
      --token-file "$work/$variant.run.$(printf '%02d' "$round")" --concurrency 512 \
      --warmup-s 1 --duration-s "$seconds" --label "metrics-$variant-$((round + 1))")"
    printf '%s\n' "$line"
    rate[$variant]="$(per_second <<<"$line")"
    [ -n "$scraper" ] && kill "$scraper" 2>/dev/null || true
    kill "${started_pids[-1]}"
    wait "${started_pids[-1]}" 2>/dev/null || true
    unset 'started_pids[-1]'
  done
  ratios+=("$(awk -v on="${rate[on]}" -v off="${rate[off]}" 'BEGIN { printf "%.4f", on / off }')")
done
median="$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END {
  print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
printf '{"label":"metrics-cost","rounds":%d,"ratios":"%s","on_over_off":%s}\n' \
  "$rounds" "$(IFS=,; echo "${ratios[*]}")" "$median"
