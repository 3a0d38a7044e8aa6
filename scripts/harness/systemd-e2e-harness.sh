#!/bin/bash
# systemd-e2e-harness.sh — boot a real systemd as PID 1 of a private namespace, install units into it, drive
# them with systemctl/journalctl, and tear it all down without a trace on the host.
# (shared/recipes/systemd-e2e.md made reusable; read its warning about /tmp.)
#
#   systemd-e2e-harness.sh boot WORKDIR [--unit FILE]... [--binary SRC[:DEST]]... [--file SRC:DEST]...
#                                [--sysusers FILE]... [--tmpfiles FILE]... [--catalog FILE]...
#                                [--mask UNIT]... [--timeout SECS]
#   systemd-e2e-harness.sh exec WORKDIR [--] COMMAND [ARG...]     run a command inside (nsenter)
#   systemd-e2e-harness.sh wait WORKDIR UNIT PROPERTY VALUE [SECS] poll `systemctl show -P PROPERTY UNIT`
#   systemd-e2e-harness.sh pid WORKDIR                             the namespace's systemd, as a host PID
#   systemd-e2e-harness.sh stop WORKDIR                            kill -9 systemd (ends the namespace),
#                                                                  clean up, and check the host is untouched
#
# WORKDIR is the test's own folder, outside /tmp, /var/tmp, /run, /etc, /var and /usr/local (those are private
# inside). It holds boot.sh, boot.log, state, failed-units.txt and host-before/after snapshots.
#
# Inside the namespace (unshare --pid --fork --mount-proc --net --uts, systemd as PID 1 with container=other):
#   /run, /tmp, /var/tmp                 private tmpfs (the recipe: tmpfiles' `D /tmp` would empty the host's /tmp)
#   /etc, /var, /usr/local               overlayfs: the host's directory read-only below, a private tmpfs above;
#                                        so systemd-sysusers' /etc/passwd, StateDirectory= in /var/lib, the
#                                        journal in /var/log/journal and the binary in /usr/local/bin are seen
#                                        inside only. (Bind-mounting copies of /etc/passwd does not work:
#                                        sysusers replaces the file by rename(), which fails on a mount point,
#                                        and would drop its temporary file into the host's /etc.)
#   --unit FILE       → /run/systemd/system/ (the runtime unit path; the recipe's units are masked there)
#   --binary SRC:DEST → bind-mounted read-only at DEST (default: the ExecStart= path of the first --unit)
#   --file SRC:DEST   → copied to DEST, which must be on one of the private file systems above
#   --sysusers FILE   → /run/sysusers.d/, applied with systemd-sysusers FILE before systemd starts
#   --tmpfiles FILE   → /run/tmpfiles.d/, applied with systemd-tmpfiles --create FILE (that file only) likewise
#   --catalog FILE    → /usr/local/lib/systemd/catalog/, compiled with journalctl --update-catalog (private /var)
#
# Exit status: 0 ok; 77 with "SKIP: <reason>" on stdout when not root or unshare is refused; anything else is
# a failure (boot did not reach running/degraded, a host check failed, bad usage: 2). `exec` returns the
# command's status. `stop` exits 1 when a host check failed (what changed is printed).
set -euo pipefail

