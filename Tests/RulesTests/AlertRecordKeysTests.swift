import Rules
import Testing

/// The alert state read at start-up holds the dataset's own series keys, not an equal copy per record.
@Suite struct AlertRecordKeysTests {
    static func record(_ n: Int, _ key: SeriesKey) -> AlertTracker.Record {
        AlertTracker.Record(id: String(n), rule: "r", plan: "p", key: key, state: .firing, severity: .warning,
            message: "m", since: "t")
    }

    /// Built apart from the dataset's, as the store's reader builds them.
    static func key(_ n: Int) -> SeriesKey {
        SeriesKey(indicator: "indicator_\(n % 7)", region: "县\(n)", dimensions: n % 2 == 0 ? [:] : ["sex": "女"])
    }

    @Test(arguments: [10, 25_000])
    func recordsTakeTheDatasetsKeysAndKeepTheirOwnWhenTheDatasetHasNone(count: Int) {
        var data = Dataset()
        for n in 0..<count where n % 5 != 0 {
            data.apply(Observation(key: Self.key(n), period: .year(2024), value: Double(n)))
        }
        var tracker = AlertTracker(records: (0..<count).map { Self.record($0, Self.key($0)) })
        let before = Array(tracker.records.values)
        #expect(!before.contains { r in data.series.index(forKey: r.key).map { data.series.keys[$0].isSameInstance(as: r.key) } ?? false })
        tracker.shareKeys(with: data)
        let records = Array(tracker.records.values)
        #expect(records == before, "only which object holds each key changed")
        for (n, r) in records.enumerated() {
            if let i = data.series.index(forKey: r.key) {
                #expect(data.series.keys[i].isSameInstance(as: r.key), "record \(n)")
            } else {
                #expect(n % 5 == 0, "record \(n): its series is in the dataset")
                #expect(r.key.isSameInstance(as: before[n].key), "record \(n) keeps its own key")
            }
        }
    }
}
