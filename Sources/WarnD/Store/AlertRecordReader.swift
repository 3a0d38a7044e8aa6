import GRDB
import GRDBSQLite
import Rules

/// Reads the stored alert state (one row per alert ever seen) at start-up, each message as its digest only.
///
/// With raw SQLite calls, as ``DatasetReader`` does: a national deployment keeps ≈ 520 000 alert rows, and
/// GRDB's `Row` per row with a dictionary lookup per column took ≈ 4 s of every restart (issue 4).
enum AlertRecordReader {
    static func read(_ db: Database) throws -> [AlertTracker.Record] {
        let statement = try db.makeStatement(sql: """
            SELECT id, rule, plan, series_key, state, severity, message, since FROM alert
            """)
        let s = statement.sqliteStatement
        defer { sqlite3_reset(s) }
        var out: [AlertTracker.Record] = []
        // The same rule, plan and key text recur across rows: keep one String each instead of a copy per row.
        var strings: [String: String] = [:]
        func shared(_ column: Int32) -> String {
            let t = DatasetReader.text(s, column)
            if let known = strings[t] { return known }
            strings[t] = t
            return t
        }
        while true {
            let rc = sqlite3_step(s)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw DatasetReader.error(rc, db) }
            guard let key = Store.decodeKey(DatasetReader.text(s, 3)),
                let state = AlertTracker.State(rawValue: DatasetReader.text(s, 4)),
                let severity = Severity(rawValue: DatasetReader.text(s, 5))
            else { continue }
            // The message's digest, from its bytes where SQLite holds them: the tracker keeps no messages.
            let message = UnsafeRawBufferPointer(start: sqlite3_column_text(s, 6), count: Int(sqlite3_column_bytes(s, 6)))
            out.append(AlertTracker.Record(id: DatasetReader.text(s, 0), rule: shared(1), plan: shared(2), key: key,
                state: state, severity: severity, messageDigest: AlertTracker.Record.digest(utf8: message),
                since: shared(7)))
        }
        return out
    }
}
