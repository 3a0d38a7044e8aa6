#!/usr/bin/env bash
# SQLite's own insert rate on this machine, for BENCHMARKS.md: warnd's `observation` table (WITHOUT ROWID, primary
# key (series, period)), WAL, synchronous = FULL, filled by SQLite itself from a recursive CTE in one transaction —
# no parsing, no binding from an application. What `warnd import` of one large file can at best approach. Also the
# same with journal_mode = OFF and synchronous = OFF plus an fsync at the end: the bound of a loader that builds a
# new database aside and renames it into place.
#
#   BENCH_ROWS=11831040 bash scripts/bench-sqlite-ceiling.sh     # the national scale's row count (default)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${BENCH_ROWS:-11831040}
DIR=.build-bench/sqlite-ceiling
mkdir -p "$DIR"
rm -f "$DIR"/c.db "$DIR"/c.db-wal "$DIR"/c.db-shm
# ceiling JOURNAL SYNC LABEL: fills a new database with the given journal mode and sync level and prints the rate.
ceiling() {
    rm -f "$DIR"/c.db "$DIR"/c.db-wal "$DIR"/c.db-shm
    local start end
    start=$(date +%s.%N)
    sqlite3 "$DIR/c.db" >/dev/null <<SQL
PRAGMA journal_mode = $1;
PRAGMA synchronous = $2;
PRAGMA cache_size = -65536;
CREATE TABLE observation (series_id INTEGER NOT NULL, period INTEGER NOT NULL, value REAL,
    submission_id INTEGER NOT NULL, line INTEGER, source TEXT, note TEXT, PRIMARY KEY (series_id, period)) WITHOUT ROWID;
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < $ROWS - 1)
INSERT INTO observation SELECT i / 13, 2018000 + (i % 13) * 1000, i * 0.25, 1, i + 2, 'synthetic', NULL FROM c;
COMMIT;
SQL
    # A database built aside must still reach the disk before it is renamed into place.
    [ "$2" = OFF ] && sync "$DIR/c.db"
    end=$(date +%s.%N)
    awk -v r="$ROWS" -v s="$start" -v e="$end" -v v="$(sqlite3 --version | cut -d' ' -f1)" -v l="$3" 'BEGIN {
        printf "SQLite %s alone: %d rows inserted and committed in %.2f s = %.0f rows/s (one transaction, %s)\n",
            v, r, e - s, r / (e - s), l }'
}

ceiling WAL FULL "WAL, synchronous=FULL: the store as warnd opens it"
ceiling OFF OFF "journal_mode=OFF, synchronous=OFF, then fsync: a new database built aside for a bulk load"
rm -f "$DIR"/c.db "$DIR"/c.db-wal "$DIR"/c.db-shm
