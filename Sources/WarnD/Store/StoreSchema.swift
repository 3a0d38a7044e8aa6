import Foundation
import GRDB
import Rules

/// The store's migrations. `v1` is kept exactly as it shipped, so an old database migrates step by step and tests
/// can build a v1 database with `migrator.migrate(db, upTo: "v1")`.
enum StoreSchema {
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in try db.execute(sql: v1) }
        m.registerMigration("v2") { db in try migrateToV2(db) }
        return m
    }

    /// A period as the integer `year·1000 + kind·100 + sub` (kind 0 year, 1 quarter, 2 month): `2024000`,
    /// `2024103` (2024Q3), `2024207` (2024-07). An integer key is 4 bytes instead of a text, and orders a year's
    /// periods year, quarters, months.
    static func code(_ p: Period) -> Int64 {
        let kind: Int64 =
            switch p.granularity {
            case .year: 0
            case .quarter: 1
            case .month: 2
            }
        return Int64(p.year) * 1000 + kind * 100 + Int64(p.sub)
    }

    static func period(code: Int64) -> Period? {
        let year = Int(code / 1000)
        let sub = Int(code % 100)
        switch code % 1000 / 100 {
        case 0: return sub == 0 ? .year(year) : nil
        case 1: return (1...4).contains(sub) ? .quarter(year, sub) : nil
        case 2: return (1...12).contains(sub) ? .month(year, sub) : nil
        default: return nil
        }
    }

    /// SQL for the period text of an integer code column, for the `observation_text` view.
    private static func periodText(_ c: String) -> String {
        """
        CASE \(c) % 1000 / 100 WHEN 0 THEN CAST(\(c) / 1000 AS TEXT)
            WHEN 1 THEN (\(c) / 1000) || 'Q' || (\(c) % 100)
            ELSE (\(c) / 1000) || '-' || printf('%02d', \(c) % 100) END
        """
    }

    /// SQL for the integer code of a v1 period text (`2024`, `2024Q3`, `2024-07`).
    private static let periodCodeOfV1Text = """
        CASE WHEN length(o.period) = 4 THEN CAST(o.period AS INTEGER) * 1000
            WHEN substr(o.period, 5, 1) = 'Q' THEN CAST(substr(o.period, 1, 4) AS INTEGER) * 1000 + 100
                + CAST(substr(o.period, 6) AS INTEGER)
            ELSE CAST(substr(o.period, 1, 4) AS INTEGER) * 1000 + 200 + CAST(substr(o.period, 6) AS INTEGER) END
        """

    /// v2: each series' identity once in `series`; observations keyed by (series id, period code) in a
    /// WITHOUT ROWID table; row counts kept in `counter`. Every v1 row is carried over.
    static func migrateToV2(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE series (
                id INTEGER PRIMARY KEY,
                indicator TEXT NOT NULL,
                region TEXT NOT NULL,
                dimensions TEXT NOT NULL,
                UNIQUE (indicator, region, dimensions)
            );
            CREATE TEMP TABLE v1_series (series_key TEXT PRIMARY KEY, id INTEGER NOT NULL) WITHOUT ROWID;
            """)
        // The v1 dimensions were written by JSONEncoder; re-spell them the way v2 writes them, so that a series
        // stored before the upgrade is found again by later files.
        let insertSeries = try db.makeStatement(sql: "INSERT INTO series (indicator, region, dimensions) VALUES (?, ?, ?)")
        let insertMap = try db.makeStatement(sql: "INSERT INTO v1_series (series_key, id) VALUES (?, ?)")
        let keys = try Row.fetchAll(db, sql: """
            SELECT series_key, indicator, region, dimensions FROM observation GROUP BY series_key
            UNION SELECT series_key, NULL, NULL, NULL FROM observation_revision
                WHERE series_key NOT IN (SELECT series_key FROM observation) GROUP BY series_key
            """)
        for row in keys {
            let encoded: String = row[0]
            let key: SeriesKey?
            if let indicator: String = row[1] {
                key = SeriesKey(indicator: indicator, region: row[2], dimensions: DimensionsJSON.decode(row[3]) ?? [:])
            } else {
                key = Store.decodeKey(encoded)
            }
            guard let key else { continue }
            try insertSeries.execute(arguments: [key.indicator, key.region, DimensionsJSON.encode(key.dimensions)])
            try insertMap.execute(arguments: [encoded, db.lastInsertedRowID])
        }
        try db.execute(sql: """
            CREATE TABLE observation_v2 (
                series_id INTEGER NOT NULL,
                period INTEGER NOT NULL,
                value REAL,
                submission_id INTEGER NOT NULL,
                line INTEGER,
                source TEXT,
                note TEXT,
                PRIMARY KEY (series_id, period)
            ) WITHOUT ROWID;
            INSERT INTO observation_v2 (series_id, period, value, submission_id, line, source, note)
                SELECT k.id, \(periodCodeOfV1Text), o.value, o.submission_id, o.line, o.source, o.note
                FROM observation o JOIN v1_series k ON k.series_key = o.series_key ORDER BY 1, 2;
            CREATE TABLE observation_revision_v2 (
                series_id INTEGER NOT NULL,
                period INTEGER NOT NULL,
                value REAL,
                submission_id INTEGER NOT NULL REFERENCES submission(id),
                replaced_by INTEGER NOT NULL REFERENCES submission(id)
            );
            INSERT INTO observation_revision_v2 (series_id, period, value, submission_id, replaced_by)
                SELECT k.id, \(periodCodeOfV1Text), o.value, o.submission_id, o.replaced_by
                FROM observation_revision o JOIN v1_series k ON k.series_key = o.series_key ORDER BY o.rowid;
            DROP TABLE observation;
            DROP TABLE observation_revision;
            DROP TABLE v1_series;
            ALTER TABLE observation_v2 RENAME TO observation;
            ALTER TABLE observation_revision_v2 RENAME TO observation_revision;
            CREATE INDEX observation_revision_key ON observation_revision(series_id, period);
            CREATE TABLE counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
            INSERT INTO counter (name, value) VALUES
                ('observations', (SELECT count(*) FROM observation)),
                ('submissions', (SELECT count(*) FROM submission)),
                ('revisions', (SELECT count(*) FROM observation_revision));
            CREATE VIEW observation_text AS
                SELECT s.indicator, s.region, s.dimensions, \(periodText("o.period")) AS period, o.value,
                    o.submission_id, o.line, o.source, o.note
                FROM observation o JOIN series s ON s.id = o.series_id;
            """)
    }

    static let v1 = """
        CREATE TABLE submission (
            id INTEGER PRIMARY KEY,
            sha256 TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            received_at TEXT NOT NULL,
            rows INTEGER NOT NULL,
            series INTEGER NOT NULL,
            format TEXT NOT NULL,
            encoding TEXT NOT NULL
        );
        CREATE TABLE observation (
            series_key TEXT NOT NULL,
            period TEXT NOT NULL,
            indicator TEXT NOT NULL,
            region TEXT NOT NULL,
            dimensions TEXT NOT NULL,
            value REAL,
            submission_id INTEGER NOT NULL REFERENCES submission(id),
            line INTEGER,
            source TEXT,
            note TEXT,
            PRIMARY KEY (series_key, period)
        ) WITHOUT ROWID;
        CREATE TABLE observation_revision (
            series_key TEXT NOT NULL,
            period TEXT NOT NULL,
            value REAL,
            submission_id INTEGER NOT NULL REFERENCES submission(id),
            replaced_by INTEGER NOT NULL REFERENCES submission(id)
        );
        CREATE INDEX observation_revision_key ON observation_revision(series_key, period);
        CREATE TABLE alert (
            id TEXT PRIMARY KEY,
            rule TEXT NOT NULL,
            plan TEXT NOT NULL,
            series_key TEXT NOT NULL,
            state TEXT NOT NULL,
            severity TEXT NOT NULL,
            message TEXT NOT NULL,
            since TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE alert_event (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            alert_id TEXT NOT NULL,
            change TEXT NOT NULL,
            rule TEXT NOT NULL,
            severity TEXT NOT NULL,
            payload TEXT NOT NULL
        );
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        """
}
