import Dispatch

/// The events of one ``Store/record(_:eventCount:event:)``, made a batch ahead on another thread while the writer
/// inserts the batch before.
///
/// Why: after a bulk import the first start records ≈ 520 000 events, each with a JSON payload of ≈ 1 KB, and by
/// `perf` making the payloads was ≈ 3 s of the recording's CPU, on the one thread that also steps SQLite. Two
/// batches at most exist at a time (≈ 2 MB of payloads), so memory does not grow with the number of events.
final class EventBatches {
    static let batchSize = 2_048

    private let count: Int
    private let make: @Sendable (Int) -> Store.NewEvent
    /// The batch being made ahead, and where it lands (read once its group is done).
    private var next: (index: Int, group: DispatchGroup, made: PendingRead<[Store.NewEvent], Never>)?

    init(count: Int, make: @escaping @Sendable (Int) -> Store.NewEvent) {
        self.count = count
        self.make = make
    }

    var batchCount: Int { (count + Self.batchSize - 1) / Self.batchSize }

    /// Batch `b` (asked for in order from 0), and batch `b + 1` started on another thread.
    func batch(_ b: Int) -> [Store.NewEvent] {
        let events: [Store.NewEvent]
        if let n = next, n.index == b {
            n.group.wait()
            events = n.made.take()
        } else {
            events = Self.make(b, count: count, make)
        }
        next = nil
        if b + 1 < batchCount {
            let group = DispatchGroup()
            let made = PendingRead<[Store.NewEvent], Never>()
            let (count, make) = (self.count, self.make)
            DispatchQueue.global().async(group: group) { made.set(.success(Self.make(b + 1, count: count, make))) }
            next = (b + 1, group, made)
        }
        return events
    }

    private static func make(_ b: Int, count: Int, _ make: (Int) -> Store.NewEvent) -> [Store.NewEvent] {
        let range = (b * batchSize)..<min(count, (b + 1) * batchSize)
        return range.map(make)
    }

    deinit {
        // A writer that stopped early (an insert failed) waits for the batch in flight before it goes.
        next?.group.wait()
    }
}
