#!/bin/sh
# Installs the Debian packages named after the label that are missing, saying
# which; idempotent. Usage: sh scripts/apt-ensure.sh LABEL PACKAGE...
# (apt-get install first; an update only when that fails, so an up-to-date
# host makes no network call.)
set -eu
label="$1"
shift
missing=""
for pkg in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $pkg"
  fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "$label: missing Debian packages:$missing (install them as root with apt-get)" >&2
  exit 1
fi
echo "$label: installing Debian packages:$missing"
log=/tmp/haproxy-operator-apt.log
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends $missing >"$log" 2>&1; then
  apt-get update >>"$log" 2>&1
  apt-get install -y --no-install-recommends $missing >>"$log" 2>&1 || {
    echo "$label: apt-get failed, see $log" >&2
    exit 1
  }
fi
