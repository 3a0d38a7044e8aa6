#!/usr/bin/env bash
# make bench: warnd at county, province and national scale (issue 4; figures in BENCHMARKS.md).
#
# Builds the release binary (unless BENCH_SKIP_BUILD=1), generates synthetic rules and data with
# `warnd generate --rules-layout shared` (the catalog and one file per plan listing every county, as a province or
# the nation monitors its counties against one plan) under .build-bench/ (git-ignored; reused when already there
# for the same scale), and times `warnd eval` cold (rules + parse + evaluation + JSON output, from the files) with
# its --timings split, per data layout: many county files and one big file. Peak RSS comes from /usr/bin/time -v.
# Then, once, the rules loading of the per-county layout (two plan files per county) at province scale, the YAML
# cost the shared layout avoids. Prints a table; writes nothing in the repository outside .build-bench/.
#
#   BENCH_SCALES="1 183 2844"   counties per scale (county, province, national)
#   BENCH_NOW=2025-07-01        the evaluation day
#   BENCH_DATA=DIR              use DIR/cN/{files,one} (made by `warnd generate --rules-layout shared`, complete
#                               when DIR/cN/.done exists) instead of generating into .build-bench/
#   BENCH_PER_COUNTY=183        counties of the per-county rules-loading figure; 0 to skip it
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

SCALES=${BENCH_SCALES:-"1 183 2844"}
NOW=${BENCH_NOW:-2025-07-01}
PER_COUNTY=${BENCH_PER_COUNTY:-183}
DIR=.build-bench
BIN=.build/release/warnd

if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    swift build -c release >&2
fi
mkdir -p "$DIR"

# run CMD…: runs CMD under /usr/bin/time -v; sets WALL (s), RSS (MiB), TIMINGS (warnd's stderr timings line).
run() {
    local log="$DIR/last.time"
    /usr/bin/time -v "$@" >/dev/null 2>"$log" || { cat "$log" >&2; echo "bench: failed: $*" >&2; exit 1; }
    WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log")
    RSS=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
    TIMINGS=$(grep '^timings:' "$log" || true)
}
field() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p" <<<"$TIMINGS"; }

# generate N OUT LAYOUT: rules and data for N counties in OUT/files and OUT/one, once.
generate() {
    local n=$1 out=$2 layout=$3
    if [ ! -f "$out/.done" ]; then
        rm -rf "$out"
        "$BIN" generate --counties "$n" --rules-layout "$layout" --out "$out/files" >&2
        if [ "$layout" = shared ]; then
            "$BIN" generate --counties "$n" --rules-layout "$layout" --out "$out/one" --one-file 2>/dev/null
            rm -rf "$out/one/rules" # the same as files/rules
        fi
        touch "$out/.done"
    fi
}

FMT='%-9s %-6s %7s %6s %8s %9s %5s %9s %9s %12s %9s %12s %8s %8s %8s\n'
rows=()
row() { rows+=("$(printf "$FMT" "$@")"); printf "$FMT" "$@" >&2; }

for n in $SCALES; do
    case $n in 1) name=county ;; 183) name=province ;; 2844) name=national ;; *) name="c$n" ;; esac
    if [ -n "${BENCH_DATA:-}" ]; then
        out="$BENCH_DATA/c$n"
        [ -f "$out/.done" ] || { echo "bench: $out/.done missing (BENCH_DATA)" >&2; exit 1; }
    else
        out="$DIR/shared-c$n"
        generate "$n" "$out" shared
    fi
    "$BIN" check "$out/files/rules" >/dev/null
    plans=$(ls "$out/files/rules" | grep -cv '^indicators' || true)

    for layout in files one; do
        run "$BIN" eval --rules "$out/files/rules" --data "$out/$layout/data" --now "$NOW" --format json --timings
        parse=$(field parse_ms)
        points=$(field points)
        rps=$(awk -v p="$points" -v ms="$parse" 'BEGIN { printf "%.0f", (ms > 0 ? p / (ms / 1000) : 0) }')
        row "$name" "$layout" "$(field rules)" "$plans" "$(field series)" "$points" "$(du -sm "$out/$layout/data" | cut -f1)" \
            "$(field rules_ms)" "$parse" "$rps" "$(field eval_ms)" "$(field eval_cpu_ms)" "$(field incremental_ms)" "$WALL" "$RSS"
    done
done

if [ "$PER_COUNTY" != 0 ]; then
    out="$DIR/percounty-c$PER_COUNTY"
    generate "$PER_COUNTY" "$out" per-county
    run "$BIN" eval --rules "$out/files/rules" --data "$out/files/data" --now "$NOW" --format json --timings
    plans=$(ls "$out/files/rules" | grep -cv '^indicators' || true)
    percounty=$(printf "$FMT" "c$PER_COUNTY" "files" "$(field rules)" "$plans" "$(field series)" "$(field points)" \
        "$(du -sm "$out/files/data" | cut -f1)" "$(field rules_ms)" "$(field parse_ms)" "" "$(field eval_ms)" "$(field eval_cpu_ms)" "$(field incremental_ms)" "$WALL" "$RSS")
fi

echo
echo "warnd eval, cold from CSV files, rules layout shared (release build; $(nproc) cores; now=$NOW; load $(cut -d' ' -f1-3 /proc/loadavg))"
printf "$FMT" scale layout rules plans series rows MB rules_ms parse_ms parse_rows/s eval_ms eval_cpu_ms incr_ms wall_s rss_MiB
for r in "${rows[@]}"; do echo "$r"; done
if [ -n "${percounty:-}" ]; then
    echo
    echo "the same data with the per-county rules layout (two plan files per county): rules_ms is the YAML cost"
    printf "$FMT" scale layout rules plans series rows MB rules_ms parse_ms parse_rows/s eval_ms eval_cpu_ms incr_ms wall_s rss_MiB
    echo "$percounty"
fi
echo
echo "layout: files = one CSV per county, one = a single CSV; rows = observations parsed; parse rows/s includes"
echo "validation and applying to the dataset; eval_ms = all rules over all series in memory (warm, both cores),"
echo "eval_cpu_ms its CPU time (all threads; steadier than eval_ms on a shared machine); incr_ms = an incremental"
echo "evaluation of one county's series (what the daemon redoes per county file);"
echo "wall_s = the whole process, cold from the files, including the JSON output; rss_MiB = its peak."
