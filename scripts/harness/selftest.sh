#!/bin/bash
# selftest.sh — proves journald-harness.sh and systemd-e2e-harness.sh, and deploy/systemd/*, on stand-ins.
#
#   scripts/harness/selftest.sh [WORKDIR]          (default: .build-e2e/selftest in the repository)
#
# 1. journald-harness.sh: entries sent with `logger --journald`, `systemd-cat` and the native protocol from
#    Python come back from `journalctl -o json` with their fields; the catalog renders under `journalctl -x`.
# 2. systemd-e2e-harness.sh: boots systemd with the real deploy/systemd/warnd.service, warnd.sysusers,
#    warnd.tmpfiles and warnd.catalog, with standin/warnd-standin.py as /usr/local/bin/warnd (it keeps the
#    daemon's contract), and checks: Type=notify start and StatusText, journal fields, a staff member's file
#    read through SupplementaryGroups= under PrivateUsers=, the inbox's owner and mode, a good and a refused
#    reload (systemctl reload fails, the service stays up with its old rules), the catalog under
#    `journalctl -x`, the watchdog, that NotifyAccess=main refuses a child's READY=1, the
#    `systemd-analyze security` score, and stop. With a Swift toolchain it also runs a Swift Type=notify probe
#    (standin/swift-notify-probe.swift) and the project's own warnd binary (`check`, `eval`; WARND_BIN or
#    .build/{release,debug}/warnd) under exactly the unit's hardening. Then it stops the namespace and the
#    harness checks that the host is untouched.
# 3. `make install-systemd` with DESTDIR empty inside a namespace (directories pointed at its private file
#    systems), then docs/operations.md's steps: daemon-reload, systemd-sysusers, systemd-tmpfiles --create,
#    systemctl enable --now warnd.
#
# Prints PASS:/FAIL:/SKIP: lines and ends with "N passed, N failed"; exit 0 when nothing failed, 77 when the
# harnesses cannot run here (not root, unshare refused), 1 otherwise.
set -uo pipefail

if [ "$(id -u)" -ne 0 ]; then echo "SKIP: the harnesses need root (unshare)"; exit 77; fi
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
W=${1:-$repo/.build-e2e/selftest}
H=$here/systemd-e2e-harness.sh
J=$here/journald-harness.sh
mkdir -p "$W"; W=$(readlink -f "$W")
export PATH=$PATH:/opt/swift/usr/bin

passed=0 failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
in_ns() { "$H" exec "$W/ns1" "$@"; }
show() { in_ns systemctl show -P "$2" "$1"; }
jq_() { /usr/bin/python3 -c "import json,sys; $1" "${@:2}"; }   # tiny JSON assertions without jq

