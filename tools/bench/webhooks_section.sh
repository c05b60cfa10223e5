#!/usr/bin/env bash
# Prints docs/BENCHMARKS.md's section on what webhooks cost an alert, from
# tools/bench/webhooks.sh's output on stdin, and that of its run with no
# endpoints (the noise) in the file $1, if given.
set -euo pipefail
out="$(cat)"
field() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/" <<<"$2"; }
echo "## What webhooks cost an alert"
echo
echo "\`tools/bench/webhooks.sh BIN 300 8 ROUNDS\`: RaiseAlert paced at 300 alerts/s for 8 s"
echo "(members of their own, 512 calls at most in flight) on a \`maydayd\` with three webhook"
echo "endpoints registered, all on one receiver on loopback that answers 200 at once (so every"
echo "event of every alert is delivered three times while the load runs), and on one with none;"
echo "with, without, with, without ... in one run, each on its own SQLite file."
echo
echo "| round | p50 with | p50 without | p99 with | p99 without |"
echo "| ---: | ---: | ---: | ---: | ---: |"
round=1
while with="$(grep "\"label\":\"with-$round\"" <<<"$out")" && [ -n "$with" ]; do
  without="$(grep "\"label\":\"without-$round\"" <<<"$out")"
  echo "| $round | $(field p50_ms "$with") ms | $(field p50_ms "$without") ms | $(field p99_ms "$with") ms | $(field p99_ms "$without") ms |"
  round=$((round + 1))
done
echo
grep -E '^(deliveries received|p50_ms median|p99_ms median)' <<<"$out" | sed 's/^/- /'
echo
if [ -n "${1:-}" ]; then
  control="$(cat "$1")"
  echo "The noise to read these against: the same run with no endpoint on either side"
  echo "(\`tools/bench/webhooks.sh BIN 300 8 ROUNDS 0\`), two servers alike:"
  echo
  grep -E '^(p50_ms median|p99_ms median)' <<<"$control" | sed 's/with 0 endpoints/one/; s/without/the other/; s/^/- /'
fi
echo
echo "A delivery answered 2xx at its first attempt writes nothing of its own: the deliverer"
echo "writes each endpoint's mark and count a few times a second (and a row per failure), as"
echo "the store's background writes, never in an alert's batch; each event's case is read and"
echo "its body rendered once for every endpoint that takes it; its threads run at nice 19."
echo "The receiver, the load generator and both servers share the two cores."
