#!/usr/bin/env bash
# The Java binding on this machine's JVM (MaydayJniTest.java) against a real
# maydayd, with two simulated tow crews that accept, drive and finish.
#
#   tests/jni/jni_test.sh BIN_DIR JAVA_DIR SOURCE_DIR
#   (JAVA_DIR holds mayday.jar, jni_test.jar and libmayday_jni.so)
set -euo pipefail
bin="${1:?usage: jni_test.sh BIN_DIR JAVA_DIR SOURCE_DIR}"
java_dir="${2:?usage: jni_test.sh BIN_DIR JAVA_DIR SOURCE_DIR}"
src="${3:?usage: jni_test.sh BIN_DIR JAVA_DIR SOURCE_DIR}"
. "$src/tools/lib/serving.sh"
scratch jni
db="$work/mayday.db"
member="$("$bin/maydayd" token create --db "$db" --role member --subject jni-member)"
indoors="$("$bin/maydayd" token create --db "$db" --role member --subject jni-indoors)"
"$bin/maydayd" token create --db "$db" --role responder --subject unit --count 2 >"$work/crews"
# A medical key for the test's profiles, readable by its owner only.
(umask 077 && printf 'jni %s\n' 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff \
  >"$work/medical.keys")
start maydayd "$bin/maydayd" --listen 127.0.0.1:0 --db "$db" --offer-timeout 10 \
  --medical-key-file "$work/medical.keys"
server="127.0.0.1:$port"
"$bin/mayday-sim" responders --server "$server" --token-file "$work/crews" \
  --center 52.3676,4.9041 --radius-m 2000 --fleet tow:2 --accept-delay-ms 100 \
  --drive-seconds 1 --on-scene-seconds 1 --duration-s 120 >"$work/sim.log" 2>&1 &
started_pids+=($!)
if ! java -cp "$java_dir/mayday.jar:$java_dir/jni_test.jar" -Djava.library.path="$java_dir" \
  MaydayJniTest "$server" "$member" "$indoors"; then
  echo "--- maydayd" >&2; tail -20 "$work/maydayd.log" >&2
  echo "--- crews" >&2; tail -20 "$work/sim.log" >&2
  exit 1
fi