# ---- 1. journald-harness.sh ------------------------------------------------------------------------------------
out=$W/journal.jsonl
"$J" -o "$out" -t warnd --catalog "$repo/deploy/systemd/warnd.catalog" -- /bin/sh -c '
logger --journald <<EOF
MESSAGE=预警：孕产妇死亡率预计未达标
SYSLOG_IDENTIFIER=warnd
MESSAGE_ID=bd425d13448347d588f370f9d1056479
PRIORITY=2
WARND_INDICATOR=maternal_mortality_ratio
WARND_ALERT_ID=f518c4ea55c83db2
EOF
echo "plain line through the stdout stream" | systemd-cat -t warnd -p warning
/usr/bin/python3 -c "
import socket, struct
v = b\"rules/a.yaml:3:5: error: x\\nrules/b.yaml:9:1: error: y\"
d = b\"MESSAGE=reload refused\\nSYSLOG_IDENTIFIER=warnd\\nMESSAGE_ID=51f6cda5d7544b6a9dff44d547942ccc\\nPRIORITY=3\\nWARND_ERRORS\\n\" + struct.pack(\"<Q\", len(v)) + v + b\"\\n\"
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(d, \"/run/systemd/journal/socket\")"
exit 3'
rc=$?
if [ $rc -eq 77 ]; then exit 77; fi     # journald-harness.sh said SKIP and why
check "journald-harness returns the command's exit status (3)" [ $rc -eq 3 ]
check "journald-harness: logger --journald entry with MESSAGE_ID, PRIORITY and WARND_* fields" jq_ '
import sys
es = [json.loads(l) for l in open(sys.argv[1])]
e = [e for e in es if e.get("MESSAGE_ID") == "bd425d13448347d588f370f9d1056479"][0]
assert e["PRIORITY"] == "2" and e["WARND_INDICATOR"] == "maternal_mortality_ratio" and e["MESSAGE"].startswith("预警")' "$out"
check "journald-harness: systemd-cat line with -t warnd -p warning" jq_ '
import sys
es = [json.loads(l) for l in open(sys.argv[1])]
assert any(e["MESSAGE"] == "plain line through the stdout stream" and e["PRIORITY"] == "4" for e in es)' "$out"
check "journald-harness: native-protocol entry keeps a multi-line field whole" jq_ '
import sys
es = [json.loads(l) for l in open(sys.argv[1])]
e = [e for e in es if e.get("MESSAGE") == "reload refused"][0]
assert e["WARND_ERRORS"] == "rules/a.yaml:3:5: error: x\nrules/b.yaml:9:1: error: y"' "$out"
check "journald-harness: -t warnd keeps only warnd's entries (3)" [ "$(wc -l <"$out")" -eq 3 ]
check "journald-harness: journalctl -x shows the catalog text with @WARND_ALERT_ID@ filled in" \
    grep -q "journalctl -u warnd WARND_ALERT_ID=f518c4ea55c83db2" "$out.x.txt"

# ---- 2. systemd-e2e-harness.sh with the real unit and the stand-in ---------------------------------------------
inputs=$W/inputs-selftest; rm -rf "$inputs"; mkdir -p "$inputs/rules"
printf 'plan:\n  id: standin\nrules:\n  - id: r1\n  - id: r2\n' >"$inputs/rules/plan.yaml"
printf '# warnd.yaml for the stand-in: every default\nlog: auto\n' >"$inputs/warnd.yaml"

# A unit that breaks NotifyAccess=main on purpose: READY=1 comes from a child (systemd-notify), not the main PID.
# Unprivileged like warnd: as root, systemd-notify could pass its parent's PID as the sender and be accepted.
cat >"$inputs/notify-child.service" <<'EOF'
[Service]
Type=notify
NotifyAccess=main
User=nobody
TimeoutStartSec=3s
ExecStart=/bin/sh -c 'systemd-notify --ready --status="from a child"; exec sleep 60'
EOF

# The Swift probe, and the project's own binary, run under exactly warnd.service's hardening.
extra=()
probe=""; realbin=""
if command -v swiftc >/dev/null; then
    if swiftc -O -swift-version 6 "$here/standin/swift-notify-probe.swift" -o "$inputs/swift-notify-probe" >"$inputs/swiftc.log" 2>&1; then
        probe=$inputs/swift-notify-probe
    else fail "swiftc swift-notify-probe.swift (see $inputs/swiftc.log)"; fi
fi
for b in "${WARND_BIN:-}" "$repo/.build/release/warnd" "$repo/.build/debug/warnd"; do
    [ -n "$b" ] && [ -x "$b" ] && { realbin=$b; break; }
done
if [ -n "$probe" ]; then
    sed -e 's|^Description=.*|Description=Swift notify probe under warnd.service hardening|' \
        -e 's|^ExecStart=.*|ExecStart=/usr/local/bin/swift-notify-probe|' -e '/^ExecReload=/d' \
        -e 's|^StateDirectory=warnd|StateDirectory=warnd-probe|' -e 's|^Restart=.*|Restart=no|' \
        "$repo/deploy/systemd/warnd.service" >"$inputs/warnd-swift-probe.service"
    if [ -n "$realbin" ]; then
        fx=$repo/Tests/WarnDTests/Fixtures
        sed -i -e "/^ExecStart=/i ExecStartPre=/usr/local/bin/warnd-real check /etc/warnd/shipped-rules" \
               -e "/^ExecStart=/i ExecStartPre=/usr/local/bin/warnd-real eval --rules /etc/warnd/fixture/rules.yaml --catalog /etc/warnd/fixture/catalog.yaml --data /etc/warnd/fixture/data.csv --now 2025-07-01 --format json" \
               "$inputs/warnd-swift-probe.service"
        mkdir -p "$inputs/fixture"
        cp "$fx/golden/forecast/rules.yaml" "$fx/golden/forecast/data.csv" "$fx/catalog.yaml" "$inputs/fixture/"
        extra+=(--binary "$realbin:/usr/local/bin/warnd-real" --file "$repo/rules:/etc/warnd/shipped-rules" --file "$inputs/fixture:/etc/warnd/fixture")
    fi
    extra+=(--unit "$inputs/warnd-swift-probe.service" --binary "$probe:/usr/local/bin/swift-notify-probe")
fi

"$H" boot "$W/ns1" --unit "$repo/deploy/systemd/warnd.service" --unit "$inputs/notify-child.service" \
    --binary "$here/standin/warnd-standin.py" \
    --sysusers "$repo/deploy/systemd/warnd.sysusers" --tmpfiles "$repo/deploy/systemd/warnd.tmpfiles" \
    --catalog "$repo/deploy/systemd/warnd.catalog" \
    --file "$inputs/rules/plan.yaml:/etc/warnd/rules/plan.yaml" --file "$inputs/warnd.yaml:/etc/warnd/warnd.yaml" \
    "${extra[@]}"
rc=$?
if [ $rc -eq 77 ]; then exit 77; fi
if [ $rc -ne 0 ]; then fail "systemd-e2e-harness boot"; echo "$passed passed, $failed failed"; exit 1; fi
pass "systemd-e2e-harness boot reaches running/degraded"

check "sysusers made warnd and warnd-submit inside" in_ns sh -c 'getent passwd warnd && getent group warnd-submit' >/dev/null
check "tmpfiles made the inbox 2770 warnd:warnd-submit" [ "$(in_ns stat -c '%a %U:%G' /var/lib/warnd/inbox)" = "2770 warnd:warnd-submit" ]
# A member of staff submits a file only the group may read.
in_ns sh -c 'useradd -M -N -g users -G warnd-submit alice && runuser -u alice -- sh -c "umask 0027; printf \"indicator,region,period,value\nmaternal_mortality_ratio,渠县,2024,11.2\n\" >/var/lib/warnd/inbox/mmr-2024.csv"'

in_ns systemctl start warnd.service
check "warnd.service (Type=notify, NotifyAccess=main) starts: active" [ "$(show warnd.service ActiveState)" = active ]
check "StatusText is the daemon's STATUS=" [ "$(show warnd.service StatusText)" = "watching; 2 rules, generation 0" ]
check "/var/lib/warnd is 0751 warnd:warnd (StateDirectoryMode=), the inbox kept its group" \
    [ "$(in_ns stat -c '%a %U:%G' /var/lib/warnd /var/lib/warnd/inbox | tr '\n' ' ')" = "751 warnd:warnd 2770 warnd:warnd-submit " ]
check "the staff file (alice:warnd-submit 0640) was read through SupplementaryGroups= under PrivateUsers=" \
    in_ns test -f /var/lib/warnd/archive/mmr-2024.csv
in_ns journalctl -u warnd.service -o json --no-pager >"$W/warnd-journal.jsonl"
check "journalctl -u warnd -o json: started entry with SYSLOG_IDENTIFIER=warnd, MESSAGE_ID, WARND_*, _UID=warnd" jq_ '
import sys
es = [json.loads(l) for l in open(sys.argv[1])]
e = [e for e in es if e.get("MESSAGE_ID") == "6d3c1ad6e2104f47b51de6d8f1f55b35"][0]
assert e["SYSLOG_IDENTIFIER"] == "warnd" and e["_SYSTEMD_UNIT"] == "warnd.service" and e["WARND_UMASK"] == "0027"
assert e["_UID"] == sys.argv[2]' "$W/warnd-journal.jsonl" "$(in_ns id -u warnd)"
check "the fileAccepted entry names the file (journalctl MESSAGE_ID=… WARND_FILE=…)" \
    [ "$(in_ns journalctl -u warnd -o cat --no-pager MESSAGE_ID=f29412e3a68d41bf876767d4119cbf91 WARND_FILE=mmr-2024.csv)" = "accepted mmr-2024.csv (72 bytes)" ]
check "alert files written: active.json, events.jsonl, report.md (0640 warnd:warnd)" \
    [ "$(in_ns stat -c '%n %a %U:%G' /var/lib/warnd/alerts/active.json /var/lib/warnd/alerts/events.jsonl /var/lib/warnd/alerts/report.md | awk '{print $2, $3}' | sort -u)" = "640 warnd:warnd" ]

main=$(show warnd.service MainPID)
in_ns systemctl reload warnd.service; rc=$?
check "systemctl reload (good rules) exits 0" [ $rc -eq 0 ]
check "after a good reload StatusText says generation 1" [ "$(show warnd.service StatusText)" = "watching; 2 rules, generation 1" ]
in_ns sh -c 'echo "  invalid: unknown key thershold" >>/etc/warnd/rules/plan.yaml'
in_ns systemctl reload warnd.service >"$W/reload-refused.out" 2>&1; rc=$?
check "systemctl reload (a broken rule) exits non-zero" [ $rc -ne 0 ]
check "after a refused reload the service stays active, same MainPID" \
    [ "$(show warnd.service ActiveState) $(show warnd.service MainPID)" = "active $main" ]
check "after a refused reload StatusText says so" \
    [ "$(show warnd.service StatusText)" = "reload refused (1 errors); keeping the 2 rules loaded before" ]
check "the refused reload's error is in the journal with file:line:column (reloadFailed)" \
    [ "$(in_ns journalctl -u warnd -o cat --no-pager MESSAGE_ID=51f6cda5d7544b6a9dff44d547942ccc)" = "/etc/warnd/rules/plan.yaml:6:3: error: unknown key thershold" ]
in_ns journalctl -u warnd -x --no-pager MESSAGE_ID=51f6cda5d7544b6a9dff44d547942ccc >"$W/reload-refused.x.txt"
check "journalctl -x shows the warnd catalog for the refused reload" grep -q "Subject: A rules reload was refused; the old rules keep running" "$W/reload-refused.x.txt"
check "journalctl --list-catalog lists all 10 warnd ids" [ "$(in_ns journalctl --list-catalog --no-pager | grep -c ' warnd: ')" -eq 10 ]
in_ns sed -i '/invalid:/d' /etc/warnd/rules/plan.yaml
in_ns systemctl reload warnd.service; rc=$?
check "after fixing the rule, systemctl reload exits 0 again" [ $rc -eq 0 ]

# The watchdog: pings at half WatchdogSec keep it alive; a daemon that stops pinging is killed and restarted.
in_ns sh -c 'mkdir -p /run/systemd/system/warnd.service.d && printf "[Service]\nWatchdogSec=2s\nTimeoutAbortSec=2s\nRestartSec=1s\n" >/run/systemd/system/warnd.service.d/watchdog.conf && systemctl daemon-reload && systemctl restart warnd'
sleep 5
check "WatchdogSec=2s: still active after 5 s, no restart" [ "$(show warnd.service ActiveState) $(show warnd.service NRestarts)" = "active 0" ]
in_ns kill -STOP "$(show warnd.service MainPID)"
"$H" wait "$W/ns1" warnd.service NRestarts 1 30
check "a daemon that stops pinging is restarted (Restart=on-failure after the watchdog)" [ "$(show warnd.service NRestarts)" = 1 ]
check "…and the journal says why" in_ns sh -c 'journalctl -u warnd --no-pager -o cat | grep -q "Watchdog timeout"'
"$H" wait "$W/ns1" warnd.service ActiveState active 30
in_ns sh -c 'rm -r /run/systemd/system/warnd.service.d && systemctl daemon-reload'

# NotifyAccess=main: READY=1 from a child is refused, so the contract is "notify from the main process".
in_ns systemctl start notify-child.service 2>/dev/null; rc=$?
check "NotifyAccess=main refuses READY=1 from a child (systemd-notify): start fails" [ $rc -ne 0 ]
check "…with 'reception only permitted for main PID' in the journal" \
    in_ns sh -c 'journalctl -u notify-child --no-pager -o cat | grep -q "reception only permitted for main PID"'

score=$(in_ns systemd-analyze security --no-pager warnd.service | sed -n 's/.*Overall exposure level for warnd.service: \([0-9.]*\).*/\1/p')
echo "systemd-analyze security warnd.service (inside): $score"
check "systemd-analyze security warnd.service ≤ 1.5 ($score)" awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 1.5) }'

