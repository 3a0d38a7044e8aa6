#!/bin/sh
# Installs the Debian packages warnd builds and tests against, when they are missing.
# Called by `make demo`, `make test` and `make install`; safe to run again (it only installs what is absent).
set -eu

need=""
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# Build: the libsystemd binding (Sources/CSystemd) and GRDB's system SQLite.
for p in pkg-config libsystemd-dev libsqlite3-dev; do have_pkg "$p" || need="$need $p"; done
# Tests: a real journald and systemd, the sqlite3 CLI to read the store back, Python + YAML for the
# example-data generator check.
if [ "${WARND_DEPS:-build}" = "test" ]; then
    for p in systemd sqlite3 python3 python3-yaml util-linux iproute2; do have_pkg "$p" || need="$need $p"; done
fi

if [ -n "$need" ]; then
    echo "ensure-deps: installing$need"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $need
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "ensure-deps: no 'swift' on PATH. warnd needs a Swift 6 toolchain (swift.org/install);" >&2
    echo "             on our build machines it is at /opt/swift/usr/bin." >&2
    exit 1
fi
