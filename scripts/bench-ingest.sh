#!/usr/bin/env bash
# Ingest end to end (parse, validate, commit) with `warnd import` into an empty store, per scale: one big file and
# many county files; then the time to load the whole store as the daemon does before READY (`--time-load`), and a
# cold evaluation from that store (`warnd eval --state-dir S --timings`: load + evaluate, one command).
#
#   BENCH_SCALES="183 2844"        counties per scale (province, national)
#   BENCH_DATA=/work/bench-data    use pre-generated data (<dir>/cN/{files,one}/…) instead of generating it
#   BENCH_SKIP_BUILD=1             reuse .build/release/warnd
#   BENCH_KEEP=1                   keep the stores under .build-bench/ingest-* (else removed after measuring)
#
# Generates into .build-bench/ (git-ignored) with `warnd generate --counties N --rules-layout shared`
# (and `--one-file`). Wall time and peak RSS from /usr/bin/time -v; store size = du of warnd.sqlite + its WAL.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

SCALES=${BENCH_SCALES:-"183 2844"}
DIR=.build-bench
BIN=.build/release/warnd

if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    swift build -c release --product warnd >&2
fi
mkdir -p "$DIR"

# run CMD…: runs CMD under /usr/bin/time -v; sets WALL (s), RSS (MiB); the command's stdout goes to $DIR/last.out.
run() {
    local log="$DIR/last.time"
    /usr/bin/time -v "$@" >"$DIR/last.out" 2>"$log" || { cat "$log" >&2; echo "bench: failed: $*" >&2; exit 1; }
    WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log")
    RSS=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
}

data_for() { # data_for N: sets SRC to the directory holding files/ and one/ for N counties
    local n=$1
    if [ -n "${BENCH_DATA:-}" ] && [ -f "$BENCH_DATA/c$n/.done" ]; then SRC="$BENCH_DATA/c$n"; return; fi
    # The same folder as scripts/bench.sh and bench-daemon.sh, so `make bench` generates each scale once.
    SRC="$DIR/shared-c$n"
    if [ ! -f "$SRC/.done" ]; then
        rm -rf "$SRC"
        "$BIN" generate --counties "$n" --rules-layout shared --out "$SRC/files" >&2
        "$BIN" generate --counties "$n" --rules-layout shared --out "$SRC/one" --one-file >/dev/null 2>&1
        rm -rf "$SRC/one/rules"
        touch "$SRC/.done"
    fi
}

rows=()
for n in $SCALES; do
    case $n in 1) name=county ;; 183) name=province ;; 2844) name=national ;; *) name="c$n" ;; esac
    data_for "$n"
    for layout in one files; do
        state="$DIR/ingest-c$n-$layout"
        rm -rf "$state"
        mkdir -p "$state"
        files=("$SRC/$layout/data"/*)
        run "$BIN" import --no-evaluate --state-dir "$state" --rules "$SRC/files/rules" "${files[@]}"
        total=$(grep '^total:' "$DIR/last.out")
        nrows=$(sed -n 's/.*(\([0-9]*\) rows).*/\1/p' <<<"$total")
        secs=$(sed -n 's/.*; \([0-9.]*\) s, .*/\1/p' <<<"$total")
        cpu=$(sed -n 's/.*; cpu \([0-9.]*\) s$/\1/p' <<<"$total")
        cpurps=$(awk -v r="$nrows" -v s="$cpu" 'BEGIN { printf "%.0f", (s > 0 ? r / s : 0) }')
        rps=$(awk -v r="$nrows" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? r / s : 0) }')
        wrps=$(awk -v r="$nrows" -v s="$WALL" 'BEGIN { printf "%.0f", (s > 0 ? r / s : 0) }')
        wal=$(stat -c %s "$state/warnd.sqlite-wal" 2>/dev/null || echo 0)
        bytes=$(( $(stat -c %s "$state/warnd.sqlite") + wal ))
        bpr=$(awk -v b="$bytes" -v r="$nrows" 'BEGIN { printf "%.0f", (r > 0 ? b / r : 0) }')
        ingest_rss=$RSS
        ingest_wall=$WALL
        run "$BIN" import --state-dir "$state" --rules "$SRC/files/rules" --time-load
        load=$(sed -n 's/^load: .* in \([0-9.]*\) s; .*/\1/p' "$DIR/last.out")
        loadcpu=$(sed -n 's/^load: .*; cpu \([0-9.]*\) s$/\1/p' "$DIR/last.out")
        load_wall=$WALL
        load_rss=$RSS
        # Cold evaluation from the store: what the daemon does before READY, as one command (load + evaluate).
        run "$BIN" eval --rules "$SRC/files/rules" --state-dir "$state" --now 2025-07-01 --format json --timings
        cold_load=$(sed -n 's/.* load_ms=\([0-9.]*\) .*/\1/p' "$DIR/last.time")
        cold_eval=$(sed -n 's/.* eval_ms=\([0-9.]*\) .*/\1/p' "$DIR/last.time")
        rows+=("$(printf '%-9s %-6s %6s %9s %8s %10s %7s %11s %10s %8s %9s %5s %7s %8s %8s %8s %8s %8s %7s %7s' "$name" \
            "$layout" "${#files[@]}" "$nrows" "$secs" "$rps" "$cpu" "$cpurps" "$wrps" "$ingest_rss" "$((bytes / 1048576))" \
            "$bpr" "$load" "$loadcpu" "$load_wall" "$load_rss" "$cold_load" "$cold_eval" "$WALL" "$RSS")")
        echo "${rows[-1]}" >&2
        [ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$state"
    done
done

echo
echo "warnd import into an empty store (release build; $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-9s %-6s %6s %9s %8s %10s %7s %11s %10s %8s %9s %5s %7s %8s %8s %8s %8s %8s %7s %7s\n' scale layout files \
    rows import_s rows/s cpu_s rows/cpu_s wall_rows/s rss_MiB store_MiB B/row load_s load_cpu load_wall load_rss \
    cold_load_ms cold_eval_ms cold_s cold_rss
for r in "${rows[@]}"; do echo "$r"; done
echo
echo "import_s/rows/s: read + hash + parse + validate + commit of all files (warnd's own clock, rules loading"
echo "excluded); cpu_s: user+sys CPU of that part, both cores (rows/cpu_s is immune to other load on the machine);"
echo "wall_rows/s: the whole process; store = warnd.sqlite + WAL; load_s/load_cpu: Store.loadDataset() of the whole"
echo "store (what the daemon does before READY); load_wall/load_rss: that process (rules loading included)."
echo "cold_*: \`warnd eval --state-dir S --now 2025-07-01 --format json --timings\` (the store read-only, loaded on"
echo "every core, then every rule evaluated): load and eval ms on warnd's clock, the whole process's wall s and RSS."
