#!/bin/sh
# Installs haproxy-operator's production layout and systemd units.
#
# Idempotent: run it again after an upgrade. It never overwrites the user's
# config (conf/operator.yaml) or token (conf/mcp-token.env); unit files it
# owns are replaced, keeping the previous copy as <unit>.bak-<time> (put local
# changes in drop-ins: /etc/containers/systemd/<unit>.d/*.conf).
#
# Usage: deploy/install.sh [--prefix DIR] [--base DIR] [--operator quadlet|service] [--dry-run]
#   --prefix DIR   install under DIR instead of / (for packaging and tests)
#   --base DIR     the data layout root (default /opt/haproxy); units and config
#                  are rewritten to use it
#   --operator     quadlet (default): run the operator image from a Quadlet unit;
#                  service: run it from a Node install (deploy/haproxy-operator.service)
#   --dry-run      print what would be done, change nothing
set -eu

PREFIX=''
BASE='/opt/haproxy'
OPERATOR='quadlet'
DRY=0
SRC=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)

usage() {
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; exit 2; }; PREFIX=$2; shift 2 ;;
        --prefix=*) PREFIX=${1#--prefix=}; shift ;;
        --base) [ $# -ge 2 ] || { echo "install.sh: --base needs a directory" >&2; exit 2; }; BASE=$2; shift 2 ;;
        --base=*) BASE=${1#--base=}; shift ;;
        --operator) [ $# -ge 2 ] || { echo "install.sh: --operator needs quadlet or service" >&2; exit 2; }; OPERATOR=$2; shift 2 ;;
        --operator=*) OPERATOR=${1#--operator=}; shift ;;
        --dry-run) DRY=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install.sh: unknown argument \"$1\" (see --help)" >&2; exit 2 ;;
    esac
done

case "$OPERATOR" in
    quadlet|service) ;;
    *) echo "install.sh: --operator=\"$OPERATOR\": expected quadlet or service" >&2; exit 2 ;;
