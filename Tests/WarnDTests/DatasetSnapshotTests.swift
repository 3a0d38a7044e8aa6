import Foundation
import Rules
import Testing

@testable import WarnD

/// The dataset snapshot a clean shutdown leaves (``DatasetSnapshot``) loads the dataset the store loads, is caught
/// up with what was stored after it, and is never used once it does not belong to the store or is damaged.
@Suite struct DatasetSnapshotTests {
    /// A store holding ``DatasetLoadTests/submissions()`` (revisions, withdrawn values and series, quarters,
    /// months, escaped dimensions) and the dataset it loads.
    private func filledStore() throws -> (Store, Dataset, String) {
        let dir = try DatasetLoadTests.tempDir()
        let store = try Store(path: dir + "/warnd.sqlite")
        for (i, observations) in DatasetLoadTests.submissions().enumerated() {
            try store.accept(observations, name: "\(i).csv", sha256: "sha-\(i)", receivedAt: "2025-01-01T00:00:00Z",
                format: "csv", encoding: "utf-8")
        }
        return (store, try store.loadDataset(), dir + "/" + DatasetSnapshot.fileName)
    }

    private func loaded(_ path: String, _ store: Store) throws -> Dataset {
        switch DatasetSnapshot.load(from: path, store: store) {
        case .dataset(let d, _): return d
        case .absent: throw Failure("no snapshot")
        case .unusable(let why): throw Failure("unusable: \(why)")
        }
    }

