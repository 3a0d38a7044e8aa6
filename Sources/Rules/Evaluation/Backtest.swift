/// Replays the periods of a range one by one, as if the rules had run when each period's data came in, and
/// records when each alert would have fired and cleared.
///
/// A tuner sees a rule's noise before deploying it: a fluctuation threshold that fires and clears every other year
/// is too tight. Each step evaluates as of period P on the last day of the year after it, so a value is overdue
/// (for `stale`) only if it was not in by then.
public struct Backtest: Sendable {
    public let ruleSet: RuleSet

    public init(ruleSet: RuleSet) {
        self.ruleSet = ruleSet
    }

    public struct Transition: Sendable, Hashable {
        public enum Change: String, Sendable, Hashable {
            case pending, firing, resolved
        }

        public var period: Period
        public var change: Change
        public var alert: Alert
    }

    public struct RuleSummary: Sendable, Hashable {
        public var rule: String
        public var fired = 0
        public var resolved = 0
        /// Steps at which at least one series of the rule was firing.
        public var periodsFiring = 0
    }

    public struct Report: Sendable {
        public var steps: [Period]
        public var transitions: [Transition]
        public var rules: [RuleSummary]
        /// The alerts still firing after the last step.
        public var firingAtEnd: Int
    }

    /// The steps: every year of a year range, else every period with data inside the range.
    public static func steps(from: Period, to: Period, data: Dataset) -> [Period] {
        if from.granularity == .year && to.granularity == .year {
            return from.year <= to.year ? (from.year...to.year).map { Period.year($0) } : []
        }
        return data.periods.filter { $0 >= from && $0 <= to }
    }

    public func run(_ data: Dataset, from: Period, to: Period) -> Report {
        let evaluator = Evaluator(ruleSet: ruleSet)
        let steps = Self.steps(from: from, to: to, data: data)
        var previous: [String: Alert] = [:]
        // The previous step's alerts in their order, so that those resolving at a step are listed in it too (a
        // walk of `previous` would list them in hash order, different in every process).
        var previousOrdered: [Alert] = []
        var transitions: [Transition] = []
        var summaries: [String: RuleSummary] = [:]
        for r in ruleSet.rules { summaries[r.id] = RuleSummary(rule: r.id) }
        for step in steps {
            let now = CivilDate(year: step.year + 1, month: 12, day: 31)
            let result = evaluator.evaluate(data, at: EvaluationTime(at: step, now: now))
            var current: [String: Alert] = [:]
            for a in result.alerts { current[a.id] = a }
            var firingRules = Set<String>()
            for a in result.alerts {
                let before = previous[a.id]?.state
                if a.state == .firing { firingRules.insert(a.rule.id) }
                if before != a.state {
                    transitions.append(Transition(period: step, change: a.state == .firing ? .firing : .pending, alert: a))
                    if a.state == .firing { summaries[a.rule.id]?.fired += 1 }
                }
            }
            for a in previousOrdered where current[a.id] == nil {
                transitions.append(Transition(period: step, change: .resolved, alert: a))
                if a.state == .firing { summaries[a.rule.id]?.resolved += 1 }
            }
            for r in firingRules { summaries[r]?.periodsFiring += 1 }
            previous = current
            previousOrdered = result.alerts
        }
        let ordered = ruleSet.rules.compactMap { summaries[$0.id] }
        return Report(steps: steps, transitions: transitions, rules: ordered,
            firingAtEnd: previous.values.filter { $0.state == .firing }.count)
    }
}
