#!/usr/bin/env bash
# Prints docs/BENCHMARKS.md's section on fleet feeds from tools/bench/fleet.sh's
# JSON lines on stdin.
set -euo pipefail
json="$(cat)"
field() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/" <<<"$2"; }
line() { grep "\"label\":\"$1\"" <<<"$json" | head -1; }
crews="$(line positions-crews)" feed="$(line fleet-feed)"
crews_intake="$(line intake-beside-crews)" feed_intake="$(line intake-beside-feed)"
ratio="$(awk -v a="$(field per_second "$feed")" -v b="$(field per_second "$crews")" \
  'BEGIN { printf "%.1f", a / b }')"
meets() { awk -v v="$1" -v t="$2" -v d="$3" 'BEGIN { ok = (d == "max") ? v <= t : v >= t; print ok ? "met" : "**missed**" }'; }
echo "## Fleet feeds"
echo
echo "\`tools/bench/fleet.sh\`, one run: the same 2,000 crews (on duty, each with its own"
echo "Subscribe stream) report their positions either on their own ReportLocation streams"
echo "(\`mayday-sim positions\`, 16 connections, offered 60,000 reports/s) or through one"
echo "tracking feed (\`mayday-sim fleet-feed\`: FleetService.ReportPositions, batches of 1,000"
echo "positions on 4 streams, offered 400,000/s), each time on a fresh maydayd while"
echo "\`mayday-sim load\` raises alerts at half the intake peak (paced; latency from when each"
echo "alert was due). Absorbed = what the server's summaries say it took, over the time until"
echo "it had taken the last."
echo
echo "| positions from | absorbed/s | alerts beside: p50 | p99 | failed |"
echo "| --- | ---: | ---: | ---: | ---: |"
echo "| each crew's own stream | $(field per_second "$crews") | $(field p50_ms "$crews_intake") ms | $(field p99_ms "$crews_intake") ms | $(field failed "$crews_intake") |"
echo "| one fleet feed | $(field per_second "$feed") | $(field p50_ms "$feed_intake") ms | $(field p99_ms "$feed_intake") ms | $(field failed "$feed_intake") |"
echo
echo "The feed absorbs ${ratio}× what the crews' own streams do, and took $(field positions "$feed") of the"
echo "$(field sent "$feed") positions it sent (target ≥ 200,000/s: $(meets "$(field per_second "$feed")" 200000 min)): a batch costs the RPC"
echo "stack one message for a thousand positions, and each position then costs only the"
echo "checks, the coalescer, the crew watch and the track. The alerts beside it fare no worse"
echo "than beside the crews' own streams: the RPC stack, not the positions, is what the"
echo "streams cost."
echo
echo "**Alert to offer beside the feed**: 2,000 crews on duty reporting every 5 s, alerts at"
echo "500/s (\`mayday-sim offers\`, as the alert-to-offer scenario), without and with the feed"
echo "reporting 200,000 positions/s of the same crews, alternating twice:"
echo
echo "| run | offers | p50 | p99 | max | feed absorbed/s |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for round in 1 2; do
  for side in alone feed; do
    o="$(line "offers-$side-$round")"
    f="-"
    [ "$side" = feed ] && f="$(field per_second "$(line "feed-beside-offers-$round")")"
    echo "| $side ($round) | $(field offered "$o") | $(field p50_ms "$o") ms | $(field p99_ms "$o") ms | $(field max_ms "$o") ms | $f |"
  done
done
echo
feed_p99="$(for r in 1 2; do field p99_ms "$(line "offers-feed-$r")"; done | sort -n | tail -1)"
echo "Target: alert-to-offer p99 ≤ 50 ms with the feed running: $(meets "$feed_p99" 50 max) (worst"
echo "round ${feed_p99} ms). The feed shares the two cores with maydayd's dispatch and the load"
echo "generators, so offers come later beside it. (Of the 2,500 alerts, the 1,000 road ones the 1,000 tow trucks take are"
echo "offered; the crews accept, are busy, and the rest escalate, as in the alert-to-offer"
echo "scenario.)"
