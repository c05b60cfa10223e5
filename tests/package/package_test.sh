#!/usr/bin/env bash
# The Debian packages as a user gets them: CPack makes mayday-server,
# libmayday-sdk-dev and libmayday0 from this build; lintian finds nothing to warn about;
# systemd-analyze verifies the unit they carry; unpacked into a temp folder
# (dpkg-deb -x, as dpkg would lay them out), the packaged maydayd and
# maydayctl give their version, maydayd serves with the settings file the
# package installs, a program built against the unpacked SDK (CMake
# package and pkg-config) raises an alert with it, and a C program links
# and runs on the unpacked libmayday.so, which exports only the C ABI.
#
#   tests/package/package_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build="$(cd "${1:?usage: package_test.sh BUILD_DIR SOURCE_DIR}" && pwd)"
src="$(cd "${2:?usage: package_test.sh BUILD_DIR SOURCE_DIR}" && pwd)"
. "$src/tools/lib/serving.sh"
scratch package
fail() {
  echo "FAILED: $*" >&2
  for log in "$work"/*.log; do [ -f "$log" ] && { echo "--- $log" >&2; tail -20 "$log" >&2; }; done
  exit 1
}

echo "== cpack: the .deb files"
(cd "$build" && cpack -G DEB -B "$work/packages" >"$work/cpack.log" 2>&1) || fail "cpack"
server_deb="$(ls "$work"/packages/mayday-server_*.deb)"
sdk_deb="$(ls "$work"/packages/libmayday-sdk-dev_*.deb)"
lib_deb="$(ls "$work"/packages/libmayday0_*.deb)"
for deb in "$server_deb" "$sdk_deb" "$lib_deb"; do
  echo "-- $(basename "$deb")"
  dpkg-deb --info "$deb" | sed -n 's/^ \(Package\|Version\|Architecture\|Depends\):/  \1:/p'
done

echo "== lintian: no error and no warning"
lintian --fail-on error,warning --allow-root --display-info "$server_deb" "$sdk_deb" "$lib_deb" \
  | tee "$work/lintian.log" || fail "lintian"

echo "== unpacked with dpkg-deb -x"
root="$work/root"
dpkg-deb -x "$server_deb" "$root"
dpkg-deb -x "$sdk_deb" "$root"
dpkg-deb -x "$lib_deb" "$root"
unit="$root/lib/systemd/system/maydayd.service"
[ -f "$unit" ] || fail "no unit at /lib/systemd/system/maydayd.service"
[ -f "$root/etc/mayday/maydayd.conf" ] || fail "no /etc/mayday/maydayd.conf"
# (Each output is taken whole before it is searched: under pipefail, a
# grep -q that stops reading early would fail the pipe with SIGPIPE.)
conffiles="$(dpkg-deb --ctrl-tarfile "$server_deb" | tar -xO ./conffiles)"
grep -qx /etc/mayday/maydayd.conf <<<"$conffiles" \
  || fail "/etc/mayday/maydayd.conf is not a conffile"
grep -qx 'ExecStart=/usr/bin/maydayd --config /etc/mayday/maydayd.conf' "$unit" \
  || fail "the unit does not start /usr/bin/maydayd with /etc/mayday/maydayd.conf"

echo "== cmake --install: the same files under another prefix"
inst="$work/inst"
cmake --install "$build" --component server --prefix "$inst" >"$work/install.log" 2>&1 \
  || fail "cmake --install --component server"
for file in bin/maydayd bin/maydayctl share/man/man1/maydayd.1.gz lib/systemd/system/maydayd.service \
  etc/mayday/maydayd.conf; do
  [ -f "$inst/$file" ] || fail "cmake --install left out $file"
done
grep -qx "ExecStart=$inst/bin/maydayd --config $inst/etc/mayday/maydayd.conf" \
  "$inst/lib/systemd/system/maydayd.service" || fail "the installed unit names another maydayd"
echo "# edited" >>"$inst/etc/mayday/maydayd.conf"
cmake --install "$build" --component server --prefix "$inst" >>"$work/install.log" 2>&1
tail -1 "$inst/etc/mayday/maydayd.conf" | grep -qx "# edited" \
  || fail "installing again overwrote the settings an operator edited"

# systemd-analyze checks that ExecStart's program and the Documentation=
# manual page exist: on the unit cmake --install wrote (which names its
# maydayd), and on the packaged one with its /usr and /etc under the
# unpacked root.
echo "== systemd-analyze verify"
verify() {
  MANPATH="$2" systemd-analyze verify "$1" >"$work/verify.log" 2>&1
  local status=$?
  cat "$work/verify.log"
  [ "$status" -eq 0 ] && [ ! -s "$work/verify.log" ] || fail "systemd-analyze verify $1"
}
verify "$inst/lib/systemd/system/maydayd.service" "$inst/share/man"
mkdir -p "$work/packaged"
sed -e "s|/usr/bin/maydayd |$root/usr/bin/maydayd |" -e "s|/etc/mayday/|$root/etc/mayday/|" \
  "$unit" >"$work/packaged/maydayd.service"
verify "$work/packaged/maydayd.service" "$root/usr/share/man"

echo "== the packaged programs"
version="$("$root/usr/bin/maydayd" --version)"
echo "$version"
[[ "$version" =~ ^maydayd\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "maydayd --version: $version"
[[ "$("$root/usr/bin/maydayctl" --version)" =~ ^maydayctl\ [0-9] ]] || fail "maydayctl --version"
manual="$(zcat "$root/usr/share/man/man1/maydayd.1.gz")"
grep -qF 'offer\-timeout' <<<"$manual" \
  || fail "the manual page of maydayd lists no flags"

echo "== the packaged maydayd serves, with the settings file the package installs"
db="$work/mayday.db"
member="$("$root/usr/bin/maydayd" token create --db "$db" --role member --subject alice)"
start maydayd "$root/usr/bin/maydayd" --config "$root/etc/mayday/maydayd.conf" \
  --listen 127.0.0.1:0 --db "$db" --metrics-listen 127.0.0.1:0
metrics_port="$(wait_for_metrics_port "$work/maydayd.log")"

echo "== a program built against the unpacked SDK raises an alert"
consumer="$work/consumer"
pc="$(find "$root/usr/lib" -name mayday-sdk.pc)"
[ -n "$pc" ] || fail "no mayday-sdk.pc in the SDK package"
PKG_CONFIG_PATH="$(dirname "$pc")" cmake -S "$src/tests/sdk_consumer/project" \
  -B "$consumer" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$root/usr" \
  -DMAYDAY_EXAMPLE_C="$src/sdk/examples/panic_c.c" >"$work/consumer-configure.log" 2>&1 \
  || fail "configuring the consumer"
cmake --build "$consumer" -j2 >"$work/consumer-build.log" 2>&1 || fail "building the consumer"
"$consumer/consumer" "127.0.0.1:$port" "$member" || fail "RaiseAlert through the unpacked SDK"
"$consumer/version_pc" || fail "the pkg-config build"
echo "== a C program on the unpacked libmayday.so"
libdir="$(dirname "$pc")/.."
"$src/tests/sdk/shared_exports.sh" "$libdir/libmayday.so" "$root/usr/include/mayday/mayday.h" \
  >"$work/exports.log" 2>&1 || fail "libmayday.so exports more or less than the C ABI"
tail -1 "$work/exports.log"
cc -o "$work/version_so" "$src/tests/sdk_consumer/project/version.c" -I"$root/usr/include" \
  -L"$libdir" -lmayday || fail "linking a C program with -lmayday"
LD_LIBRARY_PATH="$libdir" "$work/version_so" || fail "the C program on libmayday.so"
loaded="$(LD_LIBRARY_PATH="$libdir" ldd "$work/version_so")"
grep -q "libmayday.so.0 => $libdir" <<<"$loaded" \
  || fail "the C program did not load the unpacked libmayday.so.0: $loaded"
metrics="$(curl -sf "http://127.0.0.1:$metrics_port/metrics")"
grep -q '^mayday_alerts_acknowledged_total{kind="road"} 1' <<<"$metrics" \
  || fail "the packaged maydayd did not count the alert"
echo "packages OK"