    private func unusable(_ path: String, _ store: Store, catchUpLimit: Int = DatasetSnapshot.catchUpLimit) -> String? {
        if case .unusable(let why) = DatasetSnapshot.load(from: path, store: store, catchUpLimit: catchUpLimit) { return why }
        return nil
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    @Test func aSnapshotLoadsWhatTheStoreLoadsInOneChunkOrMany() throws {
        let (store, fromStore, path) = try filledStore()
        #expect(fromStore.count > 20)
        // The in-memory dataset of a daemon that applied the submissions (with a series emptied by withdrawals)
        // writes the same snapshot as the store's load.
        var applied = Dataset()
        for observations in DatasetLoadTests.submissions() { applied.apply(observations) }
        for (source, perChunk) in [(fromStore, 65_536), (fromStore, 7), (applied, 1), (applied, 1_000)] {
            try DatasetSnapshot.write(source, to: path, store: store, seriesPerChunk: perChunk)
            DatasetLoadTests.expectSame(try loaded(path, store), fromStore, parts: perChunk)
        }
    }

    @Test func anEmptyStoreRoundTrips() throws {
        let dir = try DatasetLoadTests.tempDir()
        let store = try Store(path: dir + "/warnd.sqlite")
        try DatasetSnapshot.write(Dataset(), to: dir + "/s", store: store)
        #expect(try loaded(dir + "/s", store).count == 0)
    }

    @Test func withoutAnEntryInTheStoreThereIsNoSnapshot() throws {
        let (store, _, path) = try filledStore()
        guard case .absent = DatasetSnapshot.load(from: path, store: store) else {
            Issue.record("expected no snapshot")
            return
        }
    }

    /// Written after each number of the submissions (revisions, values and a whole series withdrawn, new series,
    /// quarters and months), then caught up with the rest: the store's dataset, and what the catch-up applied.
    @Test func submissionsStoredAfterTheSnapshotAreCaughtUp() throws {
        let all = DatasetLoadTests.submissions()
        for written in 0..<all.count {
            let dir = try DatasetLoadTests.tempDir()
            let store = try Store(path: dir + "/warnd.sqlite")
            let path = dir + "/" + DatasetSnapshot.fileName
            var held = Dataset()
            for (i, observations) in all.enumerated() {
                if i == written { try DatasetSnapshot.write(held, to: path, store: store, seriesPerChunk: 7) }
                try store.accept(observations, name: "\(i).csv", sha256: "sha-\(i)", receivedAt: "2025-01-01T00:00:00Z",
                    format: "csv", encoding: "utf-8")
                held.apply(observations)
            }
            guard case .dataset(let caughtUp, let behind) = DatasetSnapshot.load(from: path, store: store) else {
                Issue.record("written after \(written): not loaded")
                continue
            }
            #expect(behind?.submissions == Int64(all.count - written), "written after \(written)")
            let changed = Set(all[written...].joined().map { "\($0.key) \($0.period)" })
            #expect(behind?.rows == changed.count, "each value changed since, once, as it stands")
            DatasetLoadTests.expectSame(try store.loadDataset(), caughtUp, parts: written)
        }
    }

    @Test func aSnapshotIsNotCaughtUpPastTheLimitOrFromAnOlderWarndsEntry() throws {
        let (store, dataset, path) = try filledStore()
        try DatasetSnapshot.write(dataset, to: path, store: store)
        let key = SeriesKey(indicator: "a_rate", region: "B")
        try store.accept([Observation(key: key, period: .year(2024), value: 5), Observation(key: key, period: .year(2025), value: 6)],
            name: "late.csv", sha256: "late", receivedAt: "2025-01-02T00:00:00Z", format: "csv", encoding: "utf-8")
        #expect(unusable(path, store, catchUpLimit: 1) == "written at 3 submissions, the store has 4: 2 rows arrived since, more than 1 to catch up")
        let within = try loaded(path, store).series[key]
        #expect(within?.value(at: .year(2024)) == 5 && within?.value(at: .year(2025)) == 6, "within the limit")
        // An entry without the last submission's id (written before the catch-up existed).
        let entry = try #require(try store.meta(DatasetSnapshot.metaKey))
        try store.setMeta(DatasetSnapshot.metaKey, entry.split(separator: " ").prefix(2).joined(separator: " "))
        #expect(unusable(path, store) == "written at 3 submissions, the store has 4 (data arrived since)")
    }

    @Test func aStoreWithFewerSubmissionsThanTheSnapshotIsNotCaughtUp() throws {
        let (store, dataset, path) = try filledStore()
        try DatasetSnapshot.write(dataset, to: path, store: store)
        let token = try #require(try store.meta(DatasetSnapshot.metaKey)?.split(separator: " ").first)
        try store.setMeta(DatasetSnapshot.metaKey, "\(token) 4 4")
        #expect(unusable(path, store) == "written at 4 submissions, the store has 3 (restored from an older copy?)")
    }

    @Test func aSnapshotOfAnotherStoreIsNotUsedThoughItsCountersAgree() throws {
        let (store, dataset, path) = try filledStore()
        let (other, _, otherPath) = try filledStore()
        try DatasetSnapshot.write(dataset, to: path, store: store)
        try DatasetSnapshot.write(dataset, to: otherPath, store: other)
        try FileManager.default.removeItem(atPath: otherPath)
        try FileManager.default.copyItem(atPath: path, toPath: otherPath)
        let why = try #require(unusable(otherPath, other))
        #expect(why.hasPrefix("written for another state of the store"), "\(why)")
    }

    @Test func aDamagedOrTruncatedSnapshotIsNotUsed() throws {
        let (store, dataset, path) = try filledStore()
        try DatasetSnapshot.write(dataset, to: path, store: store, seriesPerChunk: 10)
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        func with(_ bytes: Data) throws -> String? {
            try bytes.write(to: URL(fileURLWithPath: path))
            return unusable(path, store)
        }
        // One bit flipped in a point's value, in the middle of the series.
        var flipped = good
        flipped[good.count / 2] ^= 0x10
        #expect(try with(flipped)?.contains("is damaged") == true)
        // A string table entry changed.
        var renamed = good
        renamed[70] ^= 0x01
        #expect(try with(renamed) == "its header or string table is damaged")
        // Cut short, as by a crash during the write.
        #expect(try with(good.prefix(good.count - 100)) == "not a complete snapshot (no end mark: cut short?)")
        #expect(try with(good.prefix(10)) == "the file is too short")
        #expect(try with(Data()) == "the file is too short")
        // Intact again: used.
        _ = try with(good)
        DatasetLoadTests.expectSame(try loaded(path, store), dataset, parts: 10)
    }

    @Test func aMissingFileIsReportedAsMissing() throws {
        let (store, dataset, path) = try filledStore()
        try DatasetSnapshot.write(dataset, to: path, store: store)
        try FileManager.default.removeItem(atPath: path)
        #expect(unusable(path, store) == "the file is missing")
    }

    // MARK: the daemon

    private static let hiv = SeriesKey(indicator: "hiv_mother_to_child_transmission_rate", region: "测试县")

    @Test func aRestartAfterACleanShutdownStartsFromTheSnapshotWithTheSameDataAndAlerts() async throws {
        let f = try DaemonFixture()
        try await f.stoppedAfterTheBreach()
        #expect(FileManager.default.fileExists(atPath: f.config.stateDirectory + "/" + DatasetSnapshot.fileName))

        let second = try f.daemon()
        #expect(await second.startupTimings.map(\.0).contains("snapshot_load"))
        #expect(await second.dataset.series == (try second.store.loadDataset()).series)
        try await second.start()
        #expect(await second.current.count == 1, "the breach still fires")
        // Shut down with nothing stored since: the snapshot it started from is left as it is.
        let token = try second.store.meta(DatasetSnapshot.metaKey)
        await second.shutdown()
        #expect(try second.store.meta(DatasetSnapshot.metaKey) == token)

        // A revision while the next one runs: its shutdown writes the snapshot again, with the revised value.
        let third = try f.daemon()
        try await third.start()
        #expect(await third.handle(DaemonFixture.submission("revision.csv", DaemonTests.revisionCSV)) == .accepted(rows: 1, series: 1))
        await third.shutdown()
        #expect(try third.store.meta(DatasetSnapshot.metaKey) != token)
        let fourth = try f.daemon()
        #expect(await fourth.startupTimings.map(\.0).contains("snapshot_load"))
        #expect(await fourth.dataset.series[Self.hiv]?.points.last?.value == 1.9)
        try await fourth.start()
        #expect(await fourth.current.count == 0, "the revision resolved it")
    }

    @Test func aDaemonThatDiedAfterStoringDataRestartsFromTheSnapshotCaughtUp() async throws {
        let f = try DaemonFixture()
        try await f.stoppedAfterTheBreach()
        let second = try f.daemon()
        try await second.start()
        _ = await second.handle(DaemonFixture.submission("revision.csv", DaemonTests.revisionCSV))
        // No shutdown: as if killed. The snapshot on disk predates the revision.
        let third = try f.daemon()
        #expect(await third.startupTimings.map(\.0).contains("snapshot_load"))
        #expect(await third.dataset.series[Self.hiv]?.points.last?.value == 1.9)
        let notice = try #require(f.log.entries.first { $0.message.contains("caught up with") })
        #expect(notice.metadata["submissions"] == "1" && notice.metadata["rows"] == "1")
        try await third.start()
        #expect(await third.current.count == 0)
        // No longer current: its shutdown writes it again, and the next start needs no catch-up.
        await third.shutdown()
        let fourth = try f.daemon()
        #expect(await fourth.startupTimings.map(\.0).contains("snapshot_load"))
        #expect(f.log.entries.filter { $0.message.contains("caught up with") }.count == 1)
        #expect(await fourth.dataset.series[Self.hiv]?.points.last?.value == 1.9)
    }

    /// A daemon killed while writing the snapshot (or `active.json`) leaves its temporary file; the next start
    /// removes such files and nothing else.
    @Test func temporaryFilesLeftByAKilledWriteAreRemovedAtStart() async throws {
        let f = try DaemonFixture()
        let state = f.config.stateDirectory, alerts = f.config.alertsDirectory
        try FileManager.default.createDirectory(atPath: alerts + "/regions", withIntermediateDirectories: true)
        let leftovers = [state + "/.dataset.snapshot.tmp-999999-3", alerts + "/.active.json.tmp-12-1",
            alerts + "/regions/.测试县.json.tmp-7-40"]
        let kept = [state + "/.hidden", state + "/notes.tmp-1-1", alerts + "/.active.json.tmp-x-1",
            alerts + "/.report.md.tmp-\(getpid())-9"]
        for path in leftovers + kept { #expect(FileManager.default.createFile(atPath: path, contents: Data("x".utf8))) }
        _ = try f.daemon()
        for path in leftovers { #expect(!FileManager.default.fileExists(atPath: path), "\(path)") }
        for path in kept { #expect(FileManager.default.fileExists(atPath: path), "\(path)") }
    }

    /// The schedule's refresh writes the snapshot once data has arrived since the last one (and only then), so a
    /// daemon killed after it restarts from the snapshot too.
    @Test func theScheduledRefreshLetsADaemonKilledLaterStartFromTheSnapshot() async throws {
        let f = try DaemonFixture()
        let d = try f.daemon()
        try await d.start()
        await d.refreshDatasetSnapshot()
        let empty = try #require(try d.store.meta(DatasetSnapshot.metaKey))
        await d.refreshDatasetSnapshot()
        #expect(try d.store.meta(DatasetSnapshot.metaKey) == empty, "nothing arrived: not written again")
        _ = await d.handle(DaemonFixture.submission("hiv.csv", DaemonTests.breachCSV))
        await d.refreshDatasetSnapshot()
        #expect(try d.store.meta(DatasetSnapshot.metaKey) != empty)
        // No shutdown: killed after the refresh.
        let next = try f.daemon()
        #expect(await next.startupTimings.map(\.0).contains("snapshot_load"))
        #expect(await next.dataset.series[Self.hiv]?.points.last?.value == 2.6)
        try await next.start()
        #expect(await next.current.count == 1)
    }
}