if [ -n "$probe" ]; then
    in_ns systemctl start warnd-swift-probe.service; rc=$?
    check "Swift Type=notify probe under the unit's hardening (MemoryDenyWriteExecute, SystemCallFilter, ProcSubset=pid, PrivateUsers) starts" [ $rc -eq 0 ]
    st=$(show warnd-swift-probe.service StatusText)
    check "…its STATUS= came through ($st)" [ "${st#swift probe ready}" != "$st" ]
    check "…SQLite in WAL mode worked in its StateDirectory" [ "$(in_ns sqlite3 /var/lib/warnd-probe/probe.sqlite 'PRAGMA journal_mode')" = wal ]
    if [ -n "$realbin" ]; then
        check "the project's warnd (check, eval) ran as ExecStartPre= under the same hardening" \
            in_ns sh -c 'journalctl -u warnd-swift-probe --no-pager -o cat | grep -q "files OK" && journalctl -u warnd-swift-probe --no-pager -o cat | grep -q "\"evaluated_at\" : \"2025-07-01\"\|\"evaluated_at\": \"2025-07-01\""'
    else echo "SKIP: no built warnd binary (.build/release/warnd, .build/debug/warnd or WARND_BIN)"; fi
    in_ns systemctl stop warnd-swift-probe.service
    check "…and stops cleanly on SIGTERM (Result=success)" [ "$(in_ns systemctl show -P Result warnd-swift-probe.service)" = success ]
