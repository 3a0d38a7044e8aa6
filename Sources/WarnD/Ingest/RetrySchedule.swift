/// When each inbox entry that could not be processed may be tried again: exponential backoff per name.
///
/// A `failed` answer (the store could not write: full disk, locked database) or an I/O error leaves the file in the
/// inbox. Trying it again on every pass would hammer a broken store and flood the journal, and waiting a fixed long
/// time would delay recovery, so each failure doubles the wait, from `initial` up to `maximum`; a success, or the
/// file leaving the inbox, forgets the name.
///
/// A file whose content was not yet applied (the handler failed, or it could not be read) also holds back every
/// file after it in name order: applying a later file first would let an older revision win when the failed one
/// finally goes through. A file that only could not be moved (its content already applied, or never to be) holds
/// back nothing.
struct RetrySchedule: Sendable {
    var initial: Duration
    var maximum: Duration
    private var entries: [InboxName: Entry] = [:]
    /// The last reason the inbox itself could not be read, so a lasting problem is logged once, not every pass.
    var layoutProblem: String?

    private struct Entry: Sendable {
        var failures: Int
        var notBefore: ContinuousClock.Instant
        var holdsBack: Bool
    }

    init(initial: Duration = .seconds(1), maximum: Duration = .seconds(300)) {
        self.initial = initial
        self.maximum = max(initial, maximum)
    }

    /// Records a failure of `name`; returns how long to wait before the next attempt.
    @discardableResult
    mutating func failed(_ name: InboxName, holdsBack: Bool, now: ContinuousClock.Instant = .now) -> Duration {
        let failures = (entries[name]?.failures ?? 0) + 1
        var wait = initial
        for _ in 1..<min(failures, 32) where wait < maximum { wait *= 2 }
        wait = min(wait, maximum)
        entries[name] = Entry(failures: failures, notBefore: now + wait, holdsBack: holdsBack)
        return wait
    }

    /// How many times in a row `name` has failed.
    func failures(of name: InboxName) -> Int {
        entries[name]?.failures ?? 0
    }

    /// How long until `name` may be tried again; `nil` when it may be tried now.
    func wait(for name: InboxName, now: ContinuousClock.Instant = .now) -> Duration? {
        guard let entry = entries[name], entry.notBefore > now else { return nil }
        return now.duration(to: entry.notBefore)
    }

    /// Whether files after `name` must wait until it goes through.
    func holdsBack(_ name: InboxName) -> Bool {
        entries[name]?.holdsBack ?? false
    }

    mutating func succeeded(_ name: InboxName) {
        entries[name] = nil
    }

    /// Forgets every name not in `present`: a file that left the inbox starts afresh if it comes back.
    mutating func keep(only present: Set<InboxName>) {
        entries = entries.filter { present.contains($0.key) }
    }
}
