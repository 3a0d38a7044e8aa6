import Foundation
import GRDB

/// Copies the store's write-ahead log into the database file from a connection and a thread of its own.
///
/// Why: by default SQLite checkpoints on the committing thread, right after a commit that leaves the WAL over
/// 1 000 pages. After a bulk import the daemon's first start commits ≈ 0.7 GB of alert state in one transaction,
/// and the checkpoint after it was ≈ 3 s of the start before READY=1; a submission that crossed the threshold paid
/// for one too. A PASSIVE checkpoint blocks neither the writer nor the readers, so it runs beside them. Nothing is
/// less durable: a commit is on disk once its WAL frames are synced, and a crash before they are copied loses
/// nothing (SQLite replays the WAL when the store is next opened).
final class WALCheckpointer: Sendable {
    /// What the thread and its owner share; the thread ends once the owner is gone.
    private final class Loop: @unchecked Sendable {
        let condition = NSCondition()
        var open = true
        let connection: DatabaseQueue

        init(connection: DatabaseQueue) { self.connection = connection }
    }

    private let loop: Loop

    /// `path`: the store's database, already in WAL mode. `interval`: how often the log is copied.
    init(path: String, interval: Duration) throws {
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
        }
        config.busyMode = .timeout(10)
        let loop = Loop(connection: try DatabaseQueue(path: path, configuration: config))
        self.loop = loop
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let thread = Thread {
            Thread.current.name = "warnd-wal"
            while true {
                loop.condition.lock()
                if loop.open { _ = loop.condition.wait(until: Date(timeIntervalSinceNow: seconds)) }
                let open = loop.open
                loop.condition.unlock()
                guard open else { return }
                // A failure (the disk full, say) leaves the frames in the log; the next round tries again.
                _ = try? Self.checkpoint(loop.connection)
            }
        }
        thread.start()
    }

    deinit {
        loop.condition.lock()
        loop.open = false
        loop.condition.signal()
        loop.condition.unlock()
    }

    /// Copies the log now, on the caller's thread: the frames in the log and how many of them are in the database.
    @discardableResult
    func checkpointNow() throws -> (frames: Int, copied: Int) {
        try Self.checkpoint(loop.connection)
    }

    private static func checkpoint(_ connection: DatabaseQueue) throws -> (frames: Int, copied: Int) {
        try connection.writeWithoutTransaction { db in
            let r = try db.checkpoint(.passive)
            return (r.walFrameCount, r.checkpointedFrameCount)
        }
    }
}