me=$(readlink -f "$0")
die() { echo "systemd-e2e-harness: error: $1" >&2; exit "${2:-1}"; }
usage() { sed -n '6,14p' "$me" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# Units masked for every boot: the recipe's list (host-wide state: clock, sysctl, udev, modules, tmpfiles),
# timers and services this host enables that have no business in a test, and what would act on the shared
# kernel or on file systems shared with the host: `mount -o remount` of / from fstab (a file system's options
# are shared across mount namespaces), modprobe, binfmt_misc, kernel audit, debugfs/tracefs/configfs/fusectl
# and hugetlbfs mounts.
MASKS="systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service systemd-tmpfiles-clean.timer
systemd-timesyncd.service systemd-sysctl.service systemd-modules-load.service systemd-udevd.service
systemd-udev-trigger.service systemd-random-seed.service apt-daily.timer apt-daily-upgrade.timer
e2scrub_all.timer e2scrub_reap.service getty@tty1.service console-getty.service cron.service
postgresql.service proc-sys-fs-binfmt_misc.automount dpkg-db-backup.timer fstrim.timer man-db.timer
logrotate.timer systemd-pstore.service systemd-machine-id-commit.service systemd-hwdb-update.service
systemd-journal-catalog-update.service ldconfig.service
systemd-remount-fs.service modprobe@.service kmod-static-nodes.service systemd-binfmt.service
systemd-journald-audit.socket dev-hugepages.mount sys-kernel-debug.mount sys-kernel-tracing.mount
sys-kernel-config.mount sys-fs-fuse-connections.mount"

# Where DEST of --file/--binary may point: the file systems that are private inside.
private_path() {
    case "$1" in /run/*|/tmp/*|/var/tmp/*|/etc/*|/var/*|/usr/local/*) return 0 ;; *) return 1 ;; esac
}

need_root() {
    if [ "$(id -u)" -ne 0 ]; then echo "SKIP: systemd-e2e-harness needs root (unshare --pid --net --mount)"; exit 77; fi
    for t in unshare nsenter setsid; do command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }; done
    [ -x /lib/systemd/systemd ] || { echo "SKIP: systemd is not installed"; exit 77; }
    if ! err=$(unshare --pid --fork --mount-proc --net --uts true 2>&1); then echo "SKIP: unshare refused: $err"; exit 77; fi
    grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
    grep -qw overlay /proc/filesystems || { echo "SKIP: the kernel has no overlayfs (needed to keep /etc and /var private)"; exit 77; }
}

workdir() {
    [ -n "${1:-}" ] || usage
    W=$(realpath -m "$1")
    case "$W/" in /tmp/*|/var/*|/run/*|/etc/*|/usr/local/*|/proc/*|/sys/*|/dev/*|/)
        die "WORKDIR $W is on a file system that is private or special inside the namespace; use the test's own folder" 2 ;;
    esac
    mkdir -p "$W"
}

sd_pid() { cat "$W/state/systemd.pid" 2>/dev/null || true; }
alive() { local p; p=$(sd_pid); [ -n "$p" ] && [ -e "/proc/$p" ] && [ "$(cat "$W/state/pidns")" = "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" ]; }

ns() {
    local p; p=$(sd_pid)
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 SYSTEMD_PAGER= \
        SYSTEMD_COLORS=0 TERM=dumb nsenter -t "$p" -m -p -n -u --wd=/ "$@"
}

# ---- host snapshot: what the namespace must not change ------------------------------------------------------
snapshot() { # FILE
    {
        echo "## hashes"
        md5sum /etc/passwd /etc/group /etc/shadow /etc/gshadow 2>/dev/null
        echo "## mounts"                 # the host's mount table, with each file system's own options
        cut -d' ' -f5- /proc/self/mountinfo
        for d in /tmp /var/tmp /run /var/lib /var/log/journal /usr/local /etc; do
            echo "## tree $d"
            # find exits 1 when a directory vanishes under it (tests beside this one remove theirs from /tmp all
            # the time); with pipefail that ended the boot silently. What it listed is what counts.
            { find "$d" -xdev -maxdepth 3 \( -path /tmp/systemd-private-\* -prune -o -print \) 2>/dev/null || true; } | sort
        done
    } >"$1"
}

section() { awk -v s="## $2" '/^## /{on=($0==s)} on && !/^## /' "$1"; }

check_host() { # → 0 when untouched
    local bad=0 d gone new
    snapshot "$W/host-after.txt"
    if ! diff <(section "$W/host-before.txt" hashes) <(section "$W/host-after.txt" hashes) >/dev/null; then
        echo "HOST CHANGED: /etc/passwd, group, shadow or gshadow differ:"; diff <(section "$W/host-before.txt" hashes) <(section "$W/host-after.txt" hashes) || true; bad=1
    fi
    if ! diff <(section "$W/host-before.txt" mounts) <(section "$W/host-after.txt" mounts) >/dev/null; then
        echo "HOST CHANGED: the host's mounts or their options differ:"; diff <(section "$W/host-before.txt" mounts) <(section "$W/host-after.txt" mounts) || true; bad=1
    fi
    for d in /tmp /var/tmp /run /var/lib /var/log/journal /usr/local /etc; do
        gone=$(comm -23 <(section "$W/host-before.txt" "tree $d") <(section "$W/host-after.txt" "tree $d"))
        # Other programs on the machine come and go in /tmp, /var/tmp and /run; there only the top level
        # counts (what tmpfiles' `D /tmp` would wipe), with the canary files below.
        case "$d" in /tmp|/var/tmp|/run) gone=$(echo "$gone" | awk -F/ 'NF <= 3' | sed '/^$/d') ;; esac
        new=$(comm -13 <(section "$W/host-before.txt" "tree $d") <(section "$W/host-after.txt" "tree $d") | grep -v '^/tmp/.systemd-e2e-canary' || true)
        # In /tmp and /var/tmp other programs remove their own files all the time (Foundation's atomic writes in
        # the test process itself, for one); a wipe there shows as the missing canary, checked below.
        case "$d" in
            /tmp|/var/tmp) if [ -n "$gone" ]; then echo "note: gone from $d during the test (the canary decides):"; echo "$gone" | head -10 | sed 's/^/  /'; fi ;;
            *) if [ -n "$gone" ]; then echo "HOST CHANGED: gone from $d:"; echo "$gone" | head -20; bad=1; fi ;;
        esac
        # New entries may come from other processes on the machine; those the namespace was given are failures.
        if [ -n "$new" ] && echo "$new" | grep -qxF -f "$W/state/inside-paths"; then
            echo "HOST CHANGED: paths that exist only inside appeared on the host:"; echo "$new" | grep -xF -f "$W/state/inside-paths"; bad=1
        fi
        case "$d" in /tmp|/var/tmp|/run) new=$(echo "$new" | awk -F/ 'NF <= 3' | sed '/^$/d') ;; esac
        if [ -n "$new" ]; then
            echo "note: new on the host under $d during the test (not the namespace's paths; other programs?):"; echo "$new" | head -10 | sed 's/^/  /'
        fi
    done
    for c in /tmp /var/tmp; do
        if [ "$(cat "$c/.systemd-e2e-canary.$(cat "$W/state/canary")" 2>/dev/null)" != canary ]; then
            echo "HOST CHANGED: the canary file in $c was removed or altered"; bad=1
        fi
        rm -f "$c/.systemd-e2e-canary.$(cat "$W/state/canary")"
    done
    return $bad
}

# A boot that fails is torn down at once, with the same checks as `stop`.
boot_failed() {
    echo "systemd-e2e-harness: error: $1" >&2
    cmd_stop "$W" >&2 || true
    exit 1
}

# ---- boot ------------------------------------------------------------------------------------------------------
cmd_boot() {
    need_root
    workdir "${1:-}"; shift
    local units=() binaries=() files=() sysusers=() tmpfiles=() catalogs=() masks=() timeout=90
    while [ $# -gt 0 ]; do
        case "$1" in
            --unit) units+=("$(readlink -f "${2:?}")"); shift 2 ;;
            --binary) binaries+=("${2:?}"); shift 2 ;;
            --file) files+=("${2:?}"); shift 2 ;;
            --sysusers) sysusers+=("$(readlink -f "${2:?}")"); shift 2 ;;
            --tmpfiles) tmpfiles+=("$(readlink -f "${2:?}")"); shift 2 ;;
            --catalog) catalogs+=("$(readlink -f "${2:?}")"); shift 2 ;;
            --mask) masks+=("${2:?}"); shift 2 ;;
            --timeout) timeout=${2:?}; shift 2 ;;
            *) die "unknown option $1" 2 ;;
        esac
    done
    if [ -f "$W/state/systemd.pid" ] && alive; then die "a namespace from $W is still running (stop it first)" 2; fi
    rm -rf "$W/state" "$W/failed-units.txt" "$W/host-after.txt"
    mkdir -p "$W/state" "$W/ns" "$W/inputs"
    : >"$W/state/inside-paths"

    # Gather the inputs into WORKDIR (the namespace reads them from there) and write the boot script.
    local boot="$W/boot.sh" f src dest i=0
    {
        echo '#!/bin/sh'
        echo '# Generated by systemd-e2e-harness.sh: runs as PID 1 of the namespace, then becomes systemd.'
        echo 'set -eu'
        echo "W='$W'"
        cat <<'EOF'
mount --make-rprivate /
mount -t cgroup2 cgroup2 /sys/fs/cgroup     # this cgroup namespace's root only (see the harness)
for d in /run /tmp /var/tmp; do mount -t tmpfs -o mode=1777 tmpfs "$d"; done
chmod 0755 /run
# /etc, /var and /usr/local: the host's directory below, private writes above (in a tmpfs mounted on $W/ns
# inside this namespace only; on the host $W/ns stays an empty directory).
mount -t tmpfs -o mode=0700 tmpfs "$W/ns"
for d in /etc /var /usr/local; do
    n=$(echo "$d" | tr / _)
    mkdir -p "$W/ns/$n.upper" "$W/ns/$n.work"
    mount -t overlay overlay -o "lowerdir=$d,upperdir=$W/ns/$n.upper,workdir=$W/ns/$n.work" "$d"
done
mount -t tmpfs -o mode=1777 tmpfs /var/tmp      # /var is an overlay now; /var/tmp gets its own tmpfs again
mkdir -p /run/systemd/system /run/sysusers.d /run/tmpfiles.d /usr/local/bin /usr/local/lib/systemd/catalog
EOF
        for u in $MASKS "${masks[@]}"; do echo "ln -sf /dev/null /run/systemd/system/$u"; done
        for f in "${units[@]}"; do
            [ -f "$f" ] || die "no unit file $f" 2
            cp "$f" "$W/inputs/"; echo "cp '$W/inputs/$(basename "$f")' /run/systemd/system/"
        done
        for b in "${binaries[@]}"; do
            src=${b%%:*}; dest=${b#*:}
            if [ "$dest" = "$b" ]; then
                [ ${#units[@]} -gt 0 ] || die "--binary $b: no DEST and no --unit to take ExecStart= from" 2
                dest=$(sed -n 's/^ExecStart=[-@:+!]*\([^ ]*\).*/\1/p' "${units[0]}" | head -1)
            fi
            src=$(readlink -f "$src"); [ -x "$src" ] || die "--binary: $src is not an executable file" 2
            case "$dest" in /usr/local/*) ;; *) die "--binary DEST $dest must be under /usr/local (private inside)" 2 ;; esac
            i=$((i+1)); cp "$src" "$W/inputs/binary.$i"; chmod 0755 "$W/inputs/binary.$i"
            echo "mkdir -p '$(dirname "$dest")'; : >'$dest'; mount --bind -o ro '$W/inputs/binary.$i' '$dest'"
            echo "$dest" >>"$W/state/inside-paths"
        done
        for f in "${files[@]}"; do
            src=$(readlink -f "${f%%:*}"); dest=${f#*:}
            [ -e "$src" ] || die "--file: no $src" 2
            private_path "$dest" || die "--file DEST $dest is not on a private file system inside" 2
            i=$((i+1)); cp -a "$src" "$W/inputs/file.$i"
            echo "mkdir -p '$(dirname "$dest")'; cp -a '$W/inputs/file.$i' '$dest'"
            echo "$dest" >>"$W/state/inside-paths"
        done
        for f in "${sysusers[@]}"; do
            cp "$f" "$W/inputs/"; echo "cp '$W/inputs/$(basename "$f")' /run/sysusers.d/$(basename "$f" .sysusers).conf"
            echo "systemd-sysusers /run/sysusers.d/$(basename "$f" .sysusers).conf"
        done
        for f in "${tmpfiles[@]}"; do
            cp "$f" "$W/inputs/"; echo "cp '$W/inputs/$(basename "$f")' /run/tmpfiles.d/$(basename "$f" .tmpfiles).conf"
            # Only this file: the system's tmpfiles.d has `D /tmp` and friends.
            echo "systemd-tmpfiles --create /run/tmpfiles.d/$(basename "$f" .tmpfiles).conf"
            awk '$1 ~ /^[dDvqQLfFwCzZ]/ && $2 ~ /^\// {print $2}' "$f" >>"$W/state/inside-paths"
        done
        for f in "${catalogs[@]}"; do
            cp "$f" "$W/inputs/"; echo "cp '$W/inputs/$(basename "$f")' /usr/local/lib/systemd/catalog/"
        done
        [ ${#catalogs[@]} -eq 0 ] || echo "journalctl --update-catalog"
        for f in "${units[@]}"; do
            echo "/run/systemd/system/$(basename "$f")" >>"$W/state/inside-paths"
            # StateDirectory= etc. of the units under test exist only inside.
            awk -F= '/^(State|Cache|Logs|Runtime)Directory=/ {
                p = $1 == "StateDirectory" ? "/var/lib/" : $1 == "CacheDirectory" ? "/var/cache/" : $1 == "LogsDirectory" ? "/var/log/" : "/run/"
                n = split($2, a, " "); for (i = 1; i <= n; i++) print p a[i] }' "$f" >>"$W/state/inside-paths"
        done
        cat <<'EOF'
export container=other
exec /lib/systemd/systemd --system --unit=multi-user.target
EOF
    } >"$boot"
    chmod 0755 "$boot"
    # Their parent directories too (those that already exist on the host cannot show up as new).
    awk '{ p = $0; while (p != "" && p != "/") { print p; sub(/\/[^\/]*$/, "", p) } }' "$W/state/inside-paths" | sort -u >"$W/state/inside-paths.all"
    mv "$W/state/inside-paths.all" "$W/state/inside-paths"

    # The host as it is before: hashes and listings, canary files in /tmp and /var/tmp, cgroup directories.
    local canary="$$.$RANDOM"
    echo "$canary" >"$W/state/canary"
    echo canary >"/tmp/.systemd-e2e-canary.$canary"; echo canary >"/var/tmp/.systemd-e2e-canary.$canary"
    snapshot "$W/host-before.txt"
    find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null | sort >"$W/state/cgroups-before"

    # The namespace gets its own cgroup: a child of the host's cgroup2 root, which becomes the root of a
    # cgroup namespace; the boot script mounts a cgroup2 on /sys/fs/cgroup there. systemd then runs in unified
    # mode inside that subtree and never touches the host's /sys/fs/cgroup tmpfs or v1 hierarchies. (The
    # recipe's way, the host's hybrid /sys/fs/cgroup as it is, lets the inner systemd remount that tmpfs
    # read-only and make directories in it: a file system's options are shared across mount namespaces.)
    local cgroot=""
    if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then cgroot=/sys/fs/cgroup
    elif [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then cgroot=/sys/fs/cgroup/unified
    else echo "SKIP: no cgroup2 hierarchy on the host (needed for the namespace's own cgroup)"; rm -f /tmp/.systemd-e2e-canary.$canary /var/tmp/.systemd-e2e-canary.$canary; exit 77; fi
    local cg="$cgroot/systemd-e2e.$canary"
    mkdir "$cg"; echo "$cg" >"$W/state/cgroup"
    setsid sh -c 'echo $$ >"$1/cgroup.procs" && exec unshare --cgroup --pid --fork --mount-proc --net --uts "$2"' \
        sh "$cg" "$boot" >"$W/boot.log" 2>&1 </dev/null &
    local us=$! sd="" deadline=$((SECONDS + timeout))
    echo "$us" >"$W/state/unshare.pid"
    while [ -z "$sd" ] && [ $SECONDS -lt $deadline ]; do
        sd=$(pgrep -P "$us" || true)        # systemd is unshare's only child: found by parent id, never by name
        kill -0 "$us" 2>/dev/null || break
        [ -n "$sd" ] || sleep 0.1
    done
    [ -n "$sd" ] || { cat "$W/boot.log" >&2; boot_failed "the namespace did not start (see $W/boot.log)"; }
    echo "$sd" >"$W/state/systemd.pid"
    readlink "/proc/$sd/ns/pid" >"$W/state/pidns"
    # Wait for the boot script to exec systemd, then for the manager to finish booting.
    local state=""
    while [ $SECONDS -lt $deadline ]; do
        kill -0 "$sd" 2>/dev/null || { cat "$W/boot.log" >&2; boot_failed "the boot script failed (see $W/boot.log)"; }
        if [ "$(readlink "/proc/$sd/exe" 2>/dev/null)" = "$(readlink -f /lib/systemd/systemd)" ]; then
            state=$(ns timeout 10 systemctl is-system-running --wait 2>/dev/null || true)
            case "$state" in running|degraded) break ;; esac
        fi
        sleep 0.2
    done
    ns systemctl --failed --no-legend --plain 2>/dev/null | awk '{print $1}' >"$W/failed-units.txt" || true
    case "$state" in
        running) echo "systemd-e2e-harness: booted (systemd is host PID $sd): running" ;;
        degraded) echo "systemd-e2e-harness: booted (systemd is host PID $sd): degraded; failed units:"; sed 's/^/  /' "$W/failed-units.txt" ;;
        *) sed 's/^/  /' "$W/failed-units.txt" >&2
           boot_failed "boot did not finish within ${timeout}s (state '${state:-unknown}')" ;;
    esac
}

cmd_exec() {
    need_root
    workdir "${1:-}"; shift
    [ "${1:-}" = "--" ] && shift
    [ $# -gt 0 ] || usage
    alive || die "no running namespace for $W"
    ns "$@"
}

cmd_wait() { # UNIT PROPERTY VALUE [SECS]
    need_root
    workdir "${1:-}"; shift
    local unit=${1:?} prop=${2:?} want=${3?} secs=${4:-30} got="" deadline
    alive || die "no running namespace for $W"
    deadline=$((SECONDS + secs))
    while [ $SECONDS -lt $deadline ]; do
        got=$(ns systemctl show -P "$prop" "$unit" 2>/dev/null || true)
        [ "$got" = "$want" ] && return 0
        sleep 0.1
    done
    echo "systemd-e2e-harness: $unit $prop is '$got', not '$want', after ${secs}s" >&2
    return 1
}

cmd_pid() { need_root; workdir "${1:-}"; alive || die "no running namespace for $W"; sd_pid; }

cmd_stop() {
    need_root
    workdir "${1:-}"
    local sd us pidns bad=0 left
    sd=$(sd_pid); us=$(cat "$W/state/unshare.pid" 2>/dev/null || true); pidns=$(cat "$W/state/pidns" 2>/dev/null || true)
    [ -f "$W/state/canary" ] || die "nothing was booted from $W" 2
    if [ -n "$pidns" ] && alive; then kill -9 "$sd"; fi   # PID 1 of the namespace: the kernel kills everything in it
    [ -z "$pidns" ] && [ -n "$us" ] && kill -9 "$us" 2>/dev/null || true   # boot failed before systemd ran
    for _ in $(seq 1 100); do
        left=""
        [ -z "$pidns" ] || left=$(for p in /proc/[0-9]*; do [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$pidns" ] && echo "${p#/proc/}"; done || true)
        [ -z "$left" ] && { [ -z "$us" ] || ! kill -0 "$us" 2>/dev/null; } && break
        sleep 0.1
    done
    if [ -n "$left" ]; then echo "STRAY PROCESSES in the namespace: $left"; bad=1; else echo "systemd-e2e-harness: no process left in the namespace"; fi
    # The namespace's cgroup subtree: empty once its processes are gone; remove it, deepest first.
    local cg; cg=$(cat "$W/state/cgroup" 2>/dev/null || true)
    if [ -n "$cg" ] && [ -d "$cg" ]; then
        for _ in $(seq 1 50); do
            find "$cg" -depth -type d -exec rmdir {} \; 2>/dev/null || true
            [ -d "$cg" ] || break
            sleep 0.1
        done
    fi
    # Anything else that appeared in the host's cgroup hierarchies would be a leak; report and remove it.
    if [ -f "$W/state/cgroups-before" ]; then
        for _ in 1 2 3 4 5; do
            comm -13 "$W/state/cgroups-before" <(find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null | sort) \
                | awk '{print length, $0}' | sort -rn | cut -d' ' -f2- | while read -r c; do rmdir "$c" 2>/dev/null || true; done
            left=$(comm -13 "$W/state/cgroups-before" <(find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null | sort))
            [ -z "$left" ] && break
            sleep 0.2
        done
        if [ -n "$left" ]; then echo "note: cgroups the namespace made that could not be removed:"; echo "$left" | head | sed 's/^/  /'; bad=1
        else echo "systemd-e2e-harness: the cgroups the namespace made are removed"; fi
    fi
    if check_host; then echo "systemd-e2e-harness: host unchanged (/etc/passwd, group, shadow, gshadow; /tmp, /var/tmp, /run, /var/lib, /var/log/journal, /usr/local, /etc; canaries)"
    else bad=1; fi
    rm -f "$W/state/systemd.pid"
    return $bad
}

sub=${1:-}; shift || true
case "$sub" in
    boot) cmd_boot "$@" ;;
    exec) cmd_exec "$@" ;;
    wait) cmd_wait "$@" ;;
    pid) cmd_pid "$@" ;;
    stop) cmd_stop "$@" ;;
    *) usage ;;
esac
