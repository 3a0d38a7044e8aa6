import Foundation
import GRDB
import Rules
import Testing

@testable import WarnD

/// The SQLite store: schema v2, its migration from v1, the counters, loading, and provenance.
@Suite struct StoreTests {
    private func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warnd-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    private let women = SeriesKey(indicator: "women_life_expectancy", region: "渠县")
    private let girls = SeriesKey(indicator: "x_rate", region: "渠县", dimensions: ["sex": "女", "area": "城\"镇\\\n"])

    @discardableResult
    private func accept(_ store: Store, _ observations: [Observation], _ name: String) throws -> (rows: Int, series: Set<SeriesKey>) {
        try store.accept(observations, name: name, sha256: name + "-sha", receivedAt: "2025-01-01T00:00:00Z",
            format: "csv", encoding: "utf-8")
    }

    /// The alert table names series as `indicator ␟ region ␟ dimensions`; the reader cuts it at bytes, so Chinese
    /// names, a ␟ inside a region, escaped dimension values and malformed text must all come back as written.
    @Test func encodedSeriesKeysDecodeToTheSameKey() {
        let keys = [
            SeriesKey(indicator: "maternal_mortality_ratio", region: "四川省达州市渠县", dimensions: [:]),
            SeriesKey(indicator: "x", region: "县\u{1F}二", dimensions: ["sex": "女", "area": "农村"]),
            SeriesKey(indicator: "x", region: "", dimensions: ["note": "a\"b\\c\u{1F}d\n"]),
            SeriesKey(indicator: "家庭", region: "👩‍👧", dimensions: ["年龄": "0-3岁"]),
        ]
        for k in keys {
            #expect(Store.decodeKey(Store.encode(k).key) == k)
        }
        #expect(Store.decodeKey("x\u{1F}only-one-separator") == nil)
        #expect(Store.decodeKey("no separator") == nil)
    }

