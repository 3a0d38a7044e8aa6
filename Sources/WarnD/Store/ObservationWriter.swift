import GRDB
import GRDBSQLite
import Rules

/// Writes a table's rows into `observation` through prepared statements driven with the raw SQLite calls.
///
/// GRDB's `execute(arguments:)` builds a `StatementArguments` array of `DatabaseValue`s per row and validates it;
/// at a million rows a second that is most of the time. Here each row binds integers, a double and two texts that
/// were converted to C strings once per distinct text. Values still only ever reach SQL as bound parameters.
///
/// Series are looked up (or added) once per distinct series of the file. Rows of a series added by this very file
/// cannot replace anything, so (when the table has no repeated series and period) they go in by plain multi-row
/// `INSERT`s of ``batch`` rows. Other rows are inserted one by one with `ON CONFLICT DO NOTHING`: for a period the
/// store does not hold yet that is the only statement; only when nothing was inserted (a revision) is the old value
/// copied into `observation_revision` and the row updated.
enum ObservationWriter {
    /// Rows per multi-row INSERT: 7 parameters each, far below SQLite's limit of 32 766.
    static let batch = 64

    /// Writes the rows; returns how many were new and how many revised an earlier value, and the series ids.
    /// With `partOfSubmission`, a row that would revise a value of the same submission (a series and period repeated
    /// across the parts of one file) throws ``StoreError/repeatedInSubmission`` instead: only the whole-file parser
    /// can tell an identical repeat (dropped) from a conflict (an error).
    static func write(_ table: ObservationTable, submission: Int64, partOfSubmission: Bool = false, _ db: Database) throws
        -> (added: Int, revised: Int, seriesIDs: [Int64])
    {
        let (seriesIDs, fresh) = try self.seriesIDs(table.keys, db)
        let owner = try db.cachedStatement(sql: "SELECT submission_id FROM observation WHERE series_id = ? AND period = ?")
        let o = owner.sqliteStatement
        let insert = try db.cachedStatement(sql: """
            INSERT INTO observation (series_id, period, value, submission_id, line, source, note)
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """)
        let revise = try db.cachedStatement(sql: """
            INSERT INTO observation_revision (series_id, period, value, submission_id, replaced_by)
            SELECT series_id, period, value, submission_id, ? FROM observation WHERE series_id = ? AND period = ?
            """)
        let update = try db.cachedStatement(sql: """
            UPDATE observation SET value = ?, submission_id = ?, line = ?, source = ?, note = ?
            WHERE series_id = ? AND period = ?
            """)
        let values = Array(repeating: "(?, ?, ?, ?, ?, ?, ?)", count: batch).joined(separator: ", ")
        let many = try db.cachedStatement(sql: """
            INSERT INTO observation (series_id, period, value, submission_id, line, source, note) VALUES \(values)
            """)
        let connection = db.sqliteConnection
        let texts = CStrings(table.texts)
        defer { texts.free() }
        var added = 0
        var revised = 0
        let (i, r, u, m) = (insert.sqliteStatement, revise.sqliteStatement, update.sqliteStatement, many.sqliteStatement)
        defer {
            // The texts' memory is freed on return; no statement may keep pointing at it.
            for s in [i, r, u, m] { sqlite3_clear_bindings(s) }
        }
        sqlite3_bind_int64(i, 4, submission)
        sqlite3_bind_int64(r, 1, submission)
        sqlite3_bind_int64(u, 2, submission)
        var pending: [Int] = []
        pending.reserveCapacity(batch)
        /// One row through the single-row path; whether it was new.
        func single(_ row: ObservationTable.Row) throws {
            let series = seriesIDs[Int(row.series)]
            let period = StoreSchema.code(row.period)
            sqlite3_bind_int64(i, 1, series)
            sqlite3_bind_int64(i, 2, period)
            bind(row, i, value: 3, line: 5, source: 6, note: 7, table.hasLines, texts)
            try step(i, connection)
            if sqlite3_changes(connection) > 0 {
                added += 1
                return
            }
            if partOfSubmission {
                sqlite3_bind_int64(o, 1, series)
                sqlite3_bind_int64(o, 2, period)
                let rc = sqlite3_step(o)
                let same = rc == SQLITE_ROW && sqlite3_column_int64(o, 0) == submission
                sqlite3_reset(o)
                if same { throw StoreError.repeatedInSubmission }
            }
            sqlite3_bind_int64(r, 2, series)
            sqlite3_bind_int64(r, 3, period)
            try step(r, connection)
            bind(row, u, value: 1, line: 3, source: 4, note: 5, table.hasLines, texts)
            sqlite3_bind_int64(u, 6, series)
            sqlite3_bind_int64(u, 7, period)
            try step(u, connection)
            revised += 1
        }
        for (index, row) in table.rows.enumerated() {
            guard table.distinctRows, fresh[Int(row.series)] else {
                try single(row)
                continue
            }
            let base = Int32(pending.count * 7)
            sqlite3_bind_int64(m, base + 1, seriesIDs[Int(row.series)])
            sqlite3_bind_int64(m, base + 2, StoreSchema.code(row.period))
            sqlite3_bind_int64(m, base + 4, submission)
            bind(row, m, value: base + 3, line: base + 5, source: base + 6, note: base + 7, table.hasLines, texts)
            pending.append(index)
            if pending.count == batch {
                try step(m, connection)
                added += batch
                pending.removeAll(keepingCapacity: true)
            }
        }
        // The last partial batch, row by row.
        for index in pending { try single(table.rows[index]) }
        return (added, revised, seriesIDs)
    }

