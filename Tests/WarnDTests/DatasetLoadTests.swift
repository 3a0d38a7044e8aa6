import Foundation
import Rules
import Testing

@testable import WarnD

/// Loading the store on several cores (``DatasetReader``) builds the same dataset as loading it on one, and as
/// applying the stored observations in order: same series and points, same index order, same periods.
@Suite struct DatasetLoadTests {
    static func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warnd-load-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Submissions over keys created out of key order (so ids and key order differ), with revisions, values
    /// withdrawn (`nil`), a series withdrawn entirely, years, quarters and months, and dimensions with escapes.
    static func submissions() -> [[Observation]] {
        let indicators = ["z_rate", "a_rate", "孕产妇死亡率", "m_rate"]
        let regions = ["渠县", "县0002", "a-region", "县0001", "B"]
        let dimensions: [[String: String]] = [[:], ["sex": "女"], ["sex": "男"], ["sex": "女", "area": "城\"镇\\\n"]]
        var first: [Observation] = []
        for (i, indicator) in indicators.enumerated() {
            for (j, region) in regions.reversed().enumerated() {
                for (k, d) in dimensions.enumerated() {
                    let key = SeriesKey(indicator: indicator, region: region, dimensions: d)
                    for year in 2018...2024 {
                        first.append(Observation(key: key, period: .year(year), value: Double(i * 100 + j * 10 + k) + Double(year) / 1000))
                    }
                    if k == 1 { first.append(Observation(key: key, period: .quarter(2024, 3), value: 1.5)) }
                    if k == 2 { first.append(Observation(key: key, period: .month(2023, 7), value: 2.5)) }
                }
            }
        }
        let a = SeriesKey(indicator: "a_rate", region: "渠县", dimensions: ["sex": "女"])
        let z = SeriesKey(indicator: "z_rate", region: "B")
        let withdrawn = SeriesKey(indicator: "m_rate", region: "县0001", dimensions: ["sex": "男"])
        let second = [
            Observation(key: a, period: .year(2020), value: 99),  // a revision
            Observation(key: a, period: .year(2021), value: nil),  // withdrawn
            Observation(key: z, period: .year(2025), value: 7),  // a new period, the latest
            Observation(key: SeriesKey(indicator: "new_rate", region: "渠县"), period: .year(2019), value: 3),
        ] + (2018...2024).map { Observation(key: withdrawn, period: .year($0), value: nil) }
            + [Observation(key: withdrawn, period: .month(2023, 7), value: nil)]
        let third = [Observation(key: a, period: .year(2020), value: 98), Observation(key: a, period: .year(2021), value: 4)]
        return [first, second, third]
    }

    static func expectSame(_ loaded: Dataset, _ expected: Dataset, parts: Int) {
        let nonEmpty = expected.series.filter { !$0.value.points.isEmpty }
        #expect(loaded.series == nonEmpty, "parts \(parts)")
        #expect(loaded.latestPeriod == expected.latestPeriod, "parts \(parts)")
        #expect(loaded.periods == expected.periods, "parts \(parts)")
        let indicators = Set(nonEmpty.keys.map(\.indicator))
        for indicator in indicators {
            let regions = expected.keys(of: indicator).mapValues { $0.filter { nonEmpty[$0] != nil } }.filter { !$0.value.isEmpty }
            #expect(loaded.keys(of: indicator) == regions, "parts \(parts), \(indicator)")
            for region in regions.keys {
                #expect(loaded.keys(of: indicator, in: region) == regions[region], "parts \(parts)")
            }
        }
    }

    @Test func aLoadInSeveralPartsEqualsALoadInOneAndTheObservationsApplied() throws {
        let store = try Store(path: try Self.tempDir() + "/warnd.sqlite")
        var expected = Dataset()
        for (i, observations) in Self.submissions().enumerated() {
            try store.accept(observations, name: "\(i).csv", sha256: "sha-\(i)", receivedAt: "2025-01-01T00:00:00Z",
                format: "csv", encoding: "utf-8")
            expected.apply(observations)
        }
        #expect(expected.series.values.contains { $0.points.isEmpty }, "the data has a series withdrawn entirely")
        for parts in [1, 2, 3, 7, 500] {
            Self.expectSame(try store.loadDataset(parts: parts), expected, parts: parts)
        }
        Self.expectSame(try store.loadDataset(), expected, parts: DatasetReader.defaultParts)
        // What a load falls back to when a submission keeps being committed under its parallel tasks.
        Self.expectSame(try DatasetReader.readInOneTransaction(store.pool), expected, parts: 0)
    }

    @Test func anEmptyStoreLoadsAnEmptyDataset() throws {
        let store = try Store(path: try Self.tempDir() + "/warnd.sqlite")
        let loaded = try store.loadDataset(parts: 2)
        #expect(loaded.count == 0)
        #expect(loaded.latestPeriod == nil)
    }

    @Test func anInternedKeyIsEqualToAndHashesAsAKeyMadeAlone() throws {
        var interner = SeriesKey.Interner()
        let (i, r, d) = (interner.string("孕产妇死亡率"), interner.string("渠县"), interner.dimensions(["sex": "女", "area": "农村"]))
        let made = interner.key(indicator: i, region: r, dimensions: d)
        let alone = SeriesKey(indicator: "孕产妇死亡率", region: "渠县", dimensions: ["area": "农村", "sex": "女"])
        #expect(made == alone)
        #expect(made.hashValue == alone.hashValue)
        #expect(Set([alone]).contains(made))
        #expect(made.dimensions == alone.dimensions)
        #expect(interner.string("渠县") == interner.string("渠县"))
        let none = interner.dimensions([:])
        #expect(interner.string("孕产妇死亡率") == i)
        let other = interner.key(indicator: i, region: r, dimensions: none)
        #expect(other != made && other < made)
    }
}
