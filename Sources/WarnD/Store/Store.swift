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
    private let lock: StoreLock
    /// Copies the log into the database off the committing thread, when the store was opened with an interval.
    let checkpointer: WALCheckpointer?

    /// Opens (creating or migrating) the store. `exclusive` is for `warnd import`: it fails at once when any other
    /// process has the store open, and keeps everyone else out while it runs (see ``StoreLock``).
    ///
    /// `readOnly` is for `warnd eval --state-dir`: it never writes (no migration; a store of an older schema, or no
    /// store, is an error), so it can read a running daemon's store beside it.
    ///
    /// `checkpointInterval` is for the daemon: the log is copied into the database every interval by a
    /// ``WALCheckpointer`` instead of by whichever commit crosses SQLite's threshold.
    init(path: String, exclusive: Bool = false, readOnly: Bool = false, checkpointInterval: Duration? = nil) throws {
        self.path = path
        if readOnly, !FileManager.default.fileExists(atPath: path) { throw StoreError.missing(path: path) }
        lock = try StoreLock(databasePath: path, exclusive: exclusive)
        var config = Configuration()
        config.readonly = readOnly
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            if checkpointInterval != nil { try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
            // Big files rewrite many pages in one transaction; a larger page cache keeps them out of the WAL
            // until commit (the default 2 MB spills mid-transaction). 16 MiB, not more: each connection keeps its
            // cache for good, and at 64 MiB the daemon's RSS doubled over a 30-minute soak as the cache filled.
            try db.execute(sql: "PRAGMA cache_size = -16384")
        }
        config.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: config)
        if readOnly {
            guard try pool.read({ db in try Self.migrator.hasCompletedMigrations(db) }) else {
                throw StoreError.outdated(path: path)
            }
        } else {
            try Self.migrator.migrate(pool)
        }
        checkpointer = try checkpointInterval.map { try WALCheckpointer(path: path, interval: $0) }
    }

    static var migrator: DatabaseMigrator { StoreSchema.migrator }

    // MARK: series keys

    /// `indicator ␟ region ␟ {"dimension":"value",…}`: unambiguous because the indicator id has no ␟ and the JSON
    /// object, last, escapes control characters. The alert table names series this way.
    static func encode(_ key: SeriesKey) -> (key: String, dimensions: String) {
        let dims = DimensionsJSON.encode(key.dimensions)
        return (key.indicator + "\u{1F}" + key.region + "\u{1F}" + dims, dims)
    }

    static func decodeKey(indicator: String, region: String, dimensions: String) -> SeriesKey {
        SeriesKey(indicator: indicator, region: region, dimensions: DimensionsJSON.decode(dimensions) ?? [:])
    }

    /// Cut at the UTF-8 bytes of the separators: U+001F is one byte that no multi-byte sequence contains, and a
    /// split by `Character` walked grapheme boundaries through every Chinese region name — at a national restart
    /// (≈ 520 000 alert rows) that was two thirds of reading the alert state.
    static func decodeKey(_ encoded: String) -> SeriesKey? {
        let bytes = encoded.utf8
        guard let first = bytes.firstIndex(of: 0x1F), let last = bytes.lastIndex(of: 0x1F), first != last else {
            return nil
        }
        return decodeKey(indicator: String(encoded[..<first]), region: String(encoded[bytes.index(after: first)..<last]),
            dimensions: String(encoded[bytes.index(after: last)...]))
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
        try accept(ObservationTable(observations), name: name, sha256: sha256, receivedAt: receivedAt, format: format,
            encoding: encoding)
    }

    /// ``accept(_:name:sha256:receivedAt:format:encoding:)`` for a parsed file's table, without building an
    /// `Observation` per row: the bulk path.
    @discardableResult
    func accept(_ table: ObservationTable, name: String, sha256: String, receivedAt: String, format: String,
        encoding: String) throws -> (rows: Int, series: Set<SeriesKey>)
    {
        let series = Set(table.keys)
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO submission (sha256, name, received_at, rows, series, format, encoding)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [sha256, name, receivedAt, table.count, series.count, format, encoding])
            let submission = db.lastInsertedRowID
            let (added, revised, _) = try ObservationWriter.write(table, submission: submission, db)
            try db.execute(sql: """
                UPDATE counter SET value = value + CASE name WHEN 'observations' THEN ? WHEN 'revisions' THEN ?
                    WHEN 'submissions' THEN 1 ELSE 0 END
                """, arguments: [added, revised])
        }
        return (table.count, series)
    }

    /// Stores one file given in parts (a big file parsed part by part) in one transaction, like
    /// ``accept(_:name:sha256:receivedAt:format:encoding:)-(ObservationTable,_,_,_,_,_)``. `produce` runs inside
    /// the transaction and hands each part to the closure it is given (on the calling thread); if it throws, or a
    /// series and period repeat across parts (``StoreError/repeatedInSubmission``), nothing is stored.
    @discardableResult
    ///
    /// `sha256` is asked for at the end, so the hash can be computed while the parts are stored; a file already
    /// stored throws ``StoreError/duplicate(of:)`` then (and nothing is stored).
    func accept(
        parts produce: (_ store: (ObservationTable) throws -> Void) throws -> Void, name: String,
        sha256: () -> String, receivedAt: String, format: String, encoding: String
    ) throws -> (rows: Int, series: Int) {
        try pool.write { db in
            // A placeholder until the hash is known (the column is unique and never holds a real hash like it).
            try db.execute(sql: """
                INSERT INTO submission (sha256, name, received_at, rows, series, format, encoding)
                VALUES ('pending ' || lower(hex(randomblob(16))), ?, ?, 0, 0, ?, ?)
                """, arguments: [name, receivedAt, format, encoding])
            let submission = db.lastInsertedRowID
            var rows = 0
            var added = 0
            var revised = 0
            var series = Set<Int64>()
            try produce { table in
                let result = try ObservationWriter.write(table, submission: submission, partOfSubmission: true, db)
                rows += table.count
                added += result.added
                revised += result.revised
                series.formUnion(result.seriesIDs)
            }
            let hash = sha256()
            if let earlier = try String.fetchOne(db, sql: "SELECT name FROM submission WHERE sha256 = ?", arguments: [hash]) {
                throw StoreError.duplicate(of: earlier)
            }
            try db.execute(sql: "UPDATE submission SET sha256 = ?, rows = ?, series = ? WHERE id = ?",
                arguments: [hash, rows, series.count, submission])
            try db.execute(sql: """
                UPDATE counter SET value = value + CASE name WHEN 'observations' THEN ? WHEN 'revisions' THEN ?
                    WHEN 'submissions' THEN 1 ELSE 0 END
                """, arguments: [added, revised])
            return (rows, series.count)
        }
    }

    /// Every stored observation as a dataset (what the daemon evaluates), read on every core.
    func loadDataset() throws -> Dataset {
        try DatasetReader.read(pool)
    }

    /// The same, read in `parts` ranges of series (tests compare the parallel load with a serial one).
    func loadDataset(parts: Int) throws -> Dataset {
        try DatasetReader.read(pool, parts: parts)
    }

    /// The submissions counter: bumped by every committed submission, so it tells the store's data states apart
    /// (``DatasetSnapshot`` is valid only at the value it was written at).
    func submissionsCounter() throws -> Int64 {
        try pool.read { db in try DatasetReader.submissions(db) }
    }

    /// The submissions counter and the id of the last submission, read together: what a ``DatasetSnapshot``
    /// records of the data it holds.
    func submissionsMark() throws -> (count: Int64, lastID: Int64) {
        try pool.read { db in
            (try DatasetReader.submissions(db), try Int64.fetchOne(db, sql: "SELECT max(id) FROM submission") ?? 0)
        }
    }

    /// How many rows the submissions after `id` stored (as each counted them: new, revised and withdrawn values).
    func rows(storedAfter id: Int64) throws -> Int {
        try pool.read { db in
            try Int.fetchOne(db, sql: "SELECT coalesce(sum(rows), 0) FROM submission WHERE id > ?", arguments: [id]) ?? 0
        }
    }

    /// The values the submissions after `id` set, as they stand (`nil` where withdrawn), with their keys: what a
    /// dataset as of submission `id` lacks. Submission ids only grow, and a stored value carries the submission
    /// that last set it, so these are exactly the cells changed since. One pass over the observations that reads
    /// one column of each (≈ 0.7 s for 11.8 M rows), against ≈ 2.5 s to load them all.
    func observations(storedAfter id: Int64) throws -> [Observation] {
        try pool.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT s.indicator, s.region, s.dimensions, o.period, o.value
                FROM observation o JOIN series s ON s.id = o.series_id
                WHERE o.submission_id > ?
                ORDER BY o.series_id, o.period
                """, arguments: [id])
            var out: [Observation] = []
            var last: (indicator: String, region: String, dimensions: String, key: SeriesKey)?
            while let row = try rows.next() {
                let indicator: String = row[0], region: String = row[1], dimensions: String = row[2]
                let key: SeriesKey
                if let l = last, l.indicator == indicator, l.region == region, l.dimensions == dimensions {
                    key = l.key
                } else {
                    key = Self.decodeKey(indicator: indicator, region: region, dimensions: dimensions)
                    last = (indicator, region, dimensions, key)
                }
                guard let period = StoreSchema.period(code: row[3]) else { continue }
                out.append(Observation(key: key, period: period, value: row[4]))
            }
            return out
        }
    }

    /// Reads every stored observation without building anything (for `warnd import --time-load`).
    func scanObservations() throws {
        _ = try pool.read { db in try DatasetReader.scan(db) }
    }

    /// Rows and submissions stored, from counters kept in each submission's transaction: O(1), whatever the size.
    func counts() throws -> (observations: Int, submissions: Int) {
        try pool.read { db in
            var c: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, value FROM counter") { c[row[0]] = row[1] }
            return (c["observations"] ?? 0, c["submissions"] ?? 0)
        }
    }

    /// Which submission supplied a value (provenance, for `warnd` tooling and tests).
    func provenance(of key: SeriesKey, period: Period) throws -> (value: Double?, submission: String)? {
        try pool.read { db in
            try Row.fetchOne(db, sql: """
                SELECT o.value, sub.name FROM series s
                JOIN observation o ON o.series_id = s.id
                JOIN submission sub ON sub.id = o.submission_id
                WHERE s.indicator = ? AND s.region = ? AND s.dimensions = ? AND o.period = ?
                """, arguments: [key.indicator, key.region, DimensionsJSON.encode(key.dimensions),
                    StoreSchema.code(period)]).map { ($0[0], $0[1]) }
        }
    }

    /// The values of one series and period that later submissions replaced, oldest first, with the submission that
    /// supplied each and the one that replaced it.
    func revisions(of key: SeriesKey, period: Period) throws -> [(value: Double?, submission: String, replacedBy: String)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.value, a.name, b.name FROM series s
                JOIN observation_revision r ON r.series_id = s.id
                JOIN submission a ON a.id = r.submission_id
                JOIN submission b ON b.id = r.replaced_by
                WHERE s.indicator = ? AND s.region = ? AND s.dimensions = ? AND r.period = ?
                ORDER BY r.rowid
                """, arguments: [key.indicator, key.region, DimensionsJSON.encode(key.dimensions),
                    StoreSchema.code(period)]).map { ($0[0], $0[1], $0[2]) }
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
        try pool.read { db in try AlertRecordReader.read(db) }
    }

    /// One event to append: `payload` is the alert object's compact JSON.
    struct NewEvent {
        var at: String
        var alertID: String
        var change: String
        var rule: String
        var severity: String
        var payload: String
    }

    /// Persists changed alert records and appends `eventCount` events, in one transaction; returns the sequence
    /// number of the last event appended (`nil` when none).
    ///
    /// Events are asked for a batch at a time (`event(i)`, in order, on another thread one batch ahead of the inserts:
    /// ``EventBatches``) and not kept: after a bulk import the first evaluation appends ≈ 520 000 events with their
    /// JSON payloads, which held at once were gigabytes (issue 4).
    /// Their lines for `events.jsonl` are read back with ``events(after:limit:)``. Both statements are prepared
    /// once per transaction.
    ///
    /// `journalMark`, when given, is stored as ``journalMarkKey`` in the same transaction: the daemon saves how far
    /// the journal has been sent with each recording, at no cost of a commit of its own.
    func record(
        _ changed: [AlertTracker.Record], eventCount: Int, journalMark: Int64? = nil,
        event: @escaping @Sendable (Int) -> NewEvent
    ) throws -> Int64? {
        try pool.write { db in
            if let journalMark { try Self.setMeta(db, Self.journalMarkKey, "\(journalMark)") }
            let upsert = try db.cachedStatement(sql: """
                INSERT INTO alert (id, rule, plan, series_key, state, severity, message, since)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET rule = excluded.rule, plan = excluded.plan, state = excluded.state,
                    severity = excluded.severity, message = excluded.message, since = excluded.since
                """)
            // In the table's key order: the alert table is keyed by a hash, and 518 674 new rows (a first start
            // after an import) inserted in evaluation order touched B-tree pages at random, far more than the page
            // cache holds; in order they are appended page after page.
            // A record without its message (a resolution: the tracker keeps no messages) changes its row's state and
            // keeps the message stored with it.
            let update = try db.cachedStatement(sql: """
                UPDATE alert SET rule = ?, plan = ?, state = ?, severity = ?, since = ? WHERE id = ?
                """)
            // Their positions sorted, not a sorted copy of them (≈ 520 000 records on a first start after an import).
            let order = Self.idOrder(changed)
            for r in order.lazy.map({ changed[$0] }) {
                if let message = r.message {
                    try upsert.execute(arguments: [r.id, r.rule, r.plan, Self.encode(r.key).key, r.state.rawValue,
                        r.severity.rawValue, message, r.since])
                } else {
                    try update.execute(arguments: [r.rule, r.plan, r.state.rawValue, r.severity.rawValue, r.since, r.id])
                    guard db.changesCount == 1 else { throw StoreError.noAlertRow(id: r.id) }
                }
            }
            guard eventCount > 0 else { return nil }
            let insert = try db.cachedStatement(sql: """
                INSERT INTO alert_event (at, alert_id, change, rule, severity, payload) VALUES (?, ?, ?, ?, ?, ?)
                """)
            let batches = EventBatches(count: eventCount, make: event)
            for b in 0..<batches.batchCount {
                for e in batches.batch(b) {
                    try insert.execute(arguments: [e.at, e.alertID, e.change, e.rule, e.severity, e.payload])
                }
            }
            return db.lastInsertedRowID
        }
    }

    /// The positions of `records` in the order of their ids as text (the `alert` table's key order).
    ///
    /// Alert ids are 16 lower-case hex digits of a 64-bit fingerprint, whose order as text is their order as numbers:
    /// compared as numbers, sorting a first start's 518 674 records takes a few milliseconds where comparing their
    /// texts took ≈ 1 s. Any other id (none is made by warnd) sorts them all by text.
    static func idOrder(_ records: [AlertTracker.Record]) -> [Int] {
        func byText() -> [Int] { records.indices.sorted { records[$0].id.utf8.lexicographicallyPrecedes(records[$1].id.utf8) } }
        var numbers: [UInt64] = []
        numbers.reserveCapacity(records.count)
        for r in records {
            var n: UInt64 = 0
            var digits = 0
            for b in r.id.utf8 {
                let d: UInt8
                switch b {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b - UInt8(ascii: "a") + 10
                default: d = 16
                }
                guard d < 16, digits < 16 else { return byText() }
                n = n << 4 | UInt64(d)
                digits += 1
            }
            guard digits == 16 else { return byText() }
            numbers.append(n)
        }
        return records.indices.sorted { numbers[$0] < numbers[$1] }
    }

    /// The stored messages of these alerts, by id (what a resolution announces: the tracker keeps none).
    func messages(of ids: some Sequence<String>) throws -> [String: String] {
        let all = Array(ids)
        var out: [String: String] = [:]
        try pool.read { db in
            // In batches: SQLite limits the variables of one statement.
            var start = 0
            while start < all.count {
                let batch = all[start..<min(start + 500, all.count)]
                let marks = Array(repeating: "?", count: batch.count).joined(separator: ", ")
                let rows = try Row.fetchAll(db, sql: "SELECT id, message FROM alert WHERE id IN (\(marks))",
                    arguments: StatementArguments(Array(batch)))
                for row in rows { out[row[0]] = row[1] }
                start += batch.count
            }
        }
        return out
    }

    /// The events after `seq`, oldest first (at most `limit`, so a long history can be read in batches).
    func events(after seq: Int64, limit: Int = -1) throws -> [Event] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT seq, at, alert_id, change, payload FROM alert_event WHERE seq > ? ORDER BY seq LIMIT ?",
                arguments: [seq, limit]).map(Self.event)
        }
    }

    /// The events of one kind in `(after, upTo]`, oldest first: the report's "resolved since" list reads only the
    /// resolved ones (after a bulk import the history since the watermark is ≈ 520 000 firing events, ≈ 500 MB
    /// read whole into memory for a handful of resolved ones).
    func events(after seq: Int64, upTo last: Int64, change: String) throws -> [Event] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT seq, at, alert_id, change, payload FROM alert_event WHERE seq > ? AND seq <= ? AND change = ?
                ORDER BY seq
                """, arguments: [seq, last, change]).map(Self.event)
        }
    }

    /// An event from a row of `SELECT seq, at, alert_id, change, payload`.
    private static func event(_ row: Row) -> Event {
        Event(seq: row[0], at: row[1], alertID: row[2], change: row[3], payload: row[4])
    }

    /// The sequence number of the last event stored (0 when none).
    func lastEventSeq() throws -> Int64 {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM alert_event") ?? 0 }
    }

    /// The `meta` key of the sequence number of the last event sent to the journal: the events after it are sent by
    /// the daemon's next start (those `warnd import` recorded, or those of a daemon that stopped before sending them).
    static let journalMarkKey = "journal_seq"

    func meta(_ key: String) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    func setMeta(_ key: String, _ value: String) throws {
        try pool.write { db in try Self.setMeta(db, key, value) }
    }

    private static func setMeta(_ db: Database, _ key: String, _ value: String) throws {
        try db.execute(sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            arguments: [key, value])
    }
}
