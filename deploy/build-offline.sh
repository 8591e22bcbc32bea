#!/bin/sh
# Builds the operator image on a host that has no container registry: first a
# Node 20 base image assembled from the host's own Node install (node, npm,
# the shared libraries they need, busybox for RUN steps, CA certificates for
# the npm registry), then deploy/Containerfile on top of it, unchanged.
#
# Usage: deploy/build-offline.sh [--base-only] [--tag TAG]
#   --base-only   build only the base image (localhost/node-host:20)
#   --tag TAG     operator image tag (default localhost/haproxy-operator:latest)
# Needs: podman, /bin/busybox (busybox-static), node 20 and npm on the host.
# On hosts where podman needs one, export CONTAINERS_CONF first.
set -eu

BASE_IMAGE='localhost/node-host:20'
TAG='localhost/haproxy-operator:latest'
BASE_ONLY=0
SRC=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)

while [ $# -gt 0 ]; do
    case "$1" in
        --base-only) BASE_ONLY=1; shift ;;
        --tag) [ $# -ge 2 ] || { echo "build-offline.sh: --tag needs a value" >&2; exit 2; }; TAG=$2; shift 2 ;;
        *) echo "build-offline.sh: unknown argument \"$1\"" >&2; exit 2 ;;
    esac
done

NODE=$(command -v node)
NODE=$(readlink -f "$NODE")
NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
[ -f "$NPM_DIR/bin/npm-cli.js" ] || { echo "build-offline.sh: npm not found next to $NODE (looked in $NPM_DIR)" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "build-offline.sh: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT INT TERM
R="$WORK/rootfs"
mkdir -p "$R/bin" "$R/usr/bin" "$R/usr/lib/node_modules" "$R/etc/ssl/certs" "$R/tmp" "$R/root" "$R/home/node" "$R/lib64"
chmod 1777 "$R/tmp"
cp "$NODE" "$R/usr/bin/node"
cp -a "$NPM_DIR" "$R/usr/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$R/usr/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$R/usr/bin/npx"
# Shared libraries node links against, at the same paths.
ldd "$NODE" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' | while read -r lib; do
    mkdir -p "$R$(dirname "$lib")"
    cp -L "$lib" "$R$lib"
done
cp /bin/busybox "$R/bin/busybox"
for applet in $(/bin/busybox --list); do
    [ -e "$R/bin/$applet" ] || ln -s busybox "$R/bin/$applet"
done
ln -s /bin/env "$R/usr/bin/env"
ln -s /bin/sh "$R/usr/bin/sh"
cp /etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n' > "$R/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' > "$R/etc/group"
chown 1000:1000 "$R/home/node"
tar -C "$R" -cf "$WORK/base.tar" .
podman import \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["node"]' \
    "$WORK/base.tar" "$BASE_IMAGE" >/dev/null
echo "built base image $BASE_IMAGE from $NODE ($("$NODE" --version))"
[ "$BASE_ONLY" = 1 ] && exit 0

podman build --network host --build-arg "NODE_IMAGE=$BASE_IMAGE" -t "$TAG" -f "$SRC/deploy/Containerfile" "$SRC"
echo "built $TAG"
