/// What one rule found for one series at one evaluation: the measurements, whether its condition holds, and the
/// alert state that follows from `for_periods`.
///
/// Every applicable (rule, series) pair yields an outcome, firing or not, so `--explain` can show why a rule stayed
/// quiet as well as why it fired.
public struct Outcome: Sendable, Hashable {
    public enum State: String, Sendable, Hashable {
        /// The condition holds but not yet for `for_periods` periods.
        case pending
        case firing
    }

    public var rule: Rule
    public var key: SeriesKey
    /// The latest period the rule looked at (for `stale`: the overdue period).
    public var period: Period?
    public var value: Double?
    /// The target resolved for this series (a relative target becomes absolute).
    public var targetValue: Double?
    public var forecast: ForecastResult? {
        get { forecastBox?.value }
        set { forecastBox = newValue.map(Box.init) }
    }
    /// Boxed: a forecast is ~200 bytes that most outcomes (every other kind) do not have, and a national evaluation
    /// holds a million outcomes.
    private var forecastBox: Box?
    public var measures: Measures {
        get { measuresBox?.value ?? Measures() }
        set { measuresBox = newValue == Measures() ? nil : MeasuresBox(newValue) }
    }
    /// Boxed like the forecast: ~150 bytes, of which an outcome uses one or two fields if any.
    private var measuresBox: MeasuresBox?
    /// Whether the condition holds as of the evaluation period.
    public var holds: Bool
    /// `nil` when inactive.
    public var state: State?
    /// Why the rule could not judge this series (too few points, no baseline value, …).
    public var note: String?
    /// The points the rule used, for `--explain`: empty unless the evaluation kept them
    /// (``Evaluator/Retention/keepsPoints``), since nothing else shows them.
    public var points: [Series.Point]

    public var id: String { Fingerprint.of(rule: rule.id, key: key) }

    private final class MeasuresBox: Sendable, Hashable {
        let value: Measures
        init(_ value: Measures) { self.value = value }
        static func == (a: MeasuresBox, b: MeasuresBox) -> Bool { a === b || a.value == b.value }
        func hash(into hasher: inout Hasher) { hasher.combine(value) }
    }

    private final class Box: Sendable, Hashable {
        let value: ForecastResult
        init(_ value: ForecastResult) { self.value = value }
        static func == (a: Box, b: Box) -> Bool { a === b || a.value == b.value }
        func hash(into hasher: inout Hasher) { hasher.combine(value) }
    }

    /// The kind-specific numbers behind a finding.
    public struct Measures: Sendable, Hashable {
        /// `fluctuation`: the latest change per year, its relative size and robust z-score.
        public var change: Double?
        public var relativeChange: Double?
        public var robustZ: Double?
        /// `direction`, `gap`: the OLS slope per year.
        public var slope: Double?
        /// `gap`: the latest gap |a − b|.
        public var gap: Double?
        /// `trajectory`: where the straight path to the target says the value should be.
        public var expected: Double?
        /// `stale`: the date the overdue value was due.
        public var due: CivilDate?
        public var window: Int?

        public init() {}
    }

    public init(rule: Rule, key: SeriesKey) {
        self.rule = rule
        self.key = key
        self.holds = false
        self.points = []
    }
}