else
    echo "SKIP: no swiftc: the Swift probe under the unit's hardening was not run"
fi

in_ns systemctl stop warnd.service; rc=$?
check "systemctl stop: exit 0, inactive, Result=success" [ "$rc $(show warnd.service ActiveState) $(show warnd.service Result)" = "0 inactive success" ]
check "…after STOPPING=1 the daemon logged its last entry" in_ns sh -c 'journalctl -u warnd --no-pager -o cat | tail -3 | grep -qx stopped'

failed_units=$(cat "$W/ns1/failed-units.txt" 2>/dev/null | tr '\n' ' ')
echo "units failed at boot inside the namespace: ${failed_units:-none}"
"$H" stop "$W/ns1"; rc=$?
check "systemd-e2e-harness stop: no process left, cgroups removed, host unchanged" [ $rc -eq 0 ]

# ---- 3. make install-systemd with DESTDIR empty, then docs/operations.md's steps, inside a namespace ---------
# The directories are pointed at the namespace's private file systems (/run, and the overlays on /etc and
# /usr/local): a real install there, journalctl --update-catalog included, that the host never sees.
"$H" boot "$W/ns2" --binary "$here/standin/warnd-standin.py:/usr/local/bin/warnd" \
    --file "$inputs/rules/plan.yaml:/etc/warnd/rules/plan.yaml" >/dev/null
