#!/bin/bash
# journald-harness.sh — run a command under a private, throwaway systemd-journald and dump what it logged.
#
#   journald-harness.sh -o OUT.jsonl [-t IDENT] [--timeout SECS] [--catalog FILE]... [--] COMMAND [ARG...]
#
# The command runs as root in a new mount + PID namespace (`unshare --mount --pid --fork --mount-proc`), with
# private tmpfs on /run/systemd/journal, /run/log and /var/log/journal and a private journald.conf, so the
# journald started there, its sockets and its journal files exist only inside. The command's sd_journal_*()
# calls, `logger --journald` and `systemd-cat` reach that journald. When the command has exited, every entry
# is dumped as `journalctl -o json` (one JSON object a line) to OUT.jsonl — all entries, or those with
# SYSLOG_IDENTIFIER=IDENT when -t is given. With --catalog, the catalog file(s) are compiled in a scratch
# root inside the namespace and OUT.jsonl.x.txt gets the `journalctl -x` rendering too (never the host's
# catalog database).
#
# Exit status: the command's own exit status (0 when it succeeded); 77 with "SKIP: <reason>" on stdout
# when not root or the namespace is refused; 125 when the harness itself failed (journald did not come up,
# the dump failed, bad usage). The command is killed after --timeout seconds (default 120; status 124).
# Nothing the command started survives: everything in the PID namespace dies with it.
set -euo pipefail

JOURNALD=${JOURNALD:-/lib/systemd/systemd-journald}
me=$(readlink -f "$0")

die() { echo "journald-harness: error: $*" >&2; exit 125; }
usage() { sed -n '4,4p' "$me" | sed 's/^# */usage: /' >&2; exit 125; }

