#!/bin/bash
# security-score.sh — `systemd-analyze security --offline=yes` of a unit file, with a threshold.
#
#   scripts/harness/security-score.sh [UNIT_FILE] [MAX]     (defaults: deploy/systemd/warnd.service, 1.5)
#
# Prints the exposure score and exits 0 when it is ≤ MAX, 1 when above, 77 (SKIP) when systemd-analyze or the
# mount namespace is missing. Runs the analysis in a private mount namespace with a tmpfs on /run/systemd when
# root: systemd-analyze (252) touches /run/systemd/systemd-units-load even offline, and the host's /run is
# left alone.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
unit=${1:-$here/../../deploy/systemd/warnd.service}
max=${2:-1.5}
command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze not installed"; exit 77; }
threshold=$(awk -v m="$max" 'BEGIN { printf "%d", m * 10 + 0.5 }')     # --threshold counts tenths
run=(systemd-analyze security --offline=yes --no-pager --threshold="$threshold" "$unit")
if [ "$(id -u)" -eq 0 ]; then
    out=$(unshare --mount sh -c 'mount -t tmpfs tmpfs /run/systemd 2>/dev/null || mount -t tmpfs tmpfs /run; exec "$@"' sh "${run[@]}" 2>&1) && rc=0 || rc=$?
else
    echo "SKIP: not root (systemd-analyze --offline would touch /run/systemd/systemd-units-load)"; exit 77
fi
echo "$out" | grep -E '^✗|Overall exposure' || true
[ "$rc" -eq 0 ] || echo "exposure above $max (or systemd-analyze failed, status $rc)"
[ "$rc" -eq 0 ]
