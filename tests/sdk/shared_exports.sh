#!/usr/bin/env bash
# libmayday.so exports the C ABI and nothing else: every function the
# header declares MAYDAY_API, each once, and no other symbol (no C++, gRPC,
# Protobuf or Abseil name an app could bind to by mistake).
#
#   tests/sdk/shared_exports.sh LIBMAYDAY_SO MAYDAY_H
set -euo pipefail
library="${1:?usage: shared_exports.sh LIBMAYDAY_SO MAYDAY_H}"
header="${2:?usage: shared_exports.sh LIBMAYDAY_SO MAYDAY_H}"

# Defined dynamic symbols, without the version node (type A, MAYDAY_0).
exported="$(nm -D --defined-only "$library" | awk '$2 != "A" {print $3}' | sed 's/@.*//' | sort)"
declared="$(grep -oE '^MAYDAY_API [^(]*\b(mayday_[a-z0-9_]+)\(' "$header" \
  | grep -oE 'mayday_[a-z0-9_]+\($' | tr -d '(' | sort)"
echo "exported by $(basename "$library"): $(echo "$exported" | wc -l) symbols"
if [ "$exported" != "$declared" ]; then
  echo "FAILED: the exports differ from mayday.h's MAYDAY_API functions" >&2
  diff <(echo "$declared") <(echo "$exported") >&2 || true
  exit 1
fi
soname="$(readelf -d "$library" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
[ "$soname" = libmayday.so.0 ] || { echo "FAILED: SONAME is '$soname'" >&2; exit 1; }
echo "$exported" | sed 's/^/  /'
echo "only the C ABI, SONAME $soname"
