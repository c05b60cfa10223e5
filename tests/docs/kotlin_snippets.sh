#!/usr/bin/env bash
# docs.snippets.kotlin: compiles docs/sdk.md's Kotlin example (extracted by
# snippets.py into DocSnippets.kt) with kotlinc against the Java binding.
#   kotlin_snippets.sh KOTLINC MAYDAY_JAR CONTEXT_KT SNIPPETS_KT
set -euo pipefail
kotlinc="$1" jar="$2" context="$3" snippets="$4"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
[[ -f "$jar" ]] || { echo "no $jar: build the target mayday_java" >&2; exit 1; }
# kotlinc 1.3 on a newer JDK warns about a JVM flag it passes: not ours.
if ! "$kotlinc" -cp "$jar" -d "$out" "$context" "$snippets" > "$out/log" 2>&1; then
  grep -v 'deprecated in JDK' "$out/log" >&2 || true
  echo "FAIL: the Kotlin example of docs/sdk.md does not compile" >&2
  exit 1
fi
classes="$(find "$out" -regextype posix-extended -regex '.*/Snippet[0-9]+\.class' | wc -l)"
[[ "$classes" -ge 1 ]] || { echo "FAIL: no example class was compiled" >&2; exit 1; }
echo "docs/sdk.md: $classes Kotlin example(s) compiled against $(basename "$jar")"