rc=$?
if [ $rc -ne 0 ]; then fail "systemd-e2e-harness boot (install test)"; echo "$passed passed, $failed failed"; exit 1; fi
ns2() { "$H" exec "$W/ns2" "$@"; }
dirs=(UNITDIR=/run/systemd/system SYSUSERSDIR=/run/sysusers.d TMPFILESDIR=/run/tmpfiles.d
      CATALOGDIR=/usr/local/lib/systemd/catalog PREFIX=/usr/local SYSCONFDIR=/etc)
ns2 make -s -C "$repo" install-systemd "${dirs[@]}" >"$W/install.out" 2>&1; rc=$?
check "make install-systemd (DESTDIR empty) exits 0" [ $rc -eq 0 ]
check "…installed the unit with ExecStart=/usr/local/bin/warnd run" \
    ns2 grep -qx 'ExecStart=/usr/local/bin/warnd run' /run/systemd/system/warnd.service
check "…and compiled the catalog (journalctl --list-catalog shows 10 warnd ids)" \
    [ "$(ns2 journalctl --list-catalog --no-pager | grep -c ' warnd: ')" -eq 10 ]
check "…and the example config as /etc/warnd/warnd.yaml" ns2 cmp -s "$repo/deploy/warnd.yaml.example" /etc/warnd/warnd.yaml
ns2 sh -c 'echo "evaluation_interval: 6h" >/etc/warnd/warnd.yaml'
ns2 make -s -C "$repo" install-systemd "${dirs[@]}" >>"$W/install.out" 2>&1
check "a second make install-systemd keeps the admin's warnd.yaml" [ "$(ns2 cat /etc/warnd/warnd.yaml)" = "evaluation_interval: 6h" ]
ns2 sh -c 'systemctl daemon-reload && systemd-sysusers && systemd-tmpfiles --create /run/tmpfiles.d/warnd.conf && systemctl enable --now warnd' >>"$W/install.out" 2>&1; rc=$?
check "daemon-reload, systemd-sysusers, systemd-tmpfiles --create, systemctl enable --now warnd" [ $rc -eq 0 ]
check "…warnd is active and enabled" [ "$(ns2 systemctl is-active warnd) $(ns2 systemctl is-enabled warnd)" = "active enabled" ]
"$H" stop "$W/ns2" >"$W/ns2-stop.out"; rc=$?
check "systemd-e2e-harness stop (install test): host unchanged" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$W/ns2-stop.out"

echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
