import Foundation
import Rules

/// One region's current alerts, sorted by ``Alert/ordered(_:_:)``: immutable once made.
///
/// A class so that the daemon's picture of ≈ 530 000 alerts is ≈ 3 000 references, one per region: handing a
/// snapshot to the file writer copies those, not the alerts, and a submission replaces the one or two regions it
/// touched. The JSON is encoded when a file is written, not kept: at national scale the encoded fragments and
/// report rows of every alert were ≈ 600 MB beside the alerts themselves (issue 4), for a rewrite of
/// `active.json` that is coalesced and off the submission path anyway (encoding costs ≈ 4 µs an alert there).
final class RegionAlerts: @unchecked Sendable {
    let region: String
    let alerts: [Alert]
    let counts: AlertJSON.Counts
    /// Increases with every bucket made, so a file written from an older bucket is never written over a newer one.
    let generation: UInt64

    private static let counter = Counter()

    init(region: String, sortedAlerts: [Alert]) {
        self.region = region
        alerts = sortedAlerts
        counts = AlertJSON.counts(sortedAlerts)
        generation = Self.counter.next()
    }

    /// The region file: the same document as `active.json`, restricted to this region.
    func document(evaluatedAt: String, at: String?) -> [UInt8] {
        AlertJSONWriter.document(counts: counts, evaluatedAt: evaluatedAt, at: at) { emit in
            for a in alerts { emit(AlertJSONWriter.object(a, indent: 4)[...]) }
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
