#!/bin/bash
# Full disk: runs `warnd run` with its state directory on a tiny private tmpfs, fills it, drops a data file, and
# frees the space again. Writes what it saw to WORK/result.txt (key=value lines) and the daemon's stderr to
# WORK/stderr.log; the checks are the Swift test's (FullDiskTests).
#
#   scripts/harness/fulldisk-harness.sh WORK WARND DATAFILE [journal]
#
# With `journal`, warnd logs to journald (`--log journal`) instead of stderr: run it under journald-harness.sh so
# that a private journald receives the failure and the test reads it back with journalctl.
# WORK holds rules/ and warnd.yaml; the tmpfs goes on WORK/state inside a private mount namespace only, so nothing
# is mounted on the host and it vanishes with the namespace. Exit: 0 ran, 77 skipped (SKIP: reason), else failed.
set -u
work=$1 warnd=$2 data=$3 log=${4:-stderr}
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root for a private tmpfs"; exit 77; fi
if [ -z "${FULLDISK_INSIDE:-}" ]; then
    FULLDISK_INSIDE=1 exec unshare --mount --propagation private /bin/bash "$0" "$@" || { echo "SKIP: unshare --mount refused"; exit 77; }
fi
state=$work/state
mkdir -p "$state"
mount -t tmpfs -o size=2m,mode=0755 tmpfs "$state" || { echo "SKIP: cannot mount a tmpfs"; exit 77; }
mkdir -p "$state/inbox"
out=$work/result.txt
: > "$out"
env -u NOTIFY_SOCKET -u WATCHDOG_USEC "$warnd" run --config "$work/warnd.yaml" --state-dir "$state" \
    --rules "$work/rules" --log "$log" --now 2025-07-01 2> "$work/stderr.log" > /dev/null &
pid=$!
# reload.json is written once start-up is done, whichever log target.
for _ in $(seq 100); do [ -f "$state/reload.json" ] && break; sleep 0.1; done
# The data file, staged on the tmpfs before it is full (renaming it into the inbox later needs no space).
cp "$data" "$state/.staged.csv"
# Fill the disk: one large filler file until ENOSPC, then small ones for the last blocks.
dd if=/dev/zero of="$state/filler" bs=64k 2>/dev/null
for i in $(seq 200); do dd if=/dev/zero of="$state/filler.$i" bs=4k count=1 2>/dev/null || break; done
echo "avail_kb_when_full=$(df -k --output=avail "$state" | tail -1 | tr -d ' ')" >> "$out"
mv "$state/.staged.csv" "$state/inbox/data.csv"
sleep 4
echo "alive_when_full=$(kill -0 $pid 2>/dev/null && echo yes || echo no)" >> "$out"
echo "inbox_when_full=$(ls "$state/inbox" | tr '\n' ' ')" >> "$out"
echo "archive_when_full=$(ls "$state/archive" 2>/dev/null | tr '\n' ' ')" >> "$out"
echo "submissions_when_full=$(sqlite3 "file:$state/warnd.sqlite?mode=ro" 'SELECT count(*) FROM submission' 2>&1)" >> "$out"
rm -f "$state"/filler*
for _ in $(seq 300); do [ -e "$state/inbox/data.csv" ] || break; sleep 0.1; done
sleep 0.5
echo "alive_after=$(kill -0 $pid 2>/dev/null && echo yes || echo no)" >> "$out"
echo "inbox_after=$(ls "$state/inbox" | tr '\n' ' ')" >> "$out"
echo "archive_after=$(ls "$state/archive" 2>/dev/null | tr '\n' ' ')" >> "$out"
kill -TERM $pid 2>/dev/null; wait $pid
echo "submissions_after=$(sqlite3 "$state/warnd.sqlite" 'SELECT count(*) || "/" || sum(rows) FROM submission' 2>&1)" >> "$out"
echo "integrity_after=$(sqlite3 "$state/warnd.sqlite" 'PRAGMA integrity_check' 2>&1)" >> "$out"
exit 0
