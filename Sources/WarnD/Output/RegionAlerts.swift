import Foundation
import Rules

/// One region's current alerts, sorted by ``Alert/ordered(_:_:)``, with their JSON fragments: immutable once made.
///
/// A class so that the daemon's picture of ≈ 530 000 alerts is ≈ 3 000 references, one per region: handing a
/// snapshot to the file writer copies those, not the alerts, and a submission replaces the one or two regions it
/// touched. The fragments are encoded once per alert, by whoever needs them first (the region file right after a
/// submission, or the background writer after a full evaluation), under a lock.
final class RegionAlerts: @unchecked Sendable {
    let region: String
    let alerts: [Alert]
    let counts: AlertJSON.Counts
    /// Increases with every bucket made, so a file written from an older bucket is never written over a newer one.
    let generation: UInt64

    private let lock = NSLock()
    private var _fragments: [[UInt8]]?
    private var _rows: [String?]?

    private static let counter = Counter()

    init(region: String, sortedAlerts: [Alert]) {
        self.region = region
        alerts = sortedAlerts
        counts = AlertJSON.counts(sortedAlerts)
        generation = Self.counter.next()
    }

    /// Each alert's object, pretty, at the indentation of an element of `active.json`'s `alerts` array.
    var fragments: [[UInt8]] {
        lock.withLock {
            if let f = _fragments { return f }
            let f = alerts.map { AlertJSONWriter.object($0, indent: 4) }
            _fragments = f
            return f
        }
    }

    /// Each firing alert's `report.md` row (`nil` for pending ones), rendered once.
    func reportRows(ruleSet: RuleSet) -> [String?] {
        lock.withLock {
            if let r = _rows { return r }
            let r = alerts.map { $0.state == .firing ? CommitteeReport.row($0, ruleSet: ruleSet) : nil }
            _rows = r
            return r
        }
    }

    /// The region file: the same document as `active.json`, restricted to this region.
    func document(evaluatedAt: String, at: String?) -> [UInt8] {
        let f = fragments
        return AlertJSONWriter.document(counts: counts, evaluatedAt: evaluatedAt, at: at) { emit in
            for x in f { emit(x[...]) }
        }
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value: UInt64 = 0
        func next() -> UInt64 {
            lock.withLock {
                value += 1
                return value
            }
        }
    }
}

extension AlertJSON.Counts {
    static func + (a: Self, b: Self) -> Self {
        .init(critical: a.critical + b.critical, warning: a.warning + b.warning, info: a.info + b.info,
            pending: a.pending + b.pending)
    }

    static func - (a: Self, b: Self) -> Self {
        .init(critical: a.critical - b.critical, warning: a.warning - b.warning, info: a.info - b.info,
            pending: a.pending - b.pending)
    }
}
