import Foundation
import Glibc

/// `alerts/regions/<region>.json`: one small file per region, rewritten as soon as that region's alerts change.
///
/// Shared by the daemon (which writes the regions a submission touched, on the submission path) and the background
/// writer (which writes the rest after a full evaluation); a lock orders them, and a file is never replaced by an
/// older picture than the one it holds (buckets carry increasing generations).
final class RegionFiles: @unchecked Sendable {
    let directory: String

    private struct Written: Equatable {
        var generation: UInt64
        var evaluatedAt: String
        var at: String?
    }

    private let lock = NSLock()
    private var written: [String: Written] = [:]

    init(directory: String) {
        self.directory = directory
    }

    func path(of region: String) -> String { directory + "/" + RegionFileName.of(region) + ".json" }

    /// Writes the region's file unless it already holds this bucket (or a newer one) for this day and period.
    func write(_ bucket: RegionAlerts, evaluatedAt: String, at: String?) throws {
        try lock.withLock {
            let w = Written(generation: bucket.generation, evaluatedAt: evaluatedAt, at: at)
            if let old = written[bucket.region] {
                if old == w || old.generation > w.generation { return }
            }
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            // Not fsync'd: the files are derived from the store and all rewritten after every start, and two fsyncs
            // would be most of a submission's cost. A reader still never sees half a file (rename).
            try AtomicFile.write(bucket.document(evaluatedAt: evaluatedAt, at: at), to: path(of: bucket.region),
                durable: false)
            written[bucket.region] = w
        }
    }

    /// Removes the files of regions no longer in the picture (left by an earlier run with other rules or data).
    func removeAll(except regions: some Sequence<String>) {
        let keep = Set(regions.map { RegionFileName.of($0) + ".json" })
        lock.withLock {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
            for name in names where name.hasSuffix(".json") && !keep.contains(name) {
                unlink(directory + "/" + name)
            }
        }
    }
}
