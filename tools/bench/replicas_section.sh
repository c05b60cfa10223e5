#!/usr/bin/env bash
# Prints docs/BENCHMARKS.md's section on replicas from replicas_bench's JSON
# lines on stdin (tests/e2e/replicas_bench.cc).
set -euo pipefail
json="$(cat)"
field() { sed -E "s/.*\"$1\":([0-9.]+).*/\1/" <<<"$2"; }
line() { grep "\"label\":\"$1\"" <<<"$json" | head -1; }
sqlite="$(line intake-sqlite)" pg1="$(line intake-pg-1)" pg3="$(line intake-pg-3)"
watch="$(line watch)" relay="$(line relay)" handover="$(line hand-over)"
echo "## Replicas on one PostgreSQL"
echo
echo "\`replicas_bench\` (tests/e2e/replicas_bench.cc), one run, everything on this machine:"
echo "the real \`maydayd\` processes, and PostgreSQL 15 as the tests start it (a throw-away"
echo "cluster, fsync and full page writes on, \`synchronous_commit = on\`)."
echo
echo "**Durable intake**, \`mayday-sim load\`, 128 calls in flight for 5 s, every alert from a"
echo "member of its own, every answered alert committed:"
echo
echo "| store | alerts/s | p50 | p99 | failed |"
echo "| --- | ---: | ---: | ---: | ---: |"
echo "| SQLite file, one maydayd | $(field per_second "$sqlite") | $(field p50_ms "$sqlite") ms | $(field p99_ms "$sqlite") ms | $(field failed "$sqlite") |"
echo "| PostgreSQL, one replica | $(field per_second "$pg1") | $(field p50_ms "$pg1") ms | $(field p99_ms "$pg1") ms | $(field failed "$pg1") |"
echo "| PostgreSQL, three replicas (round_robin) | $(field per_second "$pg3") | $(field p50_ms "$pg3") ms | $(field p99_ms "$pg3") ms | $(field failed "$pg3") |"
echo
echo "PostgreSQL costs intake: each batch is several round trips to another process and a"
echo "WAL flush there, and the writers of all replicas take turns under one lock, so three"
echo "replicas on two cores (each with its own writer, follower and gRPC threads) take fewer"
echo "alerts than one. Replicas are for availability; the ceiling is one writer at a time."
echo
echo "**Cross-replica watch**: $(field alerts "$watch") alerts sent through replica A at 50 a second;"
echo "the time from sending each to its Raised event on an operator's \`WatchCases\`:"
echo
echo "| watcher on | p50 | p99 | max |"
echo "| --- | ---: | ---: | ---: |"
echo "| A, the replica that stored it | $(field same_p50_ms "$watch") ms | $(field same_p99_ms "$watch") ms | |"
echo "| B, another replica | $(field cross_p50_ms "$watch") ms | $(field cross_p99_ms "$watch") ms | $(field cross_max_ms "$watch") ms |"
echo
echo "Missing on either: $(field missing "$watch"). Both go through the commit follower (the"
echo "target was p99 <= 100 ms): the notice wakes every replica's follower at the commit."
echo
echo "**Relayed crews**: a crew on the replica that holds dispatch and one on a standby (which"
echo "relays its calls to the holder), $(field rounds "$relay") alerts each, taking turns; each alert raised"
echo "through the holder near one of them, and cancelled once offered:"
echo
echo "| crew on | alert sent to offer on its stream, p50 | p99 | SetDuty, p50 | p99 |"
echo "| --- | ---: | ---: | ---: | ---: |"
echo "| the holder | $(field offer_direct_p50_ms "$relay") ms | $(field offer_direct_p99_ms "$relay") ms | $(field duty_direct_p50_ms "$relay") ms | $(field duty_direct_p99_ms "$relay") ms |"
echo "| a standby (relayed) | $(field offer_relayed_p50_ms "$relay") ms | $(field offer_relayed_p99_ms "$relay") ms | $(field duty_relayed_p50_ms "$relay") ms | $(field duty_relayed_p99_ms "$relay") ms |"
echo
echo "The offer is one more write on a stream already open between the replicas; a relayed"
echo "unary call is one more gRPC round trip on loopback."
echo
echo "**Dispatch hand-over**: $(field kills "$handover") times, SIGKILL of the replica holding dispatch,"
echo "until another answers \`grpc.health.v1\` \`mayday.dispatch\` SERVING (lease run out,"
echo "taken, dispatch rebuilt from the store): min $(field min_s "$handover") s, median"
echo "$(field median_s "$handover") s, max $(field max_s "$handover") s (target <= 5 s). The lease lasts 2 s; a"
echo "clean stop hands over at the standby's next try (250 ms). A crew's next offer then waits"
echo "for its app to reconnect to the new holder."
echo
