#!/bin/sh
# Provides Debian 13's HAProxy 3.0 (QUIC through OpenSSL 3.5's compat layer)
# on a Debian 12 machine, for the tests and benches that run on 2.6 and 3.0,
# without touching the system's apt sources: a private apt configuration
# downloads the packages, dpkg-deb extracts them into one root, and patchelf
# points a copy of the binary at that root's loader and libraries
# (--force-rpath: liblua's own libm lookup must see the new libc too; a
# loader-wrapper script fails because the master re-executes the binary).
# Result: .cache/haproxy-3.0/haproxy. Idempotent: does nothing when present.
set -eu
cd "$(dirname "$0")/.."

CACHE="$PWD/.cache/haproxy-3.0"
BIN="$CACHE/haproxy"
if [ -x "$BIN" ] && "$BIN" -v >/dev/null 2>&1; then exit 0; fi

PKGS="haproxy libc6 libssl3t64 liblua5.4-0 libpcre2-8-0 libcrypt1 libjemalloc2 libopentracing-c-wrapper0t64 libopentracing1 libstdc++6 libgcc-s1"
# The machine's own Debian mirror, so this works wherever apt works.
MIRROR=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*debian\)[[:space:]]*$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
[ -n "$MIRROR" ] || MIRROR=$(sed -n 's/^deb[[:space:]]\{1,\}\(http[^[:space:]]*\)[[:space:]]\{1,\}bookworm[[:space:]].*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
[ -n "$MIRROR" ] || MIRROR=http://deb.debian.org/debian

echo "haproxy-operator: fetching Debian 13's HAProxy 3.0 into $CACHE (once)"
WORK="$CACHE.work"
rm -rf "$WORK" "$CACHE"
mkdir -p "$WORK/lists/partial" "$WORK/cache/archives/partial" "$WORK/debs" "$WORK/root"
echo "deb $MIRROR trixie main" >"$WORK/sources.list"
set -- -o Dir::Etc::SourceList="$WORK/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
  -o Dir::State::Lists="$WORK/lists" -o Dir::Cache="$WORK/cache" -o APT::Sandbox::User=root
LOG="$WORK/apt.log"
fail() { echo "haproxy-operator: $1, see $LOG" >&2; exit 1; }
apt-get "$@" update >"$LOG" 2>&1 || fail "apt-get update for trixie failed"
(cd "$WORK/debs" && apt-get "$@" download $PKGS >>"$LOG" 2>&1) || fail "apt-get download of HAProxy 3.0 failed"
for deb in "$WORK"/debs/*.deb; do dpkg-deb -x "$deb" "$WORK/root"; done
cp "$WORK/root/usr/sbin/haproxy" "$WORK/haproxy"
patchelf --force-rpath --set-interpreter "$CACHE/root/usr/lib64/ld-linux-x86-64.so.2" \
  --set-rpath "$CACHE/root/usr/lib/x86_64-linux-gnu" "$WORK/haproxy"
mkdir -p "$CACHE"
mv "$WORK/root" "$CACHE/root"
mv "$WORK/haproxy" "$BIN.tmp"
"$BIN.tmp" -vv >/dev/null 2>&1 || { rm -rf "$CACHE"; fail "the extracted HAProxy 3.0 does not run"; }
mv "$BIN.tmp" "$BIN"
rm -rf "$WORK"
echo "haproxy-operator: $("$BIN" -v | head -n 1)"
