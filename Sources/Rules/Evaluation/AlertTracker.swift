import Dispatch
import OrderedCollections

/// The life of each alert across evaluations: inactive → pending → firing → resolved.
///
/// Only transitions are announced (firing, resolved), so a restart or a reload with unchanged rules — which
/// re-evaluates to the same alerts — announces nothing again. State is keyed by the alert fingerprint (rule id +
/// series), so a rule kept across a reload keeps its state, as Prometheus' rule manager copies state on update.
public struct AlertTracker: Sendable {
    public enum State: String, Sendable, Hashable, Codable {
        case pending, firing, resolved
    }

    /// What is remembered of one alert between evaluations (and persisted by the daemon).
    public struct Record: Sendable, Hashable {
        public var id: String
        public var rule: String
        public var plan: String
        public var key: SeriesKey
        public var state: State
        public var severity: Severity
        /// The Chinese sentence, in a record to store or announce that was made from an alert; `nil` in the records
        /// the tracker keeps and in those it resolves. The tracker keeps only ``messageDigest``: a national
        /// deployment's 518 674 messages (≈ 160 bytes each on the heap) were held twice, by the records and by the
        /// current alerts. Whoever stores the records has the message of a resolved one.
        public var message: String?
        /// ``digest(_:)`` of the message: how a re-evaluation tells that an alert's message changed.
        public var messageDigest: Int
        /// When the current state began (the daemon's clock, ISO 8601).
        public var since: String

        public init(id: String, rule: String, plan: String, key: SeriesKey, state: State, severity: Severity,
            message: String, since: String)
        {
            self.init(id: id, rule: rule, plan: plan, key: key, state: state, severity: severity,
                messageDigest: Self.digest(message), since: since)
            self.message = message
        }

        /// A record without its message (as read back from a store, which computes the digest from the stored text).
        public init(id: String, rule: String, plan: String, key: SeriesKey, state: State, severity: Severity,
            messageDigest: Int, since: String)
        {
            self.id = id
            self.rule = rule
            self.plan = plan
            self.key = key
            self.state = state
            self.severity = severity
            self.message = nil
            self.messageDigest = messageDigest
            self.since = since
        }

        /// A digest of a message's UTF-8 bytes. Seeded per process like every `Hasher`, so it is never stored: a
        /// store's records are digested again as they are read.
        public static func digest(_ message: String) -> Int {
            var m = message
            return m.withUTF8 { digest(utf8: UnsafeRawBufferPointer($0)) }
        }

        /// The same, of the message's UTF-8 bytes where they lie (a database row's text, without making a String).
        public static func digest(utf8 bytes: UnsafeRawBufferPointer) -> Int {
            var h = Hasher()
            h.combine(bytes: bytes)
            return h.finalize()
        }

        /// The record as the tracker keeps it.
        var withoutMessage: Record {
            var r = self
            r.message = nil
            return r
        }
    }

    /// An announced change: an alert began firing, or a firing alert resolved.
    public struct Transition: Sendable, Hashable {
        public enum Change: String, Sendable, Hashable {
            case firing, resolved
        }

        public var change: Change
        public var record: Record
        /// The alert as evaluated (for `firing`, and for `resolved` the last firing state is in `record`, without
        /// its message: ``Record/message``).
        public var alert: Alert?
    }

    /// By alert id. Ordered (a dense array of records beside a table of indices) rather than a `Dictionary`, for
    /// its size: a national deployment keeps ≈ 520 000 records of 96 bytes, and a `Dictionary` holds them in its
    /// buckets, 2²⁰ of them at that count, so that half its 117 MB was empty slots; this holds them in 62 MB.
    public private(set) var records: OrderedDictionary<String, Record>
    /// How many records are pending or firing: a full evaluation that finds each of them again (a restart with
    /// nothing changed) has nothing to resolve and skips the pass over every record.
    public private(set) var activeCount: Int

    public init(records: [Record] = []) {
        // Inserted one by one into a dictionary sized once: a restart at national scale reads ≈ 520 000 records,
        // and building an array of (id, record) pairs to merge copied each record twice more.
        var byID = OrderedDictionary<String, Record>(minimumCapacity: records.count)
        for r in records { byID[r.id] = r.withoutMessage }
        self.records = byID
        activeCount = self.records.values.reduce(0) { $0 + ($1.state == .resolved ? 0 : 1) }
    }

