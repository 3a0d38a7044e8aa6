/// What a rule checks, with the parameters of that check.
///
/// The kinds follow what the plans ask of monitoring: a breach of a keep-within target, a forecast that the target
/// will be missed (预计达标困难), falling behind the straight path to the target, a large swing (波动较大), a trend
/// going the wrong way for goals without a number, a gap that is not narrowing, and data that is late.
public enum RuleKind: Sendable, Hashable {
    case breach
    case forecast(ForecastParameters)
    case trajectory(tolerance: Double)
    case fluctuation(FluctuationParameters)
    case direction(DirectionParameters)
    case gap(GapParameters)
    case stale(StaleParameters)

    public enum Name: String, Sendable, Hashable, CaseIterable, Codable {
        case breach, forecast, trajectory, fluctuation, direction, gap, stale
    }

    public var name: Name {
        switch self {
        case .breach: return .breach
        case .forecast: return .forecast
        case .trajectory: return .trajectory
        case .fluctuation: return .fluctuation
        case .direction: return .direction
        case .gap: return .gap
        case .stale: return .stale
        }
    }
}

extension RuleKind.Name {
    /// Whether the kind judges data against the rule's target (and so needs one).
    public var needsTarget: Bool {
        switch self {
        case .breach, .forecast, .trajectory: return true
        default: return false
        }
    }

    /// The Chinese name used in reports.
    public var chinese: String {
        switch self {
        case .breach: return "未达标"
        case .forecast: return "预计达标困难"
        case .trajectory: return "进度滞后"
        case .fluctuation: return "波动较大"
        case .direction: return "趋势偏离"
        case .gap: return "差距未缩小"
        case .stale: return "数据逾期"
        }
    }
}

public struct ForecastParameters: Sendable, Hashable {
    public enum Method: String, Sendable, Hashable, CaseIterable, Codable {
        case linear, cagr
    }

    public var method: Method = .linear
    public var window: Int?
    public var minPoints: Int = 3
    public var level: Double = 0.8
    public var minProbability: Double = 0.5
    /// UN SDG Progress Chart cut-offs on the progress ratio.
    public var onTrackCutoff: Double = 0.95
    public var accelerationCutoff: Double = 0.10

    public init() {}
}

public struct FluctuationParameters: Sendable, Hashable {
    public var absolute: Double?
    public var relative: Double?
    public var robustZ: Double?
    public var minChanges: Int = 4

    public init(absolute: Double? = nil, relative: Double? = nil, robustZ: Double? = nil, minChanges: Int = 4) {
        self.absolute = absolute
        self.relative = relative
        self.robustZ = robustZ
        self.minChanges = minChanges
    }
}

public struct DirectionParameters: Sendable, Hashable {
    /// `true` when the indicator should rise.
    public var up: Bool
    public var window: Int = 3
    public var tolerance: Double = 0

    public init(up: Bool, window: Int = 3, tolerance: Double = 0) {
        self.up = up
        self.window = window
        self.tolerance = tolerance
    }
}

public struct GapParameters: Sendable, Hashable {
    public var dimension: String
    public var between: (String, String)
    public var max: Double?
    public var window: Int = 3
    public var narrowing: Bool = true

    public init(dimension: String, between: (String, String), max: Double? = nil, window: Int = 3, narrowing: Bool = true) {
        self.dimension = dimension
        self.between = between
        self.max = max
        self.window = window
        self.narrowing = narrowing
    }

    public static func == (a: GapParameters, b: GapParameters) -> Bool {
        a.dimension == b.dimension && a.between == b.between && a.max == b.max && a.window == b.window
            && a.narrowing == b.narrowing
    }

    public func hash(into h: inout Hasher) {
        h.combine(dimension)
        h.combine(between.0)
        h.combine(between.1)
        h.combine(max)
        h.combine(window)
        h.combine(narrowing)
    }
}

public struct StaleParameters: Sendable, Hashable {
    /// Month and day of the year after a period by which its value is due.
    public var dueMonth: Int = 6
    public var dueDay: Int = 30

    public init(dueMonth: Int = 6, dueDay: Int = 30) {
        self.dueMonth = dueMonth
        self.dueDay = dueDay
    }
}
