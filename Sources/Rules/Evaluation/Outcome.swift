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
    /// holds a million outcomes. Packed in its box (``Box``).
    private var forecastBox: Box?
    public var measures: Measures {
        get { measuresBox?.value ?? Measures() }
        set { measuresBox = newValue == Measures() ? nil : MeasuresBox(newValue) }
    }
    /// Boxed like the forecast: ~150 bytes, of which an outcome uses one or two fields if any. Packed in its box too.
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

    /// The measures as an outcome holds them: the numbers without their optionals' padding (a `Double?` takes 16
    /// bytes) and a bit each for which are there. 88 bytes on the heap where the struct boxed as it is took 160; a
    /// national deployment's current alerts hold ≈ 260 000 (and a reload's evaluation as many again).
    private final class MeasuresBox: Sendable, Hashable {
        private let numbers: (Double, Double, Double, Double, Double, Double)
        private let window: Int
        private let due: CivilDate?
        private let present: UInt8

        init(_ m: Measures) {
            var present: UInt8 = 0
            func put(_ x: Double?, _ bit: UInt8) -> Double {
                guard let x else { return 0 }
                present |= bit
                return x
            }
            numbers = (put(m.change, 1), put(m.relativeChange, 2), put(m.robustZ, 4), put(m.slope, 8), put(m.gap, 16),
                put(m.expected, 32))
            window = m.window ?? 0
            if m.window != nil { present |= 64 }
            due = m.due
            self.present = present
        }

        var value: Measures {
            func get(_ x: Double, _ bit: UInt8) -> Double? { present & bit != 0 ? x : nil }
            var m = Measures()
            m.change = get(numbers.0, 1)
            m.relativeChange = get(numbers.1, 2)
            m.robustZ = get(numbers.2, 4)
            m.slope = get(numbers.3, 8)
            m.gap = get(numbers.4, 16)
            m.expected = get(numbers.5, 32)
            m.window = present & 64 != 0 ? window : nil
            m.due = due
            return m
        }

        static func == (a: MeasuresBox, b: MeasuresBox) -> Bool { a === b || a.value == b.value }
        func hash(into hasher: inout Hasher) { hasher.combine(value) }
    }

    /// The forecast as an outcome holds it, packed like ``MeasuresBox``: 136 bytes where the struct boxed as it is
    /// took 240; a national deployment's current alerts hold ≈ 245 000.
    private final class Box: Sendable, Hashable {
        private let numbers: (Double, Double, Double, Double, Double, Double, Double, Double, Double, Double)
        private let year: Int
        private let reachYear: Int
        private let reason: String?
        private let present: UInt16
        private let method: ForecastParameters.Method
        private let status: ForecastResult.Status

        init(_ f: ForecastResult) {
            var present: UInt16 = 0
            func put(_ x: Double?, _ bit: UInt16) -> Double {
                guard let x else { return 0 }
                present |= bit
                return x
            }
            numbers = (put(f.value, 1), put(f.lower, 2), put(f.upper, 4), put(f.level, 8), put(f.pMeet, 16),
                put(f.progressRatio, 32), put(f.slope, 64), put(f.intercept, 128), put(f.residualStandardError, 256),
                put(f.shortfall, 512))
            year = f.year
            reachYear = f.reachYear ?? 0
            if f.reachYear != nil { present |= 1024 }
            reason = f.reason
            method = f.method
            status = f.status
            self.present = present
        }

        var value: ForecastResult {
            func get(_ x: Double, _ bit: UInt16) -> Double? { present & bit != 0 ? x : nil }
            var f = ForecastResult(method: method, year: year, status: status)
            f.value = get(numbers.0, 1)
            f.lower = get(numbers.1, 2)
            f.upper = get(numbers.2, 4)
            f.level = get(numbers.3, 8)
            f.pMeet = get(numbers.4, 16)
            f.progressRatio = get(numbers.5, 32)
            f.slope = get(numbers.6, 64)
            f.intercept = get(numbers.7, 128)
            f.residualStandardError = get(numbers.8, 256)
            f.shortfall = get(numbers.9, 512)
            f.reachYear = present & 1024 != 0 ? reachYear : nil
            f.reason = reason
            return f
        }

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
