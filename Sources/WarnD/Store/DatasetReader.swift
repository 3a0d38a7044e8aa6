import GRDB
import GRDBSQLite
import Rules

/// Reads the whole store into a `Dataset` (what the daemon evaluates, loaded before READY).
///
/// Series keys are read once from `series` into an array indexed by id; the observations come in primary-key order
/// (series, period), so each series' points arrive together and no sort is needed. Rows are read with the raw SQLite
/// calls: GRDB's `Row` per row costs more than the read itself at 12 M rows.
enum DatasetReader {
    static func read(_ db: Database) throws -> Dataset {
        var keys: [SeriesKey?] = []
        let seriesRows = try db.makeStatement(sql: "SELECT id, indicator, region, dimensions FROM series ORDER BY id")
        let s = seriesRows.sqliteStatement
        defer { sqlite3_reset(s) }
        while true {
            let rc = sqlite3_step(s)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(rc, db) }
            let id = Int(sqlite3_column_int64(s, 0))
            let key = SeriesKey(indicator: text(s, 1), region: text(s, 2),
                dimensions: DimensionsJSON.decode(text(s, 3)) ?? [:])
            if id >= keys.count { keys.append(contentsOf: repeatElement(nil, count: id - keys.count + 1)) }
            keys[id] = key
        }
        // Each series' points arrive together (primary-key order): build the series whole and insert it once.
        var data = Dataset()
        data.reserveCapacity(keys.count)
        let observations = try db.makeStatement(sql: "SELECT series_id, period, value FROM observation WHERE value IS NOT NULL")
        let o = observations.sqliteStatement
        defer { sqlite3_reset(o) }
        var current = -1
        var points: [Series.Point] = []
        func flush() {
            if current >= 0, current < keys.count, let key = keys[current], !points.isEmpty {
                data.insert(Series(key: key, points: points))
            }
            points.removeAll(keepingCapacity: true)
        }
        while true {
            let rc = sqlite3_step(o)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(rc, db) }
            let id = Int(sqlite3_column_int64(o, 0))
            if id != current {
                flush()
                current = id
            }
            guard let period = StoreSchema.period(code: sqlite3_column_int64(o, 1)) else { continue }
            points.append(Series.Point(period: period, value: sqlite3_column_double(o, 2)))
        }
        flush()
        return data
    }

    /// Reads every row as ``read(_:)`` does without building the dataset: how long the SQLite side of a load takes.
    static func scan(_ db: Database) throws -> Int {
        let statement = try db.makeStatement(sql: "SELECT series_id, period, value FROM observation WHERE value IS NOT NULL")
        let o = statement.sqliteStatement
        defer { sqlite3_reset(o) }
        var rows = 0
        var sum = 0.0
        while sqlite3_step(o) == SQLITE_ROW {
            rows += Int(sqlite3_column_int64(o, 0) & 1) + Int(sqlite3_column_int64(o, 1) & 1)
            sum += sqlite3_column_double(o, 2)
            rows += 1
        }
        return rows + (sum.isNaN ? 1 : 0)
    }

    static func text(_ s: OpaquePointer?, _ column: Int32) -> String {
        guard let p = sqlite3_column_text(s, column) else { return "" }
        return String(cString: p)
    }

    static func error(_ rc: Int32, _ db: Database) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: rc), message: db.lastErrorMessage)
    }
}
