import GRDB
import GRDBSQLite
import Rules

/// Writes a table's rows into `observation` through prepared statements driven with the raw SQLite calls.
///
/// GRDB's `execute(arguments:)` builds a `StatementArguments` array of `DatabaseValue`s per row and validates it;
/// at a million rows a second that is most of the time. Here each row binds integers, a double and two texts that
/// were converted to C strings once per distinct text. Values still only ever reach SQL as bound parameters.
///
/// A row is first inserted with `ON CONFLICT DO NOTHING`: for a (series, period) the store does not hold yet that is
/// the only statement. Only when nothing was inserted (a revision) is the old value copied into
/// `observation_revision` and the row updated.
enum ObservationWriter {
    static func write(_ table: ObservationTable, seriesIDs: [Int64], submission: Int64, _ db: Database) throws
        -> (added: Int, revised: Int)
    {
        let insert = try db.makeStatement(sql: """
            INSERT INTO observation (series_id, period, value, submission_id, line, source, note)
            VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING
            """)
        let revise = try db.makeStatement(sql: """
            INSERT INTO observation_revision (series_id, period, value, submission_id, replaced_by)
            SELECT series_id, period, value, submission_id, ? FROM observation WHERE series_id = ? AND period = ?
            """)
        let update = try db.makeStatement(sql: """
            UPDATE observation SET value = ?, submission_id = ?, line = ?, source = ?, note = ?
            WHERE series_id = ? AND period = ?
            """)
        let connection = db.sqliteConnection
        let texts = CStrings(table.texts)
        defer { texts.free() }
        var added = 0
        var revised = 0
        let (i, r, u) = (insert.sqliteStatement, revise.sqliteStatement, update.sqliteStatement)
        sqlite3_bind_int64(i, 4, submission)
        sqlite3_bind_int64(r, 1, submission)
        sqlite3_bind_int64(u, 2, submission)
        for row in table.rows {
            let series = seriesIDs[Int(row.series)]
            let period = StoreSchema.code(row.period)
            sqlite3_bind_int64(i, 1, series)
            sqlite3_bind_int64(i, 2, period)
            bind(row, i, value: 3, line: 5, source: 6, note: 7, table.hasLines, texts)
            try step(i, connection)
            if sqlite3_changes(connection) > 0 {
                added += 1
                continue
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
        // The texts' memory is freed on return; no statement may keep pointing at it.
        for s in [i, r, u] { sqlite3_clear_bindings(s) }
        return (added, revised)
    }

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
        guard rc == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(connection)),
                sql: sqlite3_sql(s).map { String(cString: $0) })
        }
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
            utf8.withUnsafeBytes { raw in
                UnsafeMutableRawPointer(p).copyMemory(from: raw.baseAddress ?? UnsafeRawPointer(p), byteCount: utf8.count)
            }
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
