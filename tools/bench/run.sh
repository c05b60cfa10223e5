#!/usr/bin/env bash
# Runs Mayday's benchmarks on built binaries and writes docs/BENCHMARKS.md:
# durable alert intake vs a bare gRPC echo (tools/bench/intake.sh); alert to
# offer, fan-out, position updates and restart (tools/bench/scenarios.sh);
# a fleet feed vs the crews' own streams (tools/bench/fleet.sh);
# the dispatch engine vs a brute-force geodesic scan and vs Redis GEOSEARCH
# (dispatch_bench). Called by `tools/dev bench`, which builds and installs
# redis-server first. Extra arguments go to dispatch_bench.
#
#   tools/bench/run.sh BIN_DIR [dispatch_bench flags]
set -euo pipefail

bin="${1:?usage: run.sh BIN_DIR [dispatch_bench flags]}"
shift
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
say() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

load="$(cut -d' ' -f1-3 /proc/loadavg)"
say "intake: maydayd (durable) vs mayday-echo (the RPC stack alone), side by side"
start=$SECONDS
intake_json="$("$root/tools/bench/intake.sh" "$bin" 5)"
t_intake=$((SECONDS - start))
printf '%s\n' "$intake_json"
peak_rate="$(grep maydayd-peak <<<"$intake_json" | sed -E 's/.*"per_second":([0-9.]+).*/\1/')"
say "what the metrics cost: intake without and with --metrics-listen, alternating"
start=$SECONDS
metrics_json="$("$root/tools/bench/metrics_cost.sh" "$bin" 5 5)"
t_metrics=$((SECONDS - start))
printf '%s\n' "$metrics_json"
say "alert to offer, fan-out, position updates, restart"
start=$SECONDS
scenario_json="$("$root/tools/bench/scenarios.sh" "$bin" "$peak_rate")"
t_scenarios=$((SECONDS - start))
printf '%s\n' "$scenario_json"
say "fleet feeds: one tracking feed vs the crews' own streams, beside alerts (issue 24)"
start=$SECONDS
fleet_json="$("$root/tools/bench/fleet.sh" "$bin" "$peak_rate")"
t_fleet=$((SECONDS - start))
printf '%s\n' "$fleet_json"
say "one member flooding RaiseAlert beside other members' alerts (issue 6, item 7)"
start=$SECONDS
flood_json="$("$root/tools/bench/flood.sh" "$bin" 1000 5)"
t_flood=$((SECONDS - start))
printf '%s\n' "$flood_json"
say "dispatch_bench: engine vs brute-force geodesic scan (a few minutes)"
start=$SECONDS
index_json="$("$bin/dispatch_bench" "$@")"
printf '%s\n' "$index_json"
say "dispatch_bench --redis: engine vs Redis GEOSEARCH on loopback"
redis_json="$("$bin/dispatch_bench" --redis "$@")"
t_dispatch=$((SECONDS - start))
printf '%s\n' "$redis_json"
say "replicas on one PostgreSQL: intake, cross-replica watch, dispatch hand-over"
start=$SECONDS
replicas_json="$("$bin/replicas_bench" 5 300 20)"
t_replicas=$((SECONDS - start))
printf '%s\n' "$replicas_json"
say "what webhooks cost an alert: three endpoints registered vs none (issue 25)"
start=$SECONDS
webhooks_out="$("$root/tools/bench/webhooks.sh" "$bin" 300 8 4)"
printf '%s\n' "$webhooks_out"
say "the same with no endpoints on either side: the noise to read it against"
webhooks_control="$("$root/tools/bench/webhooks.sh" "$bin" 300 8 4 0)"
t_webhooks=$((SECONDS - start))
printf '%s\n' "$webhooks_control"
field() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/" <<<"$2"; }
micro() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1000 }'; }
milli() { awk -v n="$1" 'BEGIN { printf "%.2f", n / 1000000 }'; }
# line LABEL: the scenario JSON line with that label.
line() { grep "\"label\":\"$1\"" <<<"$scenario_json" | head -1; }
offers="$(line alert-to-offer)"
fanout="$(line fan-out)"
pos_echo="$(line positions-echo)"
pos="$(line positions-60000)"
pos_low="$(line positions-15000)"
pos_intake="$(line intake-beside-positions-60000)"
pos_low_intake="$(line intake-beside-positions-15000)"
restart="$(line restart)"
restart_times="$(sed -E 's/.*"seconds":\[([^]]*)\].*/\1/' <<<"$restart")"
restart_median="$(tr ',' '\n' <<<"$restart_times" | sort -n | sed -n 2p)"
meets() { awk -v v="$1" -v t="$2" -v d="$3" 'BEGIN { ok = (d == "max") ? v <= t : v >= t; print ok ? "met" : "**missed**" }'; }
echo_rate_now="$(grep echo-peak <<<"$intake_json" | sed -E 's/.*"per_second":([0-9.]+).*/\1/')"
intake_ratio="$(awk -v a="$peak_rate" -v b="$echo_rate_now" 'BEGIN { printf "%.0f", 100 * a / b }')"
p99_80="$(grep maydayd-80pct <<<"$intake_json" | sed -E 's/.*"p99_ms":([0-9.]+).*/\1/')"
echo_p99_80="$(grep echo-80pct <<<"$intake_json" | sed -E 's/.*"p99_ms":([0-9.]+).*/\1/')"
doc="$root/docs/BENCHMARKS.md"
{
  echo "# Benchmarks"
  echo
  echo "Written by \`tools/dev bench\` on $(date -u +%Y-%m-%d) (commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)). Re-run it to refresh this file."
  echo
  echo "## Machine"
  echo
  echo "- CPUs: $(nproc) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))"
  echo "- Memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  echo "- Load average when the run started: $load (other work on the machine skews p99s)"
  echo "- This run took $((SECONDS / 60)) min $((SECONDS % 60)) s: intake ${t_intake} s, metrics cost ${t_metrics} s, scenarios 2-4 and 6 ${t_scenarios} s, fleet feeds ${t_fleet} s, flood ${t_flood} s, dispatch query ${t_dispatch} s, replicas ${t_replicas} s, webhooks ${t_webhooks} s (plus the build, when \`tools/dev bench\` has one to do)"
  echo "- OS: $(. /etc/os-release && echo "$PRETTY_NAME"); $(redis-server --version | cut -d' ' -f1-3)"
  echo
  echo "## Summary"
  echo
  echo "| scenario | measured in this run | target | |"
  echo "| --- | --- | --- | --- |"
  echo "| 1. durable intake | ${peak_rate} alerts/s = ${intake_ratio}% of the bare echo's ${echo_rate_now}/s; p99 at 80% of peak ${p99_80} ms (the bare echo at 80% of its own peak: ${echo_p99_80} ms) | ≥ 50% of the echo; p99 ≤ 20 ms | $(meets "$intake_ratio" 50 min) / $(meets "$p99_80" 20 max) |"
  echo "| 2. alert to offer | p99 $(field p99_ms "$offers") ms at $(field rate "$offers") alerts/s, $(field responders "$offers") crews reporting every 5 s | p99 ≤ 50 ms at 500/s | $(meets "$(field p99_ms "$offers")" 50 max) |"
  echo "| 3. fan-out | p99 $(field p99_ms "$fanout") ms to $(field streams "$fanout") streams; $(field kib_per_stream "$fanout") KiB per idle stream; threads $(field threads_before "$fanout") → $(field threads_idle "$fanout") | p99 ≤ 100 ms, ≤ 50 KiB, no thread per stream | $(meets "$(field p99_ms "$fanout")" 100 max) / $(meets "$(field kib_per_stream "$fanout")" 50 max) |"
  echo "| 4. position updates | $(field per_second "$pos") reports/s under half-peak intake (the bare RPC stack: $(field per_second "$pos_echo")/s) | ≥ 50,000/s | $(meets "$(field per_second "$pos")" 50000 min) |"
  fleet_line() { grep "\"label\":\"$1\"" <<<"$fleet_json" | head -1; }
  feed_p99="$(for r in 1 2; do field p99_ms "$(fleet_line "offers-feed-$r")"; done | sort -n | tail -1)"
  echo "| 4b. fleet feed (issue 24) | $(field per_second "$(fleet_line fleet-feed)") positions/s from one feed under half-peak intake (the crews' own streams: $(field per_second "$(fleet_line positions-crews)")/s); alert to offer p99 ${feed_p99} ms beside a feed of 200,000/s | ≥ 200,000/s; p99 ≤ 50 ms | $(meets "$(field per_second "$(fleet_line fleet-feed)")" 200000 min) / $(meets "$feed_p99" 50 max) |"
  echo "| 5. dispatch query | see the two tables below | faster than a scan and than Redis | |"
  echo "| flood (reliability 7) | other members' p99 $(field p99_ms "$(grep others-alone <<<"$flood_json")") ms alone, $(field p99_ms "$(grep others-beside-flood <<<"$flood_json")") ms beside one member's RaiseAlert loop ($(field completed "$(grep flood-raise <<<"$flood_json")") presses answered, $(field failed "$(grep flood-raise <<<"$flood_json")") failed) | holds, nothing refused | see below |"
  echo "| 6. restart | ${restart_median} s (median of 3) with 1,000,000 cases, $(field open "$restart") open | ≤ 2 s | $(meets "$restart_median" 2 max) |"
  metrics_ratio="$(sed -nE 's/.*"label":"metrics-cost".*"on_over_off":([0-9.]+).*/\1/p' <<<"$metrics_json")"
  echo "| metrics cost (issue 21) | intake with \`--metrics-listen\` and a scrape each second = ${metrics_ratio} of intake without (median of 5 alternating rounds) | within 3% | $(meets "$metrics_ratio" 0.97 min) |"
  echo
  echo "Where a target is missed, why it is not closed on this machine, with the profiles, is under its"
  echo "scenario. Durable intake (\"Would a journal in front of the store reach 50%?\"): SQLite's work"
  echo "per durable case and the alert's token check take more CPU than half the echo's rate leaves"
  echo "maydayd on two cores it shares with the load generator, and paced at 80% of a closed-loop peak"
  echo "the two cores are about 90% busy, which takes even the bare echo's own p99 past 20 ms in most"
  echo "runs recorded here. Position updates (\"Why position updates stop short of 50,000/s here\"):"
  echo "the RPC stack alone, storing nothing, absorbs fewer than 50,000 reports/s on this machine."
  echo
  echo "## Command"
  echo
  echo '```'
  echo "tools/dev bench $*   # = tools/bench/intake.sh build/bin 5; tools/bench/scenarios.sh build/bin PEAK; tools/bench/fleet.sh build/bin PEAK; tools/bench/flood.sh build/bin 1000 5; build/bin/dispatch_bench $*; build/bin/dispatch_bench --redis $*"
  echo '```'
  echo
  echo "## Durable alert intake vs the RPC stack alone"
echo
echo "\`tools/bench/intake.sh\`: the load generator \`mayday-sim load\` (gRPC callback client, 4"
echo "connections, 1 s warm-up, 5 s counted) raises alerts at *mayday-echo*, a bare gRPC callback"
echo "server with maydayd's settings that answers RaiseAlert at once with a reply of the same size"
echo "(no token check, no storage), then at *maydayd* on a fresh SQLite file (WAL,"
echo "synchronous=FULL, group commit; every alert from a member token of its own; dispatch on, no"
echo "responders, so every alert is also escalated: two commits' worth of work per alert). Each"
echo "server runs with 128 and with 512 calls in flight, and its better run is its peak. Every"
echo "alert maydayd answered was on disk first. Then each again, paced at 80% of its own peak"
echo "(open loop, up to 4,096 in flight, latency from when each call was due). CPU columns: the"
echo "CPU time the server and the load generator (on the same two cores) spent per answered call,"
echo "over 3 s of the counted window."
echo
echo "| run | in flight | alerts/s | p50 | p99 | p99.9 | failed | server CPU per call | load generator CPU per call |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
while IFS= read -r line; do
  [ -n "$line" ] || continue
  label="$(sed -E 's/.*"label":"([^"]*)".*/\1/' <<<"$line")"
  echo "| $label | $(field concurrency "$line") | $(field per_second "$line") | $(field p50_ms "$line") ms | $(field p99_ms "$line") ms | $(field p999_ms "$line") ms | $(field failed "$line") | $(field server_cpu_us "$line") µs | $(field client_cpu_us "$line") µs |"
done <<<"$intake_json"
echo_rate="$(grep echo-peak <<<"$intake_json" | sed -E 's/.*"per_second":([0-9.]+).*/\1/')"
mayday_rate="$(grep maydayd-peak <<<"$intake_json" | sed -E 's/.*"per_second":([0-9.]+).*/\1/')"
echo
echo "Durable intake is **$(awk -v a="$mayday_rate" -v b="$echo_rate" 'BEGIN { printf "%.0f%%", 100 * a / b }')** of the bare echo's throughput in this run (target: 50%); the p99 at 80% of"
echo "peak is the maydayd-80pct row's (target: 20 ms), beside the echo's own at 80% of its peak."
echo
cat "$root/tools/bench/intake_notes.md"
echo
echo "## Alert to offer"
echo
echo "\`mayday-sim offers\`: $(field responders "$offers") crews (half tow trucks, half ambulances) on duty within"
echo "20 km of Utrecht, each on its own Subscribe and ReportLocation streams (callback API, one"
echo "process, 16 connections), reporting every 5 s; alerts at $(field rate "$offers")/s from random points in the"
echo "same area, half road, half medical, from 4,000 members; each crew accepts its offer at once."
echo "Latency: from the RaiseAlert call being sent to the offer arriving on the chosen crew's stream"
echo "(2 s warm-up, then 5 s counted)."
echo
echo "| crews | alerts | offered | p50 | p99 | p99.9 | max | RaiseAlert p99 |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
echo "| $(field responders "$offers") | $(field alerts "$offers") | $(field offered "$offers") | $(field p50_ms "$offers") ms | $(field p99_ms "$offers") ms | $(field p999_ms "$offers") ms | $(field max_ms "$offers") ms | $(field intake_p99_ms "$offers") ms |"
echo
echo "## Fan-out"
echo
echo "\`mayday-sim fanout\`: 1,000 members raise a case each; 10 WatchCase streams per case (the"
echo "members' phones) and 100 operator WatchCases streams, over 32 connections; then an operator"
echo "posts 500 messages at 50/s round the cases. Each message reaches its case's 10 watchers and all"
echo "100 operator streams. Latency: from the event's own event_time (set by the server just before"
echo "its commit) to its arrival on each stream. Memory: the server's resident size (VmRSS) before the"
echo "streams opened and with them open and idle, divided by the streams."
echo
echo "| streams | deliveries | p50 | p99 | p99.9 | max | RSS before → idle | per idle stream | server threads before → idle |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
echo "| $(field streams "$fanout") | $(field delivered "$fanout") / $(field expected "$fanout") | $(field p50_ms "$fanout") ms | $(field p99_ms "$fanout") ms | $(field p999_ms "$fanout") ms | $(field max_ms "$fanout") ms | $(field rss_before_kib "$fanout") → $(field rss_idle_kib "$fanout") KiB | $(field kib_per_stream "$fanout") KiB | $(field threads_before "$fanout") → $(field threads_idle "$fanout") |"
echo
echo "## Position updates"
echo
echo "\`mayday-sim positions\`: 2,000 crews on duty, each on a ReportLocation stream, offered"
echo "15,000 or 60,000 reports/s in all (a crew whose last report is still unwritten skips its turn, so a"
echo "server that falls behind is offered less instead of buffering a backlog); reports/s = what"
echo "the server said it accepted (ReportLocationResponse) over the time until it had taken the last."
echo "First against *mayday-echo*, which counts the reports and drops them (the RPC stack's own"
echo "limit with this client, offered 60,000/s), then against maydayd (fresh each time) while"
echo "\`mayday-sim load\` raises alerts at half the intake peak, paced, latency from when each alert"
echo "was due."
echo
echo "| run | reports/s absorbed | alongside |"
echo "| --- | ---: | --- |"
echo "| mayday-echo (RPC stack alone) | $(field per_second "$pos_echo") | nothing |"
echo "| maydayd, offered 15,000/s | $(field per_second "$pos_low") | alerts at $(field rate "$pos_low_intake")/s: $(field per_second "$pos_low_intake")/s acknowledged, p50 $(field p50_ms "$pos_low_intake") ms, p99 $(field p99_ms "$pos_low_intake") ms, $(field failed "$pos_low_intake") failed |"
echo "| maydayd, offered 60,000/s | $(field per_second "$pos") | alerts at $(field rate "$pos_intake")/s: $(field per_second "$pos_intake")/s acknowledged, p50 $(field p50_ms "$pos_intake") ms, p99 $(field p99_ms "$pos_intake") ms, $(field failed "$pos_intake") failed |"
echo
cat "$root/tools/bench/positions_notes.md"
echo
echo "## One member flooding RaiseAlert"
echo
echo "\`tools/bench/flood.sh build/bin 1000 5\`: 1,000 alerts/s from members of their own (open loop), alone and then beside one member's app raising as fast as it is answered (128 in flight, a new request_id each: every press after the first joins that member's open case, paced one per kind per 100 ms; docs/RELIABILITY.md §7)."
echo
echo "| run | answered | failed | joined | p50 ms | p99 ms | p999 ms |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
while read -r l; do
  echo "| $(sed -E 's/.*"label":"([^"]*)".*/\1/' <<<"$l") | $(field completed "$l") | $(field failed "$l") | $(field joined "$l") | $(field p50_ms "$l") | $(field p99_ms "$l") | $(field p999_ms "$l") |"
done <<<"$flood_json"
echo
echo "## Restart"
echo
echo "\`mayday-seed\` writes 1,000,000 cases through the real store (a year of history, in the order it"
echo "happened: 100,000 still open, spread over the whole year rather than the last hours, of which"
echo "30% dispatching, 40% escalated after a lapsed offer and 30% assigned; the rest resolved or"
echo "cancelled with full timelines; about 1.7 GB), once, into build/bench-cache/. maydayd"
echo "is started on a copy three times (SIGKILLed after each start, so each start recovers as after"
echo "a crash): time from exec to its \"serving on port\" line, by which time dispatch has taken back"
echo "every open case (their offers read in one pass over the file)."
echo
echo "| cases | open, taken back by dispatch | start to serving (3 starts) |"
echo "| ---: | ---: | --- |"
echo "| 1,000,000 | $(field open "$restart") | ${restart_times//,/ s, } s |"
echo
echo "Until December 2 this file was not what the text above says: every open case was still"
echo "dispatching with its first event only (each open case is the 10th, and its shape was picked"
echo "by the case's number modulo 10, the same for all), so no start took back an assignment or a"
echo "lapsed offer; and the cases were written with random creation times, so every time-ordered"
echo "index took them at random places. \\`e2e.mayday-seed writes a year of cases in the order they"
echo "happened\\` now checks the file (shapes, order, one crew per open case, maydayd starts on it)."
echo "Side by side on the same binary, four starts of each file, alternating: random order 1.52-1.75 s"
echo "against creation order 1.08-1.16 s (both all open dispatching); then, in another round, all open"
echo "dispatching 0.66-0.80 s against the real mix (this file) 1.05-1.24 s. Writing the file takes"
echo "80-90 s (170 s in random order)."
echo
echo "Serving is not the end of a restart's work: dispatch's first round then takes up the cases"
echo "taken back. On this file (30,000 dispatching, every crew busy with an assigned case) each"
echo "escalates, and each escalation's reason counted through all 30,000 crews: the dispatch thread"
echo "was busy 9.9 s after serving, new alerts waiting behind it. The count of crews without a fix"
echo "is now made once per change to any crew, and only the crews within the radius are visited:"
echo "2.0-2.6 s, most of it the writer committing the 30,000 escalations (two starts of each binary,"
echo "alternating; time until maydayd's CPU time stops growing)."
echo
echo "## Nearest eligible responder: engine vs brute-force scan"
  echo
  echo "Responders uniformly over mainland France (42.5..51 N, 4.5 W..8 E), half ambulances,"
  echo "half tow trucks; cases at random points, alternately medical and road; radius 50 km."
  echo "*Engine* = \`AddCase\` + \`Step()\` through the public interface until the offer is"
  echo "decided (geo index query included). *Scan* = every responder of the kind, exact WGS84"
  echo "geodesic (what the first engine did). *Identical* = scanned queries with the same"
  echo "answer (must equal queries). Updates = \`UpdatePosition\` calls absorbed per second."
  echo
  echo "| responders | queries | engine median | engine p99 | scan median | scan p99 | speed-up (median) | identical | updates/s |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    im="$(field index_median_ns "$line")"; sm="$(field scan_median_ns "$line")"
    echo "| $(field responders "$line") | $(field queries "$line") | $(micro "$im") µs | $(micro "$(field index_p99_ns "$line")") µs | $(milli "$sm") ms | $(milli "$(field scan_p99_ns "$line")") ms | $(awk -v a="$sm" -v b="$im" 'BEGIN { printf "%.0f×", a / b }') | $(field identical "$line") / $(field queries "$line") | $(field updates_per_s "$line") |"
  done <<<"$index_json"
  echo
  echo "Both sides answer the same queries; at large fleets a scan takes up to half a second,"
  echo "so fewer queries are run there. The engine's p99 includes the cases that escalate"
  echo "(nobody of the kind within 50 km, frequent with 1,000 responders), whose reason is"
  echo "worked out by a pass over every responder."
  echo
  echo "## Engine vs Redis GEOSEARCH"
  echo
  echo "The same fleet in a \`redis-server\` started by the benchmark on 127.0.0.1 (free port,"
  echo "temporary directory, \`--save \"\" --appendonly no\`), one sorted set per case kind;"
  echo "queries \`GEOSEARCH <kind> FROMLONLAT lon lat BYRADIUS 50000 m ASC COUNT 1\` over a"
  echo "plain RESP socket, one round trip each. *Different nearest* = queries where Redis's"
  echo "answer (spherical haversine on 52-bit geohash cells) is not the WGS84 geodesic nearest."
  echo
  echo "| responders | queries | engine median | engine p99 | Redis median (round trip) | Redis p99 | different nearest |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    q="$(field queries "$line")"; d="$(field redis_different_nearest "$line")"
    echo "| $(field responders "$line") | $q | $(micro "$(field engine_median_ns "$line")") µs | $(micro "$(field engine_p99_ns "$line")") µs | $(micro "$(field redis_median_ns "$line")") µs | $(micro "$(field redis_p99_ns "$line")") µs | $d ($(awk -v a="$d" -v b="$q" 'BEGIN { printf "%.2f%%", 100 * a / b }')) |"
  done <<<"$redis_json"
  echo
  echo "Redis answers from the same in-memory data over a loopback round trip; its radius"
  echo "search visits every member of the geohash boxes around the radius before sorting, so"
  echo "its cost grows with the density. A wrong pick by haversine needs the two nearest"
  echo "candidates' distances to differ by less than its error: up to ~0.5% of the distance"
  echo "(tens of metres when the nearest is 10-20 km away, as with 1,000 responders) plus"
  echo "~0.6 m of geohash rounding (which matters when the nearest is a few hundred metres"
  echo "away, as with 1,000,000)."
  echo
  "$root/tools/bench/fleet_section.sh" <<<"$fleet_json"
  echo
  "$root/tools/bench/replicas_section.sh" <<<"$replicas_json"
  "$root/tools/bench/webhooks_section.sh" <(printf '%s\n' "$webhooks_control") <<<"$webhooks_out"
  echo
  "$root/tools/bench/metrics_section.sh" <<<"$metrics_json"
  echo "## Raw output"
  echo
  echo '```'
  printf '%s\n' "$intake_json" "$metrics_json" "$scenario_json" "$fleet_json" "$index_json" \
    "$redis_json" "$replicas_json"
  echo '```'
} >"$doc"
say "wrote $doc"
