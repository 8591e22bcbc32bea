#!/bin/sh
# Installs what `npm start` needs and is missing, saying what it installs:
# Debian packages (HAProxy, Podman, tools) and node_modules. With `test`
# (npm test, CI) also what only the tests use: Pebble, wrk, the HTTP/3 client
# ngtcp2-client, Chromium for the status page, and Debian 13's HAProxy 3.0 in
# .cache/ (the tests run on 2.6 and 3.0; scripts/ensure-haproxy3.sh).
# Idempotent: does nothing when everything is present.
# Usage: sh scripts/ensure-deps.sh [test]
set -eu
cd "$(dirname "$0")/.."

PACKAGES="haproxy podman runc netavark aardvark-dns catatonit iptables socat openssl curl"
TEST_PACKAGES="busybox-static pebble wrk dnsutils nghttp2-client jq patchelf ngtcp2-client chromium"
[ "${1:-}" = test ] && PACKAGES="$PACKAGES $TEST_PACKAGES"
sh scripts/apt-ensure.sh haproxy-operator $PACKAGES
# A node_modules that is a symlink (git worktrees sharing one install) is never
# reinstalled through the link: `npm ci` would empty the shared target. The
# stamp is the package-lock.json the last `npm ci` installed (an mtime test
# fired on every fresh checkout).
STAMP=node_modules/.haproxy-operator-lock
if [ -L node_modules ]; then
  [ -x node_modules/.bin/tsx ] || { echo "haproxy-operator: node_modules links to an install without tsx; run npm ci where it points" >&2; exit 1; }
elif [ ! -x node_modules/.bin/tsx ] || ! cmp -s package-lock.json "$STAMP"; then
  echo "haproxy-operator: installing node modules (npm ci)"
  npm ci --no-audit --no-fund >/tmp/haproxy-operator-npm.log 2>&1 || {
    echo "haproxy-operator: npm ci failed, see /tmp/haproxy-operator-npm.log" >&2
    exit 1
  }
  cp package-lock.json "$STAMP"
fi
if [ "${1:-}" = test ]; then sh scripts/ensure-haproxy3.sh; fi
