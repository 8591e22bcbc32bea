#!/bin/sh
# Installs the Debian packages only the peer benchmark (bench/peers.ts) needs
# and is missing, saying what it installs: Caddy and nginx, driven there the
# way caddy-docker-proxy and nginx-proxy drive them. Idempotent. The packages'
# own services are not used: the bench starts each engine on free loopback
# ports and stops it by PID.
set -eu

PACKAGES="caddy nginx-light"
missing=""
for pkg in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $pkg"
  fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "haproxy-operator bench: missing Debian packages:$missing (install them as root with apt-get)" >&2
  exit 1
fi
echo "haproxy-operator bench: installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends $missing >/tmp/haproxy-operator-bench-apt.log 2>&1; then
  apt-get update >>/tmp/haproxy-operator-bench-apt.log 2>&1
  apt-get install -y --no-install-recommends $missing >>/tmp/haproxy-operator-bench-apt.log 2>&1 || {
    echo "haproxy-operator bench: apt-get failed, see /tmp/haproxy-operator-bench-apt.log" >&2
    exit 1
  }
fi
