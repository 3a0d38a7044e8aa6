#!/usr/bin/env bash
# The daemon's benchmark: fill, startup to READY=1, incremental latency, reload, peak RSS, store size.
#
#   BENCH_SCALES="183 2844" bash scripts/bench-daemon.sh
#   BENCH_SCALES="shipped 183" ...     # "shipped": the shipped rules/ and examples/data (reload of the shipped rules)
#   BENCH_DATA=/work/bench-data BENCH_SCALES=183 bash scripts/bench-daemon.sh    # shared, read-only data
#
# Uses .build/release/warnd (BENCH_SKIP_BUILD=1 skips `swift build -c release`). Data: $BENCH_DATA/cN/files
# when given (waits for its .done), else generated once into .build-bench/cN/files with
# `warnd generate --counties N --rules-layout shared`. Work folders: .build-bench/daemon-cN (removed first).
# BENCH_RELOADS (default 3) the number of reloads; BENCH_SUBMISSIONS (default 500) sets the number of incremental submissions
# (500: about a quarter change an alert, so the journal and region-file latencies get over 100 samples each); BENCH_REUSE_FILL=1 keeps the filled
# state directory and reuses it next time (per binary name); BENCH_DUMP=PREFIX writes each submission's times and the
# daemon's log lines meanwhile to PREFIX-cN.json (for looking into outliers); WARND=path measures another binary. What each figure measures is
# written at the top of scripts/bench-daemon.py. Figures only: nothing here asserts a time.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
SCALES=${BENCH_SCALES:-"183"}
SUBMISSIONS=${BENCH_SUBMISSIONS:-500}
WARND=${WARND:-.build/release/warnd}

if [[ -z "${BENCH_SKIP_BUILD:-}" ]]; then
    swift build -c release --product warnd >&2
fi
[[ -x $WARND ]] || { echo "bench-daemon: $WARND missing" >&2; exit 1; }

results=()
for n in $SCALES; do
    if [[ $n == shipped ]]; then
        # The shipped rules and example data (a few counties' real plans): what a county deploys.
        src=.build-bench/shipped
        rm -rf "$src" && mkdir -p "$src" && cp -r rules "$src/rules" && cp -r examples/data "$src/data"
    elif [[ -n "${BENCH_DATA:-}" ]]; then
        src="$BENCH_DATA/c$n"
        while [[ ! -f $src/.done ]]; do echo "bench-daemon: waiting for $src/.done" >&2; sleep 30; done
        src="$src/files"
    else
        # The same folder as scripts/bench.sh and bench-ingest.sh, so `make bench` generates each scale once.
        out=".build-bench/shared-c$n"
        if [[ ! -f $out/.done ]]; then
            rm -rf "$out"
            "$WARND" generate --counties "$n" --rules-layout shared --out "$out/files" >&2
            "$WARND" generate --counties "$n" --rules-layout shared --out "$out/one" --one-file >/dev/null 2>&1
            rm -rf "$out/one/rules"
            touch "$out/.done"
        fi
        src="$out/files"
    fi
    # Large scales are filled through the inbox in files of 200 counties: one file per county would take hours.
    chunk=1; [[ $n != shipped ]] && (( n > 500 )) && chunk=200
    echo "bench-daemon: scale $n ($(uptime | sed 's/.*load/load/'))" >&2
    results+=("$(python3 scripts/bench-daemon.py --warnd "$WARND" --rules "$src/rules" --data "$src/data" \
        --work ".build-bench/daemon-c$n" --submissions "$SUBMISSIONS" --fill-chunk "$chunk" --reloads "${BENCH_RELOADS:-3}" \
        ${BENCH_DUMP:+--dump "$BENCH_DUMP-c$n.json"} ${BENCH_REUSE_FILL:+--filled-cache ".build-bench/daemon-c$n-filled-$(basename "$WARND")"})")
    echo "${results[-1]}" >&2
done

python3 - "${results[@]}" <<'EOF'
import json, sys
rows = [json.loads(x) for x in sys.argv[1:]]
def f(v):
    if v is None: return "—"
    if isinstance(v, list): return "/".join(str(x) for x in v)
    return str(v)
cols = [
    ("counties", "counties"), ("rows", "rows"), ("alerts", "alerts"), ("fill_method", "fill"),
    ("fill_rows_per_s", "fill rows/s"), ("store_mb", "store MB"), ("startup_s", "READY s"), ("restart_s", "restart READY s"),
    ("first_active_after_ready_s", "active.json after READY s"), ("active_json_mb", "active.json MB"),
    ("submissions", "subm."), ("inc_done_p50_ms", "done p50 ms"), ("inc_done_p99_ms", "done p99 ms"),
    ("inc_region_p50_ms", "region p50 ms"), ("inc_region_p99_ms", "region p99 ms"),
    ("inc_journal_p50_ms", "journal p50 ms"), ("inc_journal_p99_ms", "journal p99 ms"),
    ("inc_active_p50_ms", "active.json p50 ms"), ("inc_active_p99_ms", "active.json p99 ms"),
    ("reload_s", "reload s"), ("hwm_mib", "peak RSS MiB"), ("shutdown_s", "SIGTERM→exit s"),
]
print("| " + " | ".join(h for _, h in cols) + " |")
print("|" + " --- |" * len(cols))
for r in rows:
    print("| " + " | ".join(f(r.get(k)) for k, _ in cols) + " |")
for r in rows:
    print("\nc%s startup phases: %s" % (r["counties"], r.get("startup_phases", "—")))
    print("c%d startup evaluation phases ms: %s" % (r["counties"], r.get("startup_evaluation_phases", "—")))
    print("c%d restart phases: %s (peak RSS %s MiB at READY, %s MiB after the first active.json)" % (r["counties"], r.get("restart_phases", "—"), r.get("restart_hwm_mib", "—"), r.get("restart_hwm_after_files_mib", "—")))
    print("c%d restart evaluation phases ms: %s" % (r["counties"], r.get("restart_evaluation_phases", "—")))
    print("c%d RSS MiB by phase: first start %s; restart %s" % (r["counties"], r.get("startup_rss_mib", "—"), r.get("restart_rss_mib", "—")))
    print("c%d first start: journal backlog sent %s s after READY" % (r["counties"], r.get("backlog_announced_after_ready_s", "—")))
    print("c%d daemon CPU s (user+sys): first start to READY %s, whole first run %s, restart to READY %s" % (r["counties"], r.get("startup_cpu_s", "—"), r.get("run_cpu_s", "—"), r.get("restart_cpu_s", "—")))
    print("c%d reload phases (last): %s" % (r["counties"], r.get("reload_phases", "—")))
    print("c%d submission phases p50/p99 ms: %s" % (r["counties"], r.get("inc_phases_p50_p99_ms", "—")))
    print("c%d journal/region/done n: %s/%s/%s of %s submissions, %s transitions" % (r["counties"],
        r.get("inc_journal_n"), r.get("inc_region_n"), r.get("inc_done_n"), r.get("submissions"), r.get("transitions")))
EOF
