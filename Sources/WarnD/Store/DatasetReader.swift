import Dispatch
import Glibc
import GRDB
import GRDBSQLite
import Rules

/// Reads the whole store into a `Dataset` (what the daemon evaluates, loaded before READY; `warnd eval --state-dir`).
///
/// The work is split into tasks run on every core, each on its own connection (WAL readers do not block one
/// another):
/// - the `series` table, once, into keys by id, through a ``SeriesKey/Interner`` (a national store has ≈ 900 000
///   keys but only a few thousand distinct strings and a handful of dimension lists, so each is decoded, stored and
///   hashed once), with each key's position in ``SeriesKey`` order packed from the ranks of its parts;
/// - the observations, in `parts` ranges of series ids, built into whole series (keyed once the keys are read) and
///   point counts; rows come in primary-key order (series, period), so a series' points arrive together, in order.
///
/// Then each part is keyed and sorted by position (integers, not strings), and the parts are merged into
/// ``Dataset/init(orderedSeries:counts:)``. Rows are read with the raw SQLite calls: GRDB's `Row` per row costs more
/// than the read itself at 12 M rows.
enum DatasetReader {
    /// How many ranges of series the observations are read in: two per core, so that the keys' task (about half
    /// a range's work) and the ranges even out over the cores instead of one core finishing a range alone.
    static var defaultParts: Int { 2 * max(1, min(8, sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    static func read(_ pool: DatabasePool, parts: Int = defaultParts) throws -> Dataset {
        // Each task reads in its own transaction, so a submission committed meanwhile (a daemon beside
        // `warnd eval --state-dir`) would mix two states: every task notes the submissions counter, which each
        // submission's transaction bumps, and a load whose tasks saw different values is done again; after three
        // such tries, in one transaction on one core.
        for _ in 0..<3 {
            if let dataset = try readInParallel(pool, parts: parts) { return dataset }
        }
        return try readInOneTransaction(pool)
    }

    /// The load on every core, or `nil` when its tasks did not all see the same committed state.
    static func readInParallel(_ pool: DatabasePool, parts: Int) throws -> Dataset? {
        let (maxID, snapshot) = try pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT max(id) FROM series") ?? 0, try submissions(db))
        }
        guard maxID > 0 else { return Dataset() }
        let partCount = max(1, min(parts, maxID))
        // Equal ranges of ids: the series of a store have about as many points each.
        let bounds = (0...partCount).map { 1 + Int64(maxID) * Int64($0) / Int64(partCount) }
        // Task 0 reads the keys, the others one range of observations each; all on a pool of one thread per core.
        let keysSlot = Slots<Keys>(count: 1)
        let partSlots = Slots<Part>(count: partCount)
        DispatchQueue.concurrentPerform(iterations: partCount + 1) { task in
            if task == 0 {
                keysSlot.set(0, Result { try pool.read { db in try readKeys(db, maxID: maxID) } })
            } else {
                let i = task - 1
                partSlots.set(i, Result { try pool.read { db in try readPart(db, ids: bounds[i]..<bounds[i + 1]) } })
            }
        }
        let keys = try keysSlot.get(0)
        guard keys.snapshot == snapshot, try (0..<partCount).allSatisfy({ try partSlots.get($0).snapshot == snapshot }) else {
            return nil
        }
        let keyed = Slots<Part>(count: partCount)
        DispatchQueue.concurrentPerform(iterations: partCount) { i in
            keyed.set(i, Result {
                var part = try partSlots.get(i)
                part.attach(keys)
                return part
            })
        }
        var built: [Part] = []
        for i in 0..<partCount { built.append(try keyed.get(i)) }
        // Each reader filled its page cache with pages read once; a connection keeps its cache for good otherwise.
        pool.releaseMemory()
        return assemble(built)
    }

    /// The same load in one read transaction, on one core.
    static func readInOneTransaction(_ pool: DatabasePool) throws -> Dataset {
        try pool.read { db in
            let maxID = try Int.fetchOne(db, sql: "SELECT max(id) FROM series") ?? 0
            guard maxID > 0 else { return Dataset() }
            var part = try readPart(db, ids: 1..<Int64(maxID) + 1)
            part.attach(try readKeys(db, maxID: maxID))
            return assemble([part])
        }
    }

    private static func assemble(_ built: [Part]) -> Dataset {
        var counts = Dataset.PeriodCounts()
        for part in built { counts.merge(part.counts) }
        return Dataset(orderedSeries: merge(built), counts: counts)
    }

    /// The submissions counter: it changes with every committed submission, so it tells committed states apart.
    static func submissions(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT value FROM counter WHERE name = 'submissions'") ?? 0
    }

    /// The keys of the store by id, and each key's position in ``SeriesKey`` order.
    struct Keys: Sendable {
        var byID: [SeriesKey?] = []
        var order: [UInt64] = []
        /// ``submissions(_:)`` in the transaction that read them.
        var snapshot: Int64 = 0
    }

    /// One range of series ids, built: its series (tagged with their id, then with their key's position) and their
    /// point counts.
    struct Part: Sendable {
        var series: [(tag: UInt64, series: Series)] = []
        var counts = Dataset.PeriodCounts()
        /// ``submissions(_:)`` in the transaction that read them.
        var snapshot: Int64 = 0

        /// Gives each series its key, drops series whose id has none, and sorts them by key position.
        mutating func attach(_ keys: Keys) {
            var out: [(tag: UInt64, series: Series)] = []
            out.reserveCapacity(series.count)
            for (id, var s) in series {
                guard id < keys.byID.count, let key = keys.byID[Int(id)] else { continue }
                s.key = key
                out.append((keys.order[Int(id)], s))
            }
            out.sort { $0.tag < $1.tag }
            series = out
        }
    }

    /// The last bytes read from a text column and what they were turned into: consecutive series rows mostly share
    /// their indicator, region and dimensions, so most rows are recognised by a `memcmp` without making a string.
    private struct LastText {
        var bytes: [UInt8] = []
        var id = -1

        func matches(_ p: UnsafePointer<UInt8>?, _ n: Int) -> Bool {
            guard id >= 0, bytes.count == n else { return false }
            guard n > 0, let p else { return true }
            return bytes.withUnsafeBufferPointer { memcmp($0.baseAddress!, p, n) == 0 }
        }

        mutating func remember(_ p: UnsafePointer<UInt8>?, _ n: Int, id: Int) {
            bytes = Array(UnsafeBufferPointer(start: p, count: n))
            self.id = id
        }
    }

    static func readKeys(_ db: Database, maxID: Int) throws -> Keys {
        var interner = SeriesKey.Interner()
        var dimensionIDs: [String: Int] = [:]
        var rows: [(id: Int, indicator: Int, region: Int, dimensions: Int)] = []
        rows.reserveCapacity(maxID)
        var last = (indicator: LastText(), region: LastText(), dimensions: LastText())
        let statement = try db.makeStatement(sql: "SELECT id, indicator, region, dimensions FROM series WHERE id <= ?")
        let s = statement.sqliteStatement
        sqlite3_bind_int64(s, 1, Int64(maxID))
        defer { sqlite3_reset(s) }
        func column(_ c: Int32) -> (UnsafePointer<UInt8>?, Int) {
            let p = sqlite3_column_text(s, c)
            return (p.map { UnsafePointer($0) }, p == nil ? 0 : Int(sqlite3_column_bytes(s, c)))
        }
        while true {
            let rc = sqlite3_step(s)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(rc, db) }
            let id = Int(sqlite3_column_int64(s, 0))
            guard id > 0 else { continue }
            let (ip, il) = column(1)
            if !last.indicator.matches(ip, il) {
                last.indicator.remember(ip, il, id: interner.string(string(ip, il)))
            }
            let (rp, rl) = column(2)
            if !last.region.matches(rp, rl) {
                last.region.remember(rp, rl, id: interner.string(string(rp, rl)))
            }
            let (dp, dl) = column(3)
            if !last.dimensions.matches(dp, dl) {
                let text = string(dp, dl)
                let dimensions: Int
                if let known = dimensionIDs[text] {
                    dimensions = known
                } else {
                    dimensions = interner.dimensions(DimensionsJSON.decode(text) ?? [:])
                    dimensionIDs[text] = dimensions
                }
                last.dimensions.remember(dp, dl, id: dimensions)
            }
            rows.append((id, last.indicator.id, last.region.id, last.dimensions.id))
        }
        var keys = Keys(byID: Array(repeating: nil, count: maxID + 1), order: Array(repeating: 0, count: maxID + 1),
            snapshot: try submissions(db))
        // Key order is indicator, region, then the dimension list: rank the distinct values once, then a key's
        // position is the three ranks packed into one integer (equal values, even spelled differently, share a rank).
        let stringRank = ranks(interner.strings, by: <)
        let dimensionRank = ranks(interner.dimensionLists) { $0.lexicographicallyPrecedes($1) }
        let fits = interner.strings.count < 1 << 21 && interner.dimensionLists.count < 1 << 21
        for r in rows {
            keys.byID[r.id] = interner.key(indicator: r.indicator, region: r.region, dimensions: r.dimensions)
            if fits {
                keys.order[r.id] = UInt64(stringRank[r.indicator]) << 42 | UInt64(stringRank[r.region]) << 21
                    | UInt64(dimensionRank[r.dimensions])
            }
        }
        if !fits {
            // Too many distinct values to pack (not met in practice): positions from sorting the keys themselves.
            let sorted = keys.byID.indices.filter { keys.byID[$0] != nil }.sorted { keys.byID[$0]! < keys.byID[$1]! }
            for (position, id) in sorted.enumerated() { keys.order[id] = UInt64(position) }
        }
        return keys
    }

    /// The rank of each value in ascending order, equal values sharing one.
    private static func ranks<T: Equatable>(_ values: [T], by less: (T, T) -> Bool) -> [Int] {
        let sorted = values.indices.sorted { less(values[$0], values[$1]) }
        var rank = Array(repeating: 0, count: values.count)
        var r = 0
        for (i, index) in sorted.enumerated() {
            if i > 0, values[index] != values[sorted[i - 1]] { r += 1 }
            rank[index] = r
        }
        return rank
    }

    /// A stand-in key for series read before their keys are known (``Part/attach(_:)`` replaces it).
    private static let unkeyed = SeriesKey(indicator: "", region: "")

    /// Reads the observations of one range of series ids into series tagged with their id.
    static func readPart(_ db: Database, ids: Range<Int64>) throws -> Part {
        var part = Part(snapshot: try submissions(db))
        let statement = try db.makeStatement(sql: """
            SELECT series_id, period, value FROM observation
            WHERE series_id >= ? AND series_id < ? AND value IS NOT NULL
            """)
        let o = statement.sqliteStatement
        sqlite3_bind_int64(o, 1, ids.lowerBound)
        sqlite3_bind_int64(o, 2, ids.upperBound)
        defer { sqlite3_reset(o) }
        var current: Int64 = -1
        var points: [Series.Point] = []
        let unkeyed = Self.unkeyed
        func flush() {
            if current >= 0, !points.isEmpty {
                // `Series` copies the points (already in period order) into an array of exactly their count.
                let series = Series(key: unkeyed, points: points)
                part.counts.add(series.points)
                part.series.append((UInt64(current), series))
            }
            points.removeAll(keepingCapacity: true)
        }
        var lastCode: Int64 = -1
        var lastPeriod: Period?
        while true {
            let rc = sqlite3_step(o)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(rc, db) }
            let id = sqlite3_column_int64(o, 0)
            if id != current {
                flush()
                current = id
            }
            let code = sqlite3_column_int64(o, 1)
            if code != lastCode {
                lastCode = code
                lastPeriod = StoreSchema.period(code: code)
            }
            guard let period = lastPeriod else { continue }
            points.append(Series.Point(period: period, value: sqlite3_column_double(o, 2)))
        }
        flush()
        return part
    }