if [ "${JOURNALD_HARNESS_INNER:-}" != 1 ]; then
    # ---- outside: check, then re-run this script as PID 1 of the new namespaces --------------------------
    out="" ident="" timeout=120 catalogs=()
    while [ $# -gt 0 ]; do
        case "$1" in
            -o) out=${2:?}; shift 2 ;;
            -t) ident=${2:?}; shift 2 ;;
            --timeout) timeout=${2:?}; shift 2 ;;
            --catalog) catalogs+=("$(readlink -f "${2:?}")"); shift 2 ;;
            --) shift; break ;;
            -h|--help) usage ;;
            -*) die "unknown option $1" ;;
            *) break ;;
        esac
    done
    [ -n "$out" ] && [ $# -gt 0 ] || usage
    if [ "$(id -u)" -ne 0 ]; then echo "SKIP: journald-harness needs root (unshare --mount --pid)"; exit 77; fi
    command -v unshare >/dev/null || { echo "SKIP: unshare(1) not installed"; exit 77; }
    [ -x "$JOURNALD" ] || { echo "SKIP: $JOURNALD not installed"; exit 77; }
    if ! err=$(unshare --mount --pid --fork --mount-proc true 2>&1); then
        echo "SKIP: unshare refused: $err"; exit 77
    fi
    outdir=$(dirname "$out"); [ -d "$outdir" ] || die "no directory for $out"
    out="$(readlink -f "$outdir")/$(basename "$out")"
    case "$out" in /run/systemd/journal/*|/run/log/*|/var/log/journal/*) die "$out is hidden inside the namespace" ;; esac
    rm -f "$out" "$out.x.txt"
    export JOURNALD_HARNESS_INNER=1 JH_OUT="$out" JH_IDENT="$ident" JH_TIMEOUT="$timeout"
    export JH_CATALOGS="${catalogs[*]:-}"
    exec unshare --mount --pid --fork --mount-proc --propagation private "$me" "$@"
fi

# ---- inside: PID 1 of a private PID namespace, in a private mount namespace ----------------------------------
mount --make-rprivate /
# A tmpfs on each journal path. A mount point must exist, and the host's file system is never written: where
# a path is missing on the host, the tmpfs goes on its nearest existing ancestor under /run instead (e.g.
# /run/systemd when /run/systemd/journal is absent), and the path is made inside that tmpfs. A missing
# /var/log/journal is left alone (the private journald.conf below keeps journald off it).
private_tmpfs() {
    local d=$1 p=$1
    while [ ! -d "$p" ]; do p=$(dirname "$p"); done
    if [ "$p" != "$d" ]; then case "$p" in /run/?*) ;; *) return 0 ;; esac; fi
    mount -t tmpfs -o mode=0755 tmpfs "$p"
    mkdir -p "$d"
}
for d in /run/systemd/journal /run/log /var/log/journal; do private_tmpfs "$d"; done
mkdir -p /run/log/journal
# A private journald.conf: volatile storage only (our tmpfs), no kernel log, no forwarding, no rate limit.
conf=/run/log/journald.conf
cat >"$conf" <<'EOF'
[Journal]
Storage=volatile
ReadKMsg=no
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
RateLimitIntervalSec=0
RateLimitBurst=0
Audit=no
EOF
if [ -e /etc/systemd/journald.conf ]; then mount --bind "$conf" /etc/systemd/journald.conf; fi
for d in /etc/systemd/journald.conf.d /run/systemd/journald.conf.d /usr/lib/systemd/journald.conf.d; do
    [ -d "$d" ] && mount -t tmpfs tmpfs "$d"
done

"$JOURNALD" </dev/null >/run/log/journald.out 2>&1 &
jpid=$!
for _ in $(seq 1 200); do
    [ -S /run/systemd/journal/socket ] && break
    kill -0 "$jpid" 2>/dev/null || break
    sleep 0.05
done
if [ ! -S /run/systemd/journal/socket ]; then
    echo "journald-harness: error: journald did not create /run/systemd/journal/socket:" >&2
    cat /run/log/journald.out >&2
    exit 125
fi

set +e
timeout --kill-after=5 "$JH_TIMEOUT" "$@"
status=$?
set -e

# Every datagram sent on the native socket before the command exited is queued ahead of this marker; wait
# until journald has written the marker, then ask it to sync, then stop it (it flushes on SIGTERM).
marker="journald-harness-done-$$-$RANDOM"
logger --journald <<EOF
MESSAGE=$marker
SYSLOG_IDENTIFIER=journald-harness
EOF
for _ in $(seq 1 200); do
    journalctl -D /run/log/journal --no-pager -q -t journald-harness -o cat 2>/dev/null | grep -qx "$marker" && break
    sleep 0.05
done
journalctl --sync >/dev/null 2>&1 || true
kill -TERM "$jpid"; wait "$jpid" || true

filter=()
[ -n "$JH_IDENT" ] && filter=(-t "$JH_IDENT")
journalctl -D /run/log/journal --no-pager -o json "${filter[@]}" | { grep -v '"SYSLOG_IDENTIFIER":"journald-harness"' || true; } >"$JH_OUT" \
    || { echo "journald-harness: error: dump failed" >&2; exit 125; }

if [ -n "$JH_CATALOGS" ]; then
    # journalctl --update-catalog honours --root, but -x reads /var/lib/systemd/catalog/database whatever
    # --root says. So: compile the system's catalogs plus the given ones in a scratch root on our tmpfs, and
    # bind-mount the result over /var/lib/systemd/catalog in this mount namespace only.
    root=/run/log/catalog-root
    mkdir -p "$root/usr/lib/systemd/catalog"
    cp /usr/lib/systemd/catalog/*.catalog "$root/usr/lib/systemd/catalog/" 2>/dev/null || true
    for c in $JH_CATALOGS; do cp "$c" "$root/usr/lib/systemd/catalog/"; done
    journalctl --root="$root" --update-catalog || { echo "journald-harness: error: catalog did not compile" >&2; exit 125; }
    if [ -d /var/lib/systemd/catalog ]; then
        mount --bind "$root/var/lib/systemd/catalog" /var/lib/systemd/catalog
    else
        private_tmpfs /var/lib/systemd/catalog   # no-op unless the directory exists; then -x shows nothing of ours
    fi
    journalctl -D /run/log/journal --no-pager -x "${filter[@]}" >"$JH_OUT.x.txt" 2>&1 || true
fi
exit "$status"