    @Test func aV1StoreMigratesKeepingObservationsRevisionsAndProvenance() throws {
        let path = try tempDir() + "/warnd.sqlite"
        do {
            let queue = try DatabaseQueue(path: path)
            try Store.migrator.migrate(queue, upTo: "v1")
            let dims = String(decoding: try JSONEncoder.sorted.encode(girls.dimensionMap), as: UTF8.self)
            try queue.write { db in
                for (id, name) in [(1, "a.csv"), (2, "b.csv")] {
                    try db.execute(sql: """
                        INSERT INTO submission (id, sha256, name, received_at, rows, series, format, encoding)
                        VALUES (?, ?, ?, '2024-01-01T00:00:00Z', 2, 2, 'csv', 'utf-8')
                        """, arguments: [id, name + "-sha", name])
                }
                let insert = """
                    INSERT INTO observation (series_key, period, indicator, region, dimensions, value, submission_id,
                        line, source, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
                let wKey = "women_life_expectancy\u{1F}渠县\u{1F}{}"
                let gKey = "x_rate\u{1F}渠县\u{1F}" + dims
                try db.execute(sql: insert, arguments: [wKey, "2024", women.indicator, women.region, "{}", 80.5, 2, 2,
                    "统计局", "修订"])
                try db.execute(sql: insert, arguments: [gKey, "2024Q3", girls.indicator, girls.region, dims, nil, 1, 3,
                    nil, nil])
                try db.execute(sql: insert, arguments: [gKey, "2024-07", girls.indicator, girls.region, dims, 7.5, 1, 4,
                    nil, nil])
                try db.execute(sql: """
                    INSERT INTO observation_revision (series_key, period, value, submission_id, replaced_by)
                    VALUES (?, '2024', 80.1, 1, 2)
                    """, arguments: [wKey])
                try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('last_file', 'b.csv')")
            }
        }
        let store = try Store(path: path)
        #expect(try store.counts() == (observations: 3, submissions: 2))
        #expect(try store.provenance(of: women, period: .year(2024)).map { "\($0.value!) \($0.submission)" } == "80.5 b.csv")
        #expect(try store.provenance(of: girls, period: .month(2024, 7)).map { "\($0.value!) \($0.submission)" } == "7.5 a.csv")
        #expect(try store.provenance(of: girls, period: .quarter(2024, 3))?.value == nil)
        #expect(try store.provenance(of: girls, period: .quarter(2024, 3))?.submission == "a.csv")
        let revisions = try store.revisions(of: women, period: .year(2024))
        #expect(revisions.map { "\($0.value!) \($0.submission)→\($0.replacedBy)" } == ["80.1 a.csv→b.csv"])
        #expect(try store.meta("last_file") == "b.csv")
        let data = try store.loadDataset()
        #expect(data.series[women]?.points.map(\.value) == [80.5])
        #expect(data.series[girls]?.points.map(\.period) == [.month(2024, 7)])
        // A later file finds the migrated series again (same identity, not a second series).
        try accept(store, [Observation(key: girls, period: .month(2024, 7), value: 8)], "c.csv")
        #expect(try store.counts().observations == 3)
        #expect(try store.revisions(of: girls, period: .month(2024, 7)).map(\.replacedBy) == ["c.csv"])
        let text = try store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT period, source, note FROM observation_text WHERE region = '渠县' ORDER BY period")
                .map { "\($0[0] as String) \($0[1] as String? ?? "-") \($0[2] as String? ?? "-")" }
        }
        #expect(text == ["2024 统计局 修订", "2024-07 - -", "2024Q3 - -"])
    }

    /// Records read back hold their message's digest only, and a record without its message (a resolution)
    /// changes its row's state and keeps the stored message; one with no stored row fails the whole write.
    @Test func alertRecordsReadBackAsDigestsAndAResolutionKeepsTheStoredMessage() throws {
        let store = try Store(path: try tempDir() + "/warnd.sqlite")
        let message = "艾滋病母婴传播率（渠县）2024年为2.6%，未达到≤2%的目标"
        let firing = AlertTracker.Record(id: "a1", rule: "t-hiv", plan: "p", key: girls, state: .firing,
            severity: .critical, message: message, since: "t0")
        _ = try store.record([firing], eventCount: 0) { _ in fatalError("no events") }
        let read = try #require(try store.alertRecords().first)
        #expect(read.message == nil && read.messageDigest == AlertTracker.Record.digest(message) && read.key == girls)

        var resolved = read
        resolved.state = .resolved
        resolved.since = "t1"
        _ = try store.record([resolved], eventCount: 0) { _ in fatalError("no events") }
        #expect(try store.alertRecords().map(\.state) == [.resolved])
        #expect(try store.messages(of: ["a1", "a2"]) == ["a1": message])

        var unknown = resolved
        unknown.id = "a2"
        resolved.state = .firing
        #expect(throws: StoreError.self) { _ = try store.record([resolved, unknown], eventCount: 0) { _ in fatalError() } }
        #expect(try store.alertRecords().map(\.state) == [.resolved], "nothing of the failed write is kept")
    }

    /// Records are written in the `alert` table's key order (ids as text): fingerprints by their value, which is
    /// the same order, and any other id by its text.
    @Test func recordsAreOrderedByIdAsText() {
        func record(_ id: String) -> AlertTracker.Record {
            AlertTracker.Record(id: id, rule: "r", plan: "p", key: girls, state: .firing, severity: .info,
                messageDigest: 0, since: "t0")
        }
        var generator = SystemRandomNumberGenerator()
        let values = (0..<2_000).map { i -> UInt64 in
            // Small and large values alike: leading zeros are where text and number orders could part.
            i % 3 == 0 ? UInt64.random(in: 0...0xFFFF, using: &generator) : generator.next()
        } + [0, .max, 0x0f, 0xf0]
        let fingerprints = values.map { v in
            let digits = String(v, radix: 16)
            return record(String(repeating: "0", count: 16 - digits.count) + digits)
        }
        func textOrder(_ records: [AlertTracker.Record]) -> [String] {
            records.map(\.id).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }
        #expect(Store.idOrder(fingerprints).map { fingerprints[$0].id } == textOrder(fingerprints))
        for odd in ["a2", "A100000000000000", "1000000000000000f", "g000000000000000", "注000000000000000"] {
            let mixed = fingerprints.prefix(50) + [record(odd)]
            let records = Array(mixed)
            #expect(Store.idOrder(records).map { records[$0].id } == textOrder(records), "with \(odd)")
        }
    }

    /// Events are made a batch ahead on another thread (a first start records ≈ 520 000): over several batches, and
    /// a count that ends inside one, each is stored once, in the order asked, with its own payload.
    @Test(arguments: [1, EventBatches.batchSize, 2 * EventBatches.batchSize + 17])
    func eventsMadeABatchAheadAreStoredInOrder(count: Int) throws {
        let store = try Store(path: try tempDir() + "/warnd.sqlite")
        let records = (0..<count).map { i in
            AlertTracker.Record(id: String(format: "%016x", i), rule: "r", plan: "p", key: girls, state: .firing,
                severity: .warning, message: "消息 \(i)", since: "t0")
        }
        let made = Counter()
        let last = try store.record(records, eventCount: count) { i in
            made.add()
            return Store.NewEvent(at: "t0", alertID: records[i].id, change: "firing", rule: "r", severity: "warning",
                payload: #"{"n":\#(i)}"#)
        }
        let events = try store.events(after: 0)
        #expect(events.count == count && made.value == count, "each made and stored once")
        #expect(events.map(\.alertID) == records.map(\.id), "in the order asked")
        #expect(events.enumerated().allSatisfy { $0.element.payload == #"{"n":\#($0.offset)}"# })
        #expect(last == events.last?.seq)
    }

    /// Records and events of ≈ 6 MB in one transaction: more than SQLite's 1 000-page threshold, past which a commit
    /// checkpoints the log itself unless told not to.
    private func recordALot(_ store: Store) throws {
        let records = (0..<3_000).map { i in
            AlertTracker.Record(id: String(format: "%016x", i), rule: "r", plan: "p", key: girls, state: .firing,
                severity: .warning, message: "消息 \(i)", since: "t0")
        }
        let payload = String(repeating: "x", count: 2_000)
        _ = try store.record(records, eventCount: records.count) { i in
            Store.NewEvent(at: "t0", alertID: records[i].id, change: "firing", rule: "r", severity: "warning",
                payload: #"{"p":"\#(payload)"}"#)
        }
    }

    private func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? -1
    }

    /// The daemon's store leaves a commit's pages in the log (the commit returns once they are synced there) and
    /// copies them into the database file from the checkpointer's own connection.
    @Test func aCommitLeavesItsPagesInTheLogForTheCheckpointer() throws {
        let path = try tempDir() + "/warnd.sqlite"
        let store = try Store(path: path, checkpointInterval: .seconds(3_600))
        try store.checkpointer!.checkpointNow()
        let before = fileSize(path)
        try recordALot(store)
        #expect(fileSize(path) == before, "not copied by the commit")
        #expect(fileSize(path + "-wal") > 4 << 20)
        let (frames, copied) = try #require(try store.checkpointer?.checkpointNow())
        #expect(frames > 1_000 && copied == frames)
        #expect(fileSize(path) > before + (4 << 20), "copied by the checkpointer")
        #expect(try store.alertRecords().count == 3_000)
    }

    /// Left to itself, the checkpointer copies the log within its interval; other stores (the import) still let
    /// SQLite checkpoint at the commit.
    @Test func theCheckpointerCopiesTheLogOnItsOwnAndOtherStoresAtTheCommit() async throws {
        let path = try tempDir() + "/warnd.sqlite"
        let store = try Store(path: path, checkpointInterval: .milliseconds(50))
        let before = fileSize(path)
        try recordALot(store)
        var waited = 0
        while fileSize(path) <= before + (4 << 20), waited < 600 {
            try await Task.sleep(for: .milliseconds(100))
            waited += 1
        }
        #expect(fileSize(path) > before + (4 << 20), "copied without being asked")

        let plainPath = try tempDir() + "/warnd.sqlite"
        let plain = try Store(path: plainPath)
        #expect(plain.checkpointer == nil)
        let plainBefore = fileSize(plainPath)
        try recordALot(plain)
        #expect(fileSize(plainPath) > plainBefore + (4 << 20), "SQLite's own checkpoint, at the commit")
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var n = 0
        func add() { lock.withLock { n += 1 } }
        var value: Int { lock.withLock { n } }
    }

    @Test func countsFollowNewRowsAndRevisionsWithoutCounting() throws {
        let store = try Store(path: try tempDir() + "/warnd.sqlite")
        #expect(try store.counts() == (observations: 0, submissions: 0))
        try accept(store, [
            Observation(key: women, period: .year(2023), value: 80),
            Observation(key: women, period: .year(2024), value: 81),
        ], "a.csv")
        try accept(store, [
            Observation(key: women, period: .year(2024), value: 81.5),  // a revision
            Observation(key: girls, period: .year(2024), value: 3),  // new
        ], "b.csv")
        let counted = try store.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM observation")!,
                try Int.fetchOne(db, sql: "SELECT count(*) FROM submission")!,
                try Int.fetchOne(db, sql: "SELECT count(*) FROM observation_revision")!)
        }
        #expect(counted == (3, 2, 1))
        #expect(try store.counts() == (observations: 3, submissions: 2))
        #expect(try store.provenance(of: women, period: .year(2024)).map { "\($0.value!) \($0.submission)" } == "81.5 b.csv")
    }

    @Test func aFailedSubmissionLeavesNothingBehind() throws {
        let store = try Store(path: try tempDir() + "/warnd.sqlite")
        try accept(store, [Observation(key: women, period: .year(2024), value: 80)], "a.csv")
        // The same hash again violates the unique constraint: the whole transaction, counters included, rolls back.
        #expect(throws: (any Error).self) {
            try store.accept([Observation(key: girls, period: .year(2024), value: 1)], name: "again", sha256: "a.csv-sha",
                receivedAt: "x", format: "csv", encoding: "utf-8")
        }
        #expect(try store.counts() == (observations: 1, submissions: 1))
        #expect(try store.loadDataset().series[girls] == nil)
    }

    @Test func loadDatasetReturnsWhatWasStoredIncludingDimensionsWithEscapes() throws {
        let store = try Store(path: try tempDir() + "/warnd.sqlite")
        let observations = [
            Observation(key: girls, period: .year(2020), value: 1.25),
            Observation(key: girls, period: .quarter(2020, 2), value: 2),
            Observation(key: women, period: .month(2021, 11), value: 79),
            Observation(key: women, period: .year(2022), value: nil),
        ]
        try accept(store, observations, "a.csv")
        let loaded = try store.loadDataset()
        let expected = Dataset(observations)
        #expect(loaded.series == expected.series)
        #expect(loaded.count == 2)
    }

    @Test func batchedRowsOfNewSeriesAndSingleRowsOfKnownSeriesEndTheSame() throws {
        let store = try Store(path: try tempDir() + "/warnd.sqlite")
        // 7 series × 30 years: more than one batch of new rows, and a partial last batch.
        let keys = (0..<7).map { SeriesKey(indicator: "i\($0)", region: "渠县", dimensions: $0 % 2 == 0 ? [:] : ["sex": "女"]) }
        let first = keys.flatMap { k in (1990..<2020).map { Observation(key: k, period: .year($0), value: Double($0)) } }
        try accept(store, first, "a.csv")
        // Known series: some periods revised, some new; plus one new series.
        let extra = SeriesKey(indicator: "new", region: "渠县")
        let second = keys.prefix(3).flatMap { k in (2015..<2025).map { Observation(key: k, period: .year($0), value: -Double($0)) } }
            + [Observation(key: extra, period: .quarter(2024, 1), value: 1)]
        try accept(store, second, "b.csv")
        #expect(try store.counts() == (observations: 7 * 30 + 3 * 5 + 1, submissions: 2))
        #expect(try store.loadDataset().series == Dataset(first + second).series)
        #expect(try store.revisions(of: keys[0], period: .year(2016)).map { "\($0.value!) \($0.replacedBy)" } == ["2016.0 b.csv"])
        #expect(try store.revisions(of: keys[0], period: .year(2021)).isEmpty)
        #expect(try store.provenance(of: keys[6], period: .year(1990)).map(\.submission) == "a.csv")
    }

    @Test func dimensionsWrittenByTheV1EncoderDecodeToTheSameKey() throws {
        for dims in [[:], ["sex": "女"], ["area": "城\"镇\\/x\n\t\u{01}", "sex": "男"]] as [[String: String]] {
            let v1 = String(decoding: try JSONEncoder.sorted.encode(dims), as: UTF8.self)
            #expect(DimensionsJSON.decode(v1) == dims, "\(v1)")
            let v2 = DimensionsJSON.encode(SeriesKey(indicator: "i", region: "r", dimensions: dims).dimensions)
            #expect(DimensionsJSON.decode(v2) == dims, "\(v2)")
        }
    }

    @Test func anExclusiveStoreKeepsOthersOutAndAnOpenStoreKeepsTheImportOut() throws {
        let path = try tempDir() + "/warnd.sqlite"
        do {
            let importing = try Store(path: path, exclusive: true)
            #expect(throws: StoreError.self) { _ = try Store(path: path) }
            _ = importing
        }
        let daemon = try Store(path: path)
        let second = try Store(path: path)  // shared: tools and tests may open it beside the daemon
        #expect(throws: StoreError.self) { _ = try Store(path: path, exclusive: true) }
        _ = (daemon, second)
    }
}

extension JSONEncoder {
    /// How the v1 store spelled dimensions.
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}
