/// A pending or firing alert: an ``Outcome`` whose condition holds, with everything a reader needs to act on it.
public struct Alert: Sendable, Hashable, Identifiable {
    public var id: String
    public var outcome: Outcome
    /// The plan and the indicator, held once for all the alerts of a rule in an evaluation: the daemon holds every
    /// current alert (518 674 at national scale), and a copy of both in each was 184 of its 320 bytes.
    private var context: Context
    /// The Chinese sentence for the committee.
    public var message: String

    public var plan: Plan.Summary {
        get { context.plan }
        set { context = Context(plan: newValue, indicator: context.indicator) }
    }

    public var indicator: Indicator {
        get { context.indicator }
        set { context = Context(plan: context.plan, indicator: newValue) }
    }

    public init(id: String, outcome: Outcome, plan: Plan.Summary, indicator: Indicator, message: String) {
        self.init(id: id, outcome: outcome, context: Context(plan: plan, indicator: indicator), message: message)
    }

    init(id: String, outcome: Outcome, context: Context, message: String) {
        self.id = id
        self.outcome = outcome
        self.context = context
        self.message = message
    }

    /// What the alerts of one rule share. Compared by value, so that alerts of two evaluations compare equal when
    /// only their contexts are distinct objects.
    final class Context: Sendable, Hashable {
        let plan: Plan.Summary
        let indicator: Indicator

        init(plan: Plan.Summary, indicator: Indicator) {
            self.plan = plan
            self.indicator = indicator
        }

        static func == (a: Context, b: Context) -> Bool {
            a === b || (a.plan == b.plan && a.indicator == b.indicator)
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(plan)
            hasher.combine(indicator)
        }
    }

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
