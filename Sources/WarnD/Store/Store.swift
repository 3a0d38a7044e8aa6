import Foundation
import GRDB
import Rules

/// warnd's SQLite store: observations with their provenance, submissions, alert state and the alert event history.
///
/// WAL so readers never block the writer; `synchronous = FULL` so a commit that returned survives a power cut;
/// every submission is stored in one transaction (all its rows or none). The schema is in `docs/store.md`.
final class Store: Sendable {
    let pool: DatabasePool
    let path: String

    init(path: String) throws {
        self.path = path
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        config.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: config)
        try Self.migrator.migrate(pool)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
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
                """)
        }
        return m
    }

    // MARK: series keys

    /// `indicator ␟ region ␟ {"dimension":"value",…}`: unambiguous because the indicator id has no ␟ and the JSON
    /// object, last, escapes control characters.
    static func encode(_ key: SeriesKey) -> (key: String, dimensions: String) {
        let dims = dimensionsJSON(key.dimensionMap)
        return (key.indicator + "\u{1F}" + key.region + "\u{1F}" + dims, dims)
    }

    static func dimensionsJSON(_ d: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(d), as: UTF8.self)
    }

    static func decodeKey(indicator: String, region: String, dimensions: String) -> SeriesKey {
        let d = (try? JSONDecoder().decode([String: String].self, from: Data(dimensions.utf8))) ?? [:]
        return SeriesKey(indicator: indicator, region: region, dimensions: d)
    }

    static func decodeKey(_ encoded: String) -> SeriesKey? {
        let parts = encoded.split(separator: "\u{1F}", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let last = parts[1].lastIndex(of: "\u{1F}") else { return nil }
        return decodeKey(indicator: String(parts[0]), region: String(parts[1][..<last]),
            dimensions: String(parts[1][parts[1].index(after: last)...]))
    }

    // MARK: submissions

    struct SubmissionRecord: Sendable, Equatable {
        var id: Int64
        var name: String
        var receivedAt: String
        var rows: Int
    }

    func submission(sha256: String) throws -> SubmissionRecord? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT id, name, received_at, rows FROM submission WHERE sha256 = ?",
                arguments: [sha256]).map {
                    SubmissionRecord(id: $0["id"], name: $0["name"], receivedAt: $0["received_at"], rows: $0["rows"])
                }
        }
    }

    /// Stores a whole submission in one transaction; a later value for the same series and period replaces the
    /// earlier one, which is kept in `observation_revision` with the submission that supplied it.
    @discardableResult
    func accept(_ observations: [Observation], name: String, sha256: String, receivedAt: String, format: String,
        encoding: String) throws -> (rows: Int, series: Set<SeriesKey>)
    {
        let series = Set(observations.map(\.key))
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO submission (sha256, name, received_at, rows, series, format, encoding)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [sha256, name, receivedAt, observations.count, series.count, format, encoding])
            let submission = db.lastInsertedRowID
            let revise = try db.cachedStatement(sql: """
                INSERT INTO observation_revision (series_key, period, value, submission_id, replaced_by)
                SELECT series_key, period, value, submission_id, ? FROM observation WHERE series_key = ? AND period = ?
                """)
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO observation (series_key, period, indicator, region, dimensions, value, submission_id, line,
                    source, note)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (series_key, period) DO UPDATE SET value = excluded.value,
                    submission_id = excluded.submission_id, line = excluded.line, source = excluded.source,
                    note = excluded.note
                """)
            var encoded: [SeriesKey: (key: String, dimensions: String)] = [:]
            for o in observations {
                let k = encoded[o.key] ?? Self.encode(o.key)
                encoded[o.key] = k
                let period = o.period.description
                try revise.execute(arguments: [submission, k.key, period])
                try upsert.execute(arguments: [k.key, period, o.key.indicator, o.key.region, k.dimensions, o.value,
                    submission, o.location?.line, o.source, o.note])
            }
        }
        return (observations.count, series)
    }

    /// Every stored observation as a dataset (what the daemon evaluates).
    func loadDataset() throws -> Dataset {
        try pool.read { db in
            var data = Dataset()
            let rows = try Row.fetchCursor(db, sql: """
                SELECT indicator, region, dimensions, period, value FROM observation ORDER BY series_key, period
                """)
            var lastKey: (String, String, String)?
            var key = SeriesKey(indicator: "", region: "")
            while let row = try rows.next() {
                let ident: (String, String, String) = (row[0], row[1], row[2])
                if lastKey.map({ $0 != ident }) ?? true {
                    key = Self.decodeKey(indicator: ident.0, region: ident.1, dimensions: ident.2)
                    lastKey = ident
                }
                guard let period = Period(row[3] as String) else { continue }
                data.apply(Observation(key: key, period: period, value: row[4]))
            }
            return data
        }
    }

    func counts() throws -> (observations: Int, submissions: Int) {
        try pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM observation") ?? 0,
                try Int.fetchOne(db, sql: "SELECT count(*) FROM submission") ?? 0)
        }
    }

    /// Which submission supplied a value (provenance, for `warnd` tooling and tests).
    func provenance(of key: SeriesKey, period: Period) throws -> (value: Double?, submission: String)? {
        try pool.read { db in
            try Row.fetchOne(db, sql: """
                SELECT o.value, s.name FROM observation o JOIN submission s ON s.id = o.submission_id
                WHERE o.series_key = ? AND o.period = ?
                """, arguments: [Self.encode(key).key, period.description]).map { ($0[0], $0[1]) }
        }
    }

    // MARK: alert state

    struct Event: Sendable {
        var seq: Int64
        var at: String
        var alertID: String
        var change: String
        var payload: String
    }

    func alertRecords() throws -> [AlertTracker.Record] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, rule, plan, series_key, state, severity, message, since FROM alert")
                .compactMap { row in
                    guard let key = Self.decodeKey(row["series_key"]),
                        let state = AlertTracker.State(rawValue: row["state"]),
                        let severity = Severity(rawValue: row["severity"])
                    else { return nil }
                    return AlertTracker.Record(id: row["id"], rule: row["rule"], plan: row["plan"], key: key,
                        state: state, severity: severity, message: row["message"], since: row["since"])
                }
        }
    }

    /// Persists changed alert records and appends their events, in one transaction; returns the events with their
    /// sequence numbers.
    func record(_ changed: [AlertTracker.Record], events: [(at: String, alertID: String, change: String, rule: String,
        severity: String, payload: String)]) throws -> [Event]
    {
        try pool.write { db in
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO alert (id, rule, plan, series_key, state, severity, message, since)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET rule = excluded.rule, plan = excluded.plan, state = excluded.state,
                    severity = excluded.severity, message = excluded.message, since = excluded.since
                """)
            for r in changed {
                try upsert.execute(arguments: [r.id, r.rule, r.plan, Self.encode(r.key).key, r.state.rawValue,
                    r.severity.rawValue, r.message, r.since])
            }
            var out: [Event] = []
            for e in events {
                try db.execute(sql: """
                    INSERT INTO alert_event (at, alert_id, change, rule, severity, payload) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [e.at, e.alertID, e.change, e.rule, e.severity, e.payload])
                out.append(Event(seq: db.lastInsertedRowID, at: e.at, alertID: e.alertID, change: e.change, payload: e.payload))
            }
            return out
        }
    }

    func events(after seq: Int64) throws -> [Event] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT seq, at, alert_id, change, payload FROM alert_event WHERE seq > ? ORDER BY seq",
                arguments: [seq]).map { Event(seq: $0[0], at: $0[1], alertID: $0[2], change: $0[3], payload: $0[4]) }
        }
    }

    func meta(_ key: String) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    func setMeta(_ key: String, _ value: String) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                arguments: [key, value])
        }
    }
}
