#!/bin/sh
# Installs the Debian packages only the peer benchmark (bench/peers.ts) needs
# and is missing, saying what it installs: Caddy and nginx, driven there the
# way caddy-docker-proxy and nginx-proxy drive them. Idempotent. The packages'
# own services are not used: the bench starts each engine on free loopback
# ports and stops it by PID.
set -eu

PACKAGES="caddy nginx-light"
sh "$(dirname "$0")/apt-ensure.sh" "haproxy-operator bench" $PACKAGES
