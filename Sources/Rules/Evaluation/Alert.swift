/// A pending or firing alert: an ``Outcome`` whose condition holds, with everything a reader needs to act on it.
public struct Alert: Sendable, Hashable, Identifiable {
    /// ``Fingerprint`` of the rule and the series, as its 16 hex digits are made from it.
    private let fingerprint: UInt64
    /// The alert's stable identity (``Fingerprint``), formatted when asked for.
    public var id: String { Fingerprint.hex(fingerprint) }
    public var outcome: Outcome {
        didSet { messageDigest = Self.digest(outcome, context) }
    }
    /// The plan and the indicator, held once for all the alerts of a rule in an evaluation: the daemon holds every
    /// current alert (518 674 at national scale), and a copy of both in each was 184 of its 320 bytes.
    private var context: Context {
        didSet { messageDigest = Self.digest(outcome, context) }
    }
    /// ``AlertTracker/Record/digest(_:)`` of ``message``, made when the alert was: how the tracker tells that a
    /// message changed without rendering it again.
    public private(set) var messageDigest: Int

    /// The Chinese sentence for the committee, rendered from the outcome each time it is asked for. Not held: a
    /// national deployment's 518 674 messages were ≈ 90 MB on the heap, twice over while a reload's alerts were
    /// made beside the current ones, and they are read only when a file, an event or a journal entry is written.
    public var message: String { context.renderer.render(outcome) }

    public var plan: Plan.Summary {
        get { context.plan }
        set { context = Context(plan: newValue, indicator: context.indicator, rule: nil) }
    }

    public var indicator: Indicator {
        get { context.indicator }
        set { context = Context(plan: context.plan, indicator: newValue, rule: nil) }
    }

    /// The alert of a holding outcome; its id is the outcome's (``Outcome/id``).
    public init(outcome: Outcome, plan: Plan.Summary, indicator: Indicator) {
        let context = Context(plan: plan, indicator: indicator, rule: nil)
        self.init(fingerprint: Fingerprint.value(rule: outcome.rule.id, key: outcome.key), outcome: outcome,
            context: context, messageDigest: Self.digest(outcome, context))
    }

    /// `fingerprint`: the outcome's; `messageDigest`: of the message `context` renders for `outcome` (the
    /// evaluator makes both as it goes).
    init(fingerprint: UInt64, outcome: Outcome, context: Context, messageDigest: Int) {
        self.fingerprint = fingerprint
        self.outcome = outcome
        self.context = context
        self.messageDigest = messageDigest
    }

    private static func digest(_ outcome: Outcome, _ context: Context) -> Int {
        AlertTracker.Record.digest(context.renderer.render(outcome))
    }

    /// What the alerts of one rule share, with the renderer of their messages. Compared by value, so that alerts of
    /// two evaluations compare equal when only their contexts are distinct objects.
    final class Context: Sendable, Hashable {
        let plan: Plan.Summary
        let indicator: Indicator
        let renderer: MessageRenderer

        /// `rule`: the rule whose alerts share this context, for the renderer's per-rule shortcuts (any outcome
        /// renders the same without them).
        init(plan: Plan.Summary, indicator: Indicator, rule: Rule?) {
            self.plan = plan
            self.indicator = indicator
            renderer = MessageRenderer(indicator: indicator, planTitle: plan.title, rule: rule)
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
