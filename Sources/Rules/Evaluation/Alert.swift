/// A pending or firing alert: an ``Outcome`` whose condition holds, with everything a reader needs to act on it.
public struct Alert: Sendable, Hashable, Identifiable {
    public var id: String
    public var outcome: Outcome
    public var plan: Plan.Summary
    public var indicator: Indicator
    /// The Chinese sentence for the committee.
    public var message: String

    public var rule: Rule { outcome.rule }
    public var state: Outcome.State { outcome.state ?? .firing }
    public var severity: Severity { outcome.rule.severity }
    public var key: SeriesKey { outcome.key }

    /// Severity first, then plan, rule and series: the order of every listing and of `active.json`.
    public static func ordered(_ a: Alert, _ b: Alert) -> Bool {
        if a.severity != b.severity { return a.severity < b.severity }
        if a.plan.id != b.plan.id { return a.plan.id < b.plan.id }
        if a.rule.id != b.rule.id { return a.rule.id < b.rule.id }
        return a.key < b.key
    }
}

extension Plan {
    /// The plan fields an alert carries (not its rules).
    public struct Summary: Sendable, Hashable {
        public var id: String
        public var title: String
        public var baselineYear: Int
        public var targetYear: Int
    }

    public var summary: Summary { Summary(id: id, title: title, baselineYear: baselineYear, targetYear: targetYear) }
}