    /// The parts' series in key order (each part is sorted; positions are distinct across parts).
    static func merge(_ parts: [Part]) -> [Series] {
        var out: [Series] = []
        out.reserveCapacity(parts.reduce(0) { $0 + $1.series.count })
        var heads = Array(repeating: 0, count: parts.count)
        while true {
            var best = -1
            for p in parts.indices where heads[p] < parts[p].series.count {
                if best < 0 || parts[p].series[heads[p]].tag < parts[best].series[heads[best]].tag { best = p }
            }
            if best < 0 { break }
            out.append(parts[best].series[heads[best]].series)
            heads[best] += 1
        }
        return out
    }

    /// Reads every row as ``read(_:parts:)`` does without building the dataset: how long the SQLite side of a load
    /// takes (on one connection).
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

    private static func string(_ p: UnsafePointer<UInt8>?, _ n: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    static func text(_ s: OpaquePointer?, _ column: Int32) -> String {
        guard let p = sqlite3_column_text(s, column) else { return "" }
        return String(cString: p)
    }

    static func error(_ rc: Int32, _ db: Database) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: rc), message: db.lastErrorMessage)
    }

    /// Each concurrent task's result, written once by its own task into its own slot of a buffer (hence
    /// `@unchecked`: no two tasks touch the same slot, and `concurrentPerform` returns only after all of them).
    /// ``DatasetSnapshot`` builds its chunks with it too.
    final class Slots<T>: @unchecked Sendable {
        private let slots: UnsafeMutableBufferPointer<Result<T, any Error>?>
        init(count: Int) {
            slots = .allocate(capacity: count)
            slots.initialize(repeating: nil)
        }
        deinit {
            slots.deinitialize()
            slots.deallocate()
        }
        func set(_ i: Int, _ r: Result<T, any Error>) { slots[i] = r }
        func get(_ i: Int) throws -> T { try slots[i]!.get() }
    }
}