    /// The `series` ids of `keys`, adding the ones the store has not seen (`fresh`): one look-up per distinct series
    /// of a file, never per row.
    private static func seriesIDs(_ keys: [SeriesKey], _ db: Database) throws -> (ids: [Int64], fresh: [Bool]) {
        let find = try db.cachedStatement(sql: "SELECT id FROM series WHERE indicator = ? AND region = ? AND dimensions = ?")
        let add = try db.cachedStatement(sql: "INSERT INTO series (indicator, region, dimensions) VALUES (?, ?, ?)")
        let connection = db.sqliteConnection
        let (f, a) = (find.sqliteStatement, add.sqliteStatement)
        var ids: [Int64] = []
        var fresh: [Bool] = []
        ids.reserveCapacity(keys.count)
        fresh.reserveCapacity(keys.count)
        for key in keys {
            let dimensions = DimensionsJSON.encode(key.dimensions)
            for s in [f, a] {
                bindText(s, 1, key.indicator)
                bindText(s, 2, key.region)
                bindText(s, 3, dimensions)
            }
            let rc = sqlite3_step(f)
            if rc == SQLITE_ROW {
                ids.append(sqlite3_column_int64(f, 0))
                fresh.append(false)
                sqlite3_reset(f)
                continue
            }
            sqlite3_reset(f)
            guard rc == SQLITE_DONE else { throw error(rc, f, connection) }
            try step(a, connection)
            ids.append(sqlite3_last_insert_rowid(connection))
            fresh.append(true)
        }
        return (ids, fresh)
    }

    private static func bindText(_ s: OpaquePointer?, _ index: Int32, _ text: String) {
        var text = text
        text.withUTF8 { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!)
            _ = sqlite3_bind_text(s, index, base.assumingMemoryBound(to: CChar.self), Int32(buffer.count), transient)
        }
    }

    /// SQLITE_TRANSIENT: SQLite copies the bytes before the call returns.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    @inline(__always)
    private static func bind(
        _ row: ObservationTable.Row, _ s: OpaquePointer?, value: Int32, line: Int32, source: Int32, note: Int32,
        _ hasLines: Bool, _ texts: CStrings
    ) {
        if let v = row.value { sqlite3_bind_double(s, value, v) } else { sqlite3_bind_null(s, value) }
        if hasLines { sqlite3_bind_int64(s, line, Int64(row.line)) } else { sqlite3_bind_null(s, line) }
        texts.bind(row.source, s, source)
        texts.bind(row.note, s, note)
    }

    @inline(__always)
    private static func step(_ s: OpaquePointer?, _ connection: OpaquePointer?) throws {
        let rc = sqlite3_step(s)
        sqlite3_reset(s)
        guard rc == SQLITE_DONE else { throw error(rc, s, connection) }
    }

    private static func error(_ rc: Int32, _ s: OpaquePointer?, _ connection: OpaquePointer?) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(connection)),
            sql: sqlite3_sql(s).map { String(cString: $0) })
    }
}

/// A table's texts as NUL-terminated UTF-8, made once and bound by pointer (`SQLITE_STATIC`: SQLite copies the
/// bytes into the row, so they need only outlive the statement's bindings).
private struct CStrings {
    let pointers: [UnsafeMutablePointer<CChar>]
    let lengths: [Int32]

    init(_ texts: [String]) {
        var pointers: [UnsafeMutablePointer<CChar>] = []
        var lengths: [Int32] = []
        for t in texts {
            let utf8 = Array(t.utf8)
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count + 1)
            for (k, b) in utf8.enumerated() { p[k] = CChar(bitPattern: b) }
            p[utf8.count] = 0
            pointers.append(p)
            lengths.append(Int32(utf8.count))
        }
        self.pointers = pointers
        self.lengths = lengths
    }

    @inline(__always)
    func bind(_ id: Int32, _ s: OpaquePointer?, _ index: Int32) {
        if id < 0 {
            sqlite3_bind_null(s, index)
        } else {
            sqlite3_bind_text(s, index, pointers[Int(id)], lengths[Int(id)], nil)
        }
    }

    func free() { for p in pointers { p.deallocate() } }
}
