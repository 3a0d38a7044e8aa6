import Dispatch
import Foundation
import Logging
import Rules

/// Writes `active.json`, `report.md` and the region files off the submission path, at most once per interval.
///
/// At national scale `active.json` holds ≈ 530 000 alerts (hundreds of MB): rewriting it per submission would
/// bound the daemon at a few files a minute. The daemon hands over a snapshot after every change (cheap: one
/// reference per region); the writer keeps only the newest, writes it at once when it has been idle for an
/// interval and otherwise at the end of the interval, on a thread of its own so neither the daemon actor nor the
/// cooperative pool waits for the disk. `flush(_:)` writes the given picture now and returns when it is on disk
/// (shutdown, tests). Consequence for readers, documented in `docs/alerts.md`: `active.json` and `report.md` lag
/// the journal by at most the interval plus one write; `regions/<region>.json` does not lag.
actor AlertFileWriter {
    /// Everything the files are made from, as of one evaluation.
    struct Snapshot: Sendable {
        var generation: Int
        var alerts: CurrentAlerts
        var evaluatedAt: String
        var asOf: Period?
        var lastFile: String?
        var submissions: Int
        /// `nil` while the history from before startup is still being read: `report.md` is then left as it is.
        var resolved: [CommitteeReport.Resolved]?
        var ruleSet: RuleSet
        var generatedAt: String
    }

    nonisolated let directory: String
    nonisolated let regionFiles: RegionFiles
    let interval: Duration
    let logger: Logger

    private var pending: Snapshot?
    private var writtenGeneration = -1
    private var lastWrite: ContinuousClock.Instant?
    private var scheduled: Task<Void, Never>?
    /// The files are written on a thread of their own, at a lower priority than the submission path.
    private let thread = BackgroundThread(name: "warnd-files", nice: 10)

    init(directory: String, interval: Duration, logger: Logger) {
        self.directory = directory
        self.interval = interval
        self.logger = logger
        regionFiles = RegionFiles(directory: directory + "/regions")
    }

    /// Queues a snapshot; an older one still waiting is dropped.
    func submit(_ s: Snapshot) {
        if s.generation > max(pending?.generation ?? -1, writtenGeneration) { pending = s }
        schedule()
    }

    /// Writes `s` (or a newer snapshot already queued) now, and waits until every queued write is done.
    func flush(_ s: Snapshot) async {
        submit(s)
        while let t = scheduled {
            t.cancel()
            await t.value
        }
    }

    private func schedule() {
        guard scheduled == nil, pending != nil else { return }
        let wait = lastWrite.map { $0 + interval - ContinuousClock.now } ?? .zero
        scheduled = Task {
            if wait > .zero { try? await Task.sleep(for: wait) }
            await self.writePending()
        }
    }

    private func writePending() async {
        if let s = pending {
            pending = nil
            let started = ContinuousClock.now
            let (directory, regionFiles, logger) = (self.directory, self.regionFiles, self.logger)
            await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                thread.async {
                    Self.write(s, directory: directory, regionFiles: regionFiles, logger: logger)
                    ProcessMemory.releaseFreeMemory()
                    done.resume()
                }
            }
            writtenGeneration = max(writtenGeneration, s.generation)
            lastWrite = ContinuousClock.now
            let elapsed = ContinuousClock.now - started
            logger.debug("alert files written", metadata: [
                "alerts": "\(s.alerts.count)", "duration_ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
            ])
        }
        scheduled = nil
        schedule()
    }

    /// The files of one snapshot. A failure is logged; the next snapshot (or the shutdown flush) tries again.
    nonisolated static func write(_ s: Snapshot, directory: String, regionFiles: RegionFiles, logger: Logger) {
        let at = s.asOf?.description
        do {
            // Region files first: they are what a reader of one region waits for.
            for bucket in s.alerts.regions.values {
                try regionFiles.write(bucket, evaluatedAt: s.evaluatedAt, at: at)
            }
            regionFiles.removeAll(except: s.alerts.regions.keys)

            // Streamed: each alert encoded as it is written (nothing per alert is cached between rewrites).
            var all = OrderedAlerts(buckets: [])
            let keepOrder = s.resolved != nil
            try AtomicFile.write(to: directory + "/active.json") { write in
                AlertJSONWriter.stream(counts: s.alerts.counts, evaluatedAt: s.evaluatedAt, at: at, fragments: { emit in
                    s.alerts.forEachInOrder(prepare: { lists in
                        guard keepOrder else { return }
                        all = OrderedAlerts(buckets: lists)
                        all.reserveCapacity(s.alerts.count)
                    }) { alert, list, index in
                        if keepOrder { all.append(bucket: list, index: index) }
                        emit(AlertJSONWriter.object(alert, indent: 4)[...])
                    }
                }, write: write)
            }
            guard let resolved = s.resolved else { return }
            let report = CommitteeReport(generatedAt: s.generatedAt, asOf: s.asOf, lastFile: s.lastFile,
                submissions: s.submissions, alerts: all, resolved: resolved, ruleSet: s.ruleSet)
            try AtomicFile.write(to: directory + "/report.md") { write in report.render { write(Array($0.utf8)) } }
        } catch {
            logger.error("could not write the alert files: \(error)",
                metadata: ["MESSAGE_ID": "\(MessageID.ingestFailed)", "reason": "\(error)"])
        }
    }
}
