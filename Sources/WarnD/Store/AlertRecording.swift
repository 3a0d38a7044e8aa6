import Rules

/// Stores what an evaluation changed in the alert state: the changed records and one event per transition, in one
/// transaction, then commits them to the tracker.
///
/// The daemon records every evaluation this way, and `warnd import` records the first evaluation of what it
/// imported: at national scale that evaluation is 518 674 new alerts and as many events, ≈ 0.7 GB written, which
/// the import does so that the daemon's first start is as quick as a restart (issue 4). Both must write the same
/// rows, so both come through here.
enum AlertRecording {
    /// What was recorded: the transitions, in the order of their events, and the sequence number of the last event
    /// (`nil` when there were none). The events of `transitions` are numbered `last - count + 1 … last`.
    struct Recorded {
        var transitions: [AlertTracker.Transition]
        var lastSeq: Int64?

        /// The sequence number of transition `i`'s event.
        func seq(of i: Int) -> Int64 { lastSeq! - Int64(transitions.count - 1 - i) }
    }

    /// Finds the changes without touching the tracker, stores them, and commits them to the tracker once stored:
    /// a failed write changes nothing. `journalMark` is stored in the same transaction (``Store/record``).
    static func record(_ result: Evaluator.Result, complete: Bool, tracker: inout AlertTracker, store: Store,
        now: String, journalMark: Int64? = nil) throws -> Recorded
    {
        var (transitions, changed) = tracker.changes(result, complete: complete, now: now)
        try addStoredMessages(to: &transitions, store: store)
        // Each event's payload is made as it is stored and dropped (after a bulk import: ≈ 520 000 of them), on
        // another thread a batch ahead of the inserts.
        let announced = transitions
        let last = try store.record(changed, eventCount: announced.count, journalMark: journalMark) { i in
            let t = announced[i]
            return Store.NewEvent(at: now, alertID: t.record.id, change: t.change.rawValue, rule: t.record.rule,
                severity: t.record.severity.rawValue, payload: payload(t))
        }
        tracker.commit(changed)
        return Recorded(transitions: transitions, lastSeq: last)
    }

    /// Gives the resolutions their messages, as stored with their alerts: the tracker keeps none (a resolution
    /// is announced with the message the alert last fired with).
    private static func addStoredMessages(to transitions: inout [AlertTracker.Transition], store: Store) throws {
        let missing = transitions.indices.filter { transitions[$0].record.message == nil }
        guard !missing.isEmpty else { return }
        let messages = try store.messages(of: missing.map { transitions[$0].record.id })
        for i in missing { transitions[i].record.message = messages[transitions[i].record.id] }
    }

    /// The event's alert object: the full alert JSON for `firing`; for `resolved`, the remembered record with the
    /// series' dimensions (what its journal entry carries, so that it can be sent from the store: ``AlertAnnouncement``).
    static func payload(_ t: AlertTracker.Transition) -> String {
        if let a = t.alert { return String(decoding: AlertJSONWriter.object(a, indent: nil), as: UTF8.self) }
        let r = t.record
        let object: [String: String] = [
            "id": r.id, "rule": r.rule, "plan": r.plan, "indicator": r.key.indicator, "region": r.key.region,
            "severity": r.severity.rawValue, "message": r.message ?? "", "state": "resolved",
        ]
        return String(decoding: AlertJSONWriter.compact(object, dimensions: r.key.dimensionMap), as: UTF8.self)
    }
}