esac
case "$BASE" in
    /*) ;;
    *) echo "install.sh: --base=\"$BASE\": must be an absolute path" >&2; exit 2 ;;
esac
case "$BASE" in
    *[!A-Za-z0-9/._-]*) echo "install.sh: --base=\"$BASE\": only letters, digits, / . _ - allowed" >&2; exit 2 ;;
esac
PREFIX=${PREFIX%/}
ROOT="$PREFIX$BASE"
QUADLET_DIR="$PREFIX/etc/containers/systemd"
SYSTEMD_DIR="$PREFIX/etc/systemd/system"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
umask 022

say() { printf '%s\n' "$*"; }
act() {
    if [ "$DRY" = 1 ]; then say "  would: $*"; else "$@"; fi
}

# Directory with a mode; the mode of certs/ and state/ is enforced on every
# run because they hold keys, the others only when created.
ensure_dir() {
    dir=$1 mode=$2 enforce=$3
    if [ -d "$dir" ]; then
        if [ "$enforce" = 1 ]; then
            current=$(stat -c '%a' "$dir")
            if [ "$current" != "${mode#0}" ]; then
                say "fixed mode of $dir ($current -> $mode)"
                act chmod "$mode" "$dir"
            fi
        fi
        return 0
    fi
    say "created $dir ($mode)"
    act mkdir -p "$dir"
    act chmod "$mode" "$dir"
}

# Renders a shipped file with the chosen base directory.
render() {
    sed "s#/opt/haproxy#$BASE#g" "$1"
}

# Installs a file we own: replaced when it differs (previous copy kept).
install_owned() {
    src=$1 dest=$2
    tmp=$(mktemp)
    render "$src" > "$tmp"
    if [ -f "$dest" ] && cmp -s "$tmp" "$dest"; then
        say "unchanged $dest"
        rm -f "$tmp"
        return 0
    fi
    if [ -f "$dest" ]; then
        say "replaced $dest (previous copy: $dest.bak-$STAMP)"
        act cp -p "$dest" "$dest.bak-$STAMP"
    else
        say "installed $dest"
    fi
    act mkdir -p "$(dirname "$dest")"
    if [ "$DRY" = 0 ]; then
        cp "$tmp" "$dest.tmp.$$"
        chmod 0644 "$dest.tmp.$$"
        mv -f "$dest.tmp.$$" "$dest"
    fi
    rm -f "$tmp"
}

MODE_NOTE=''
[ "$DRY" = 1 ] && MODE_NOTE=' (dry run: nothing is changed)'
say "haproxy-operator install: prefix=${PREFIX:-/} base=$BASE operator=$OPERATOR$MODE_NOTE"

ensure_dir "$ROOT" 0755 0
ensure_dir "$ROOT/conf" 0755 0
ensure_dir "$ROOT/certs" 0700 1
ensure_dir "$ROOT/run" 0755 0
ensure_dir "$ROOT/state" 0700 1
ensure_dir "$ROOT/resources" 0755 0

# The MCP bearer token: generated once, never printed, never replaced.
TOKEN_FILE="$ROOT/conf/mcp-token.env"
if [ -e "$TOKEN_FILE" ]; then
    say "kept $TOKEN_FILE (existing token)"
    if [ "$(stat -c '%a' "$TOKEN_FILE")" != 600 ]; then
        say "fixed mode of $TOKEN_FILE (-> 0600)"
        act chmod 0600 "$TOKEN_FILE"
    fi
else
    say "created $TOKEN_FILE (0600, new random token; read it with: cat $BASE/conf/mcp-token.env)"
    if [ "$DRY" = 0 ]; then
        token=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
        [ ${#token} -eq 64 ] || { echo "install.sh: could not read 32 random bytes from /dev/urandom" >&2; exit 1; }
        (umask 077 && printf 'MCP_TOKEN=%s\n' "$token" > "$TOKEN_FILE.tmp.$$")
        chmod 0600 "$TOKEN_FILE.tmp.$$"
        mv -f "$TOKEN_FILE.tmp.$$" "$TOKEN_FILE"
    fi
fi

# The user's config: copied from the example only when absent.
CONFIG="$ROOT/conf/operator.yaml"
if [ -e "$CONFIG" ]; then
    say "kept $CONFIG (your config is never overwritten; compare with deploy/config.example.yaml after upgrades)"
else
    say "created $CONFIG from deploy/config.example.yaml"
    if [ "$DRY" = 0 ]; then
        render "$SRC/deploy/config.example.yaml" > "$CONFIG.tmp.$$"
        chmod 0644 "$CONFIG.tmp.$$"
        mv -f "$CONFIG.tmp.$$" "$CONFIG"
    fi
fi

# Files HAProxy needs before its first start (it starts before the operator
# in external mode): the maps the rendered config loads, and one PEM for the
# `crt <dir>` bind. Created empty/self-signed only when absent.
for map in domains.map checks.map hold.map rules.map allow-nets.map paths.map; do
    if [ ! -e "$ROOT/conf/$map" ]; then
        say "created $ROOT/conf/$map (empty)"
        act touch "$ROOT/conf/$map"
    fi
done
FALLBACK="$ROOT/certs/00-fallback-selfsigned.pem"
if ls "$ROOT/certs" 2>/dev/null | grep -q '\.pem$'; then
    :
elif ! command -v openssl >/dev/null 2>&1; then
    say "WARNING: $ROOT/certs has no PEM and openssl is missing: HAProxy will not start until a PEM is there"
else
    say "created $FALLBACK (self-signed fallback so HAProxy can bind TLS before the first certificate)"
    if [ "$DRY" = 0 ]; then
        work=$(mktemp -d)
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
            -keyout "$work/key.pem" -out "$work/crt.pem" -days 3650 \
            -subj '/CN=haproxy-operator fallback' -addext 'subjectAltName=DNS:localhost' >/dev/null 2>&1
        (umask 077 && cat "$work/crt.pem" "$work/key.pem" > "$FALLBACK.tmp.$$")
        chmod 0600 "$FALLBACK.tmp.$$"
        mv -f "$FALLBACK.tmp.$$" "$FALLBACK"
        rm -rf "$work"
    fi
fi

install_owned "$SRC/quadlet/haproxy.container" "$QUADLET_DIR/haproxy.container"
if [ "$OPERATOR" = quadlet ]; then
    install_owned "$SRC/quadlet/haproxy-operator.container" "$QUADLET_DIR/haproxy-operator.container"
    if [ -f "$SYSTEMD_DIR/haproxy-operator.service" ]; then
        say "WARNING: $SYSTEMD_DIR/haproxy-operator.service exists and would shadow the Quadlet unit; remove it to use the container"
    fi
else
    install_owned "$SRC/deploy/haproxy-operator.service" "$SYSTEMD_DIR/haproxy-operator.service"
    if [ -f "$QUADLET_DIR/haproxy-operator.container" ]; then
        say "note: $QUADLET_DIR/haproxy-operator.container is shadowed by the .service; remove it to avoid confusion"
    fi
fi

if [ -f "$SYSTEMD_DIR/haproxy-mcp.service" ]; then
    say ""
    say "The original MCP service (haproxy-mcp.service) is installed. To migrate:"
    say "  systemctl disable --now haproxy-mcp"
    say "  haproxy-operator import --from $BASE --config $BASE/conf/operator.yaml --dry-run   # review, then without --dry-run"
fi

if [ "$OPERATOR" = quadlet ]; then
    RUN="podman run --rm --network host -v $BASE:$BASE:z localhost/haproxy-operator:latest"
    # The unit's HAProxy image (3.2) has QUIC; the operator image has no haproxy to ask.
    TARGET=" --haproxy-version 3.2 --haproxy-features +QUIC"
else
    TARGET=""
    RUN="node /opt/haproxy-operator/dist/main.js"
fi
say ""
say "Next steps:"
[ "$OPERATOR" = quadlet ] && say "  podman build -t localhost/haproxy-operator:latest -f deploy/Containerfile .   # from the source tree"
say "  $RUN render-config --config $BASE/conf/operator.yaml$TARGET > $BASE/conf/haproxy.cfg.new && mv $BASE/conf/haproxy.cfg.new $BASE/conf/haproxy.cfg"
say "  systemctl daemon-reload"
say "  systemctl start haproxy.service haproxy-operator.service"
say "  systemctl status haproxy.service haproxy-operator.service"
say "  journalctl -u haproxy-operator.service -f"
