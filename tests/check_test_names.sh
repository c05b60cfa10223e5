#!/usr/bin/env bash
# Fails if a Catch2 test case's name holds a semicolon: ctest's test
# discovery splits names there, and both halves then "pass" without running
# anything (the mid-surge replicas test went unrun that way).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if found=$(grep -rn --include='*.cc' 'TEST_CASE("[^"]*;' "$root/tests"); then
  echo "test names with a semicolon (ctest would run neither half):" >&2
  echo "$found" >&2
  exit 1
fi
echo "no test name holds a semicolon"
