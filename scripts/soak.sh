#!/bin/bash
# Soak run (`make soak`, not in CI): the daemon under a steady stream of submissions for SOAK_MINUTES (default 30).
#
# Each round replays the example data as the five regions would have submitted it: year by year, 2018 to 2024,
# one file per plan and year (70 files a round), while the daemon re-evaluates everything every second (the
# hourly schedule in fast-forward). Rounds repeat, each file carrying the round in its `note` column, so every
# submission is new to the store (a revision with the same values). Every 10 s the daemon's RSS and open file
# descriptors are sampled into $OUT/samples.csv.
#
# Passes when, after the first 5 minutes, RSS stays within 1.5× of its 5-minute value and the descriptor count
# within +10, and the daemon's active.json holds the same alerts (rule and series) as a one-shot `warnd eval` of
# the same data on the same day. Exit 0 pass, 1 fail.
set -euo pipefail
cd "$(dirname "$0")/.."

MINUTES=${SOAK_MINUTES:-30}
OUT=${SOAK_DIR:-.build-soak}
BIN=${WARND_BIN:-.build/debug/warnd}
[ -x "$BIN" ] || { echo "soak: build first (swift build)"; exit 1; }
command -v python3 >/dev/null || { echo "soak: needs python3"; exit 1; }

rm -rf "$OUT" && mkdir -p "$OUT/state" "$OUT/files"
cat >"$OUT/warnd.yaml" <<EOF
state_directory: $PWD/$OUT/state
rules: $PWD/rules
log: stderr
evaluation_interval: 1s
settle: 100ms
poll_interval: 1s
EOF
TODAY=$(date -u +%F)

"$BIN" run --config "$OUT/warnd.yaml" --now "$TODAY" 2>"$OUT/daemon.log" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -f "$OUT/state/reload.json" ] && break; sleep 0.1; done

echo "elapsed_s,rss_kib,fds,archived" >"$OUT/samples.csv"
sample() {
    local rss fds arch
    rss=$(awk '/^VmRSS:/ {print $2}' /proc/$PID/status)
    fds=$(ls /proc/$PID/fd | wc -l)
    arch=$(ls "$OUT/state/archive" 2>/dev/null | wc -l)
    echo "$SECONDS,$rss,$fds,$arch" >>"$OUT/samples.csv"
}

# The example files, split by year and re-encoded as UTF-8 CSV (python: the GB18030 and JSONL files too).
python3 - "$OUT/files" <<'PY'
import csv, json, os, sys, glob
out = sys.argv[1]
for path in sorted(glob.glob("examples/data/*.csv") + glob.glob("examples/data/*.jsonl")):
    base = os.path.splitext(os.path.basename(path))[0]
    rows = []
    if path.endswith(".jsonl"):
        for line in open(path, encoding="utf-8"):
            if line.strip():
                o = json.loads(line)
                rows.append((o["indicator"], o["region"], str(o["period"]), "" if o.get("value") is None else str(o["value"]), o.get("dimensions") or {}))
    else:
        raw = open(path, "rb").read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("gb18030")
        reader = csv.DictReader(text.splitlines())
        for r in reader:
            dims = {k: v for k, v in r.items() if k not in ("indicator", "region", "period", "value", "source", "note") and v}
            rows.append((r["indicator"], r["region"], r["period"], r["value"], dims))
    names = sorted({k for *_, d in rows for k in d})
    for year in sorted({p[:4] for _, _, p, _, _ in rows}):
        with open(os.path.join(out, f"{year}-{base}.csv"), "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["indicator", "region", "period", "value"] + names + ["note"])
            for ind, reg, per, val, d in rows:
                if per.startswith(year):
                    w.writerow([ind, reg, per, val] + [d.get(n, "") for n in names] + ["ROUND"])
PY

round=0
END=$((SECONDS + MINUTES * 60))
next_sample=0
while [ $SECONDS -lt $END ]; do
    round=$((round + 1))
    for f in $(ls "$OUT/files" | sort); do
        sed "s/ROUND\$/round $round/" "$OUT/files/$f" >"$OUT/r$round-$f"
        "$BIN" ingest --state-dir "$OUT/state" "$OUT/r$round-$f" >/dev/null
        rm -f "$OUT/r$round-$f"
        if [ $SECONDS -ge $next_sample ]; then sample; next_sample=$((SECONDS + 10)); fi
        [ $SECONDS -lt $END ] || break
    done
done
# Let the inbox drain, then one last sample.
for _ in $(seq 300); do [ -z "$(ls "$OUT/state/inbox")" ] && break; sleep 0.2; done
sleep 2
sample
kill -TERM $PID; wait $PID || true
trap - EXIT

"$BIN" eval --rules rules --data examples/data --now "$TODAY" --format json >"$OUT/oneshot.json"
python3 - "$OUT" "$MINUTES" "$round" <<'PY'
import csv, json, sys
out, minutes, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = list(csv.DictReader(open(f"{out}/samples.csv")))
ref = next((r for r in rows if int(r["elapsed_s"]) >= min(300, minutes * 60 // 2)), rows[0])
last = rows[-1]
rss_ok = int(last["rss_kib"]) <= 1.5 * int(ref["rss_kib"])
fds_ok = int(last["fds"]) <= int(ref["fds"]) + 10
key = lambda a: (a["rule"], a["region"], json.dumps(a["dimensions"], sort_keys=True))
daemon = {key(a) for a in json.load(open(f"{out}/state/alerts/active.json"))["alerts"]}
oneshot = {key(a) for a in json.load(open(f"{out}/oneshot.json"))["alerts"]}
same = daemon == oneshot
print(f"soak: {minutes} min, {rounds} rounds, {last['archived']} files archived")
print(f"soak: RSS {ref['rss_kib']} KiB at {ref['elapsed_s']} s -> {last['rss_kib']} KiB at {last['elapsed_s']} s "
      f"(max {max(int(r['rss_kib']) for r in rows)}): {'flat' if rss_ok else 'GROWING'}")
print(f"soak: fds {ref['fds']} -> {last['fds']}: {'flat' if fds_ok else 'GROWING'}")
print(f"soak: alerts daemon {len(daemon)}, one-shot eval {len(oneshot)}: {'same' if same else 'DIFFERENT'}")
if not same:
    print("  only daemon:", sorted(daemon - oneshot)[:10]); print("  only eval:", sorted(oneshot - daemon)[:10])
sys.exit(0 if rss_ok and fds_ok and same else 1)
PY