    /// Gives each record the dataset's own copy of its series key. Records read from a store each hold a key
    /// object of their own, with its own strings, equal to one the dataset holds: ≈ 180 bytes a record, 90 MB of a
    /// national restart's memory. A record whose series the dataset does not hold keeps its key. On both cores:
    /// at national scale it is ≈ 520 000 lookups on the way to READY=1.
    public mutating func shareKeys(with dataset: Dataset) {
        records.values.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let b = buffer
            let parts = b.count < 10_000 ? 1 : 2
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                for i in (b.count * part / parts)..<(b.count * (part + 1) / parts) {
                    if let s = dataset.series.index(forKey: b[i].key) { b[i].key = dataset.series.keys[s] }
                }
            }
        }
    }

    /// The alerts currently firing or pending.
    public var active: [Record] { records.values.filter { $0.state != .resolved } }

    /// Applies an evaluation.
    ///
    /// - Parameters:
    ///   - result: the evaluation; its outcomes say which (rule, series) pairs were looked at.
    ///   - complete: `true` for a full evaluation, in which an active alert that was not looked at at all (its rule
    ///     was removed by a reload, its series is gone) resolves; `false` for an incremental one, in which only
    ///     the alerts whose pair was looked at can change.
    ///   - now: the timestamp recorded for changes.
    /// - Returns: the transitions to announce, and the records that changed (to persist).
    public mutating func apply(_ result: Evaluator.Result, complete: Bool, now: String)
        -> (transitions: [Transition], changed: [Record])
    {
        let found = changes(result, complete: complete, now: now)
        commit(found.changed)
        return found
    }

    /// What ``apply(_:complete:now:)`` would change, without changing anything: the daemon persists the changes
    /// first and commits them only once stored. (It used to apply them to a copy of the tracker; with ≈ 500 000
    /// records at national scale, that copy of the dictionary was most of a submission's time whenever an alert
    /// changed.)
    public func changes(_ result: Evaluator.Result, complete: Bool, now: String)
        -> (transitions: [Transition], changed: [Record])
    {
        var transitions: [Transition] = []
        var changed: [Record] = []
        // Active records found again by this evaluation: when that is all of them, nothing resolves.
        var foundActive = 0
        for alert in result.alerts {
            let newState: State = alert.state == .firing ? .firing : .pending
            let old = records[alert.id]
            if let old, old.state != .resolved { foundActive += 1 }
            // The usual case (a restart, a re-evaluation): the record is current. Compared field by field, without
            // building a record per alert or rendering its message: the message by the digest the evaluation made.
            if let old, old.state == newState, old.severity == alert.severity, old.rule == alert.rule.id,
                old.plan == alert.plan.id, old.key == alert.key, old.messageDigest == alert.messageDigest
            {
                continue
            }
            // The digest the evaluation made, not made again from the message rendered here to be stored.
            var record = Record(id: alert.id, rule: alert.rule.id, plan: alert.plan.id, key: alert.key, state: newState,
                severity: alert.severity, messageDigest: alert.messageDigest, since: now)
            record.message = alert.message
            if let old, old.state == newState {
                // Something but the state changed (the message, most often): stored, not announced.
                record.since = old.since
                changed.append(record)
                continue
            }
            changed.append(record)
            if newState == .firing { transitions.append(Transition(change: .firing, record: record, alert: alert)) }
        }
        // An incremental evaluation can only resolve the pairs it looked at: visit those, not every record (a
        // national deployment keeps ≈ 500 000, and the daemon applies one evaluation per submitted file).
        precondition(complete || result.retention.keepsOutcomes, "an incremental evaluation must keep its outcomes")
        if complete && foundActive == activeCount {
            Self.sortForAnnouncing(&transitions)
            return (transitions, changed)
        }
        var seen = Set(result.alerts.map(\.id))
        let candidates: [String] = complete ? Array(records.keys) : result.outcomes.map(\.id)
        for id in candidates where !seen.contains(id) {
            guard let old = records[id], old.state != .resolved else { continue }
            seen.insert(id)
            if old.state == .firing {
                var r = old
                r.state = .resolved
                r.since = now
                changed.append(r)
                transitions.append(Transition(change: .resolved, record: r, alert: nil))
            } else {
                // A pending alert that stops holding was never announced: it goes quietly.
                var r = old
                r.state = .resolved
                r.since = now
                changed.append(r)
            }
        }
        Self.sortForAnnouncing(&transitions)
        return (transitions, changed)
    }

    /// Severity, rule, series: the order transitions are announced in. Sorted in place: on a first start after an
    /// import every alert is a transition (≈ 520 000 of ≈ 260 bytes), and a sorted copy beside them was the start's
    /// peak of memory.
    private static func sortForAnnouncing(_ transitions: inout [Transition]) {
        transitions.sort { ($0.record.severity, $0.record.rule, $0.record.key) < ($1.record.severity, $1.record.rule, $1.record.key) }
    }

    /// Records changes found by ``changes(_:complete:now:)`` (once they are persisted), without their messages.
    public mutating func commit(_ changed: [Record]) {
        // Room for them all at once: grown by doubling as they come, the last growth of a first start's ≈ 520 000
        // new records copied half of them beside the rest.
        records.reserveCapacity(records.count + changed.count)
        for r in changed {
            let old = records.updateValue(r.withoutMessage, forKey: r.id)
            activeCount += (r.state == .resolved ? 0 : 1) - (old.map { $0.state == .resolved ? 0 : 1 } ?? 0)
        }
    }
}
