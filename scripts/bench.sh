#!/usr/bin/env bash
# make bench: warnd at county, province and national scale (issue 4; figures in BENCHMARKS.md).
#
# Builds the release binary (unless BENCH_SKIP_BUILD=1), generates synthetic rules and data with
# `warnd generate` under .build-bench/ (git-ignored; reused when already there for the same scale), and times
# `warnd eval` cold (rules + parse + evaluation, from the files) with its --timings split, per data layout:
# many county files and one big file. Peak RSS comes from /usr/bin/time -v. Prints a table; writes nothing in
# the repository outside .build-bench/.
#
#   BENCH_SCALES="1 183 2844"   counties per scale (county, province, national)
#   BENCH_NOW=2025-07-01        the evaluation day
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

SCALES=${BENCH_SCALES:-"1 183 2844"}
NOW=${BENCH_NOW:-2025-07-01}
DIR=.build-bench
BIN=.build/release/warnd

if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
    swift build -c release >&2
fi
mkdir -p "$DIR"

# run LABEL CMD…: runs CMD under /usr/bin/time -v; sets WALL (s), RSS (MiB), TIMINGS (warnd's stderr timings line).
run() {
    local log="$DIR/last.time"
    /usr/bin/time -v "$@" >/dev/null 2>"$log" || { cat "$log" >&2; echo "bench: failed: $*" >&2; exit 1; }
    WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log")
    RSS=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
    TIMINGS=$(grep '^timings:' "$log" || true)
}
field() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p" <<<"$TIMINGS"; }

rows=()
for n in $SCALES; do
    case $n in 1) name=county ;; 183) name=province ;; 2844) name=national ;; *) name="$n counties" ;; esac
    out="$DIR/c$n"
    if [ ! -f "$out/.done" ]; then
        rm -rf "$out"
        /usr/bin/time -f '%e' -o "$DIR/gen.time" "$BIN" generate --counties "$n" --out "$out/files" >&2
        "$BIN" generate --counties "$n" --out "$out/one" --one-file 2>/dev/null
        rm -rf "$out/one/rules" # the same as files/rules
        cp "$DIR/gen.time" "$out/gen.time"
        touch "$out/.done"
    fi
    "$BIN" check "$out/files/rules" >/dev/null

    for layout in files one; do
        run "$BIN" eval --rules "$out/files/rules" --data "$out/$layout/data" --now "$NOW" --format json --timings
        parse=$(field parse_ms); eval_ms=$(field eval_ms); rules_ms=$(field rules_ms)
        points=$(field points); series=$(field series); nrules=$(field rules)
        datamb=$(du -sm "$out/$layout/data" | cut -f1)
        rps=$(awk -v p="$points" -v ms="$parse" 'BEGIN { printf "%.0f", (ms > 0 ? p / (ms / 1000) : 0) }')
        rows+=("$(printf '%-9s %-6s %7s %8s %9s %5s %9s %10s %10s %11s %8s %7s' \
            "$name" "$layout" "$nrules" "$series" "$points" "$datamb" "$rules_ms" "$parse" "$rps" "$eval_ms" "$WALL" "$RSS")")
        echo "${rows[-1]}" >&2
    done
done

echo
echo "warnd eval, cold from CSV files (release build; $(nproc) cores; now=$NOW)"
printf '%-9s %-6s %7s %8s %9s %5s %9s %10s %10s %11s %8s %7s\n' \
    scale layout rules series rows MB rules_ms parse_ms parse_rows/s eval_ms wall_s rss_MiB
for r in "${rows[@]}"; do echo "$r"; done
echo
echo "layout: files = one CSV per county, one = a single CSV; rows = observations parsed; parse rows/s includes"
echo "validation; eval_ms = all rules over all series in memory (warm); wall_s = the whole process (cold)."
