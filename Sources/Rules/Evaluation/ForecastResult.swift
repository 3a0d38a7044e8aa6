/// What a `forecast` rule found for one series: the projection to the target year and how likely the target is met.
public struct ForecastResult: Sendable, Hashable {
    /// The UN SDG Progress Chart categories, plus the final outcomes once the target year's value is in.
    public enum Status: String, Sendable, Hashable, CaseIterable {
        case achieved
        case onTrack = "on_track"
        case accelerationNeeded = "acceleration_needed"
        case stagnating
        case regressing
        case insufficientData = "insufficient_data"
        case met
        case missed

        public var chinese: String {
            switch self {
            case .achieved: return "已达标"
            case .onTrack: return "进展顺利"
            case .accelerationNeeded: return "需加快进度"
            case .stagnating: return "进展停滞"
            case .regressing: return "逆向发展"
            case .insufficientData: return "数据不足"
            case .met: return "已实现目标"
            case .missed: return "未实现目标"
            }
        }
    }

    public var method: ForecastParameters.Method
    public var year: Int
    public var value: Double?
    public var lower: Double?
    public var upper: Double?
    public var level: Double?
    public var pMeet: Double?
    public var progressRatio: Double?
    public var status: Status
    public var reachYear: Int?
    /// Why the status is `insufficient_data`.
    public var reason: String?
    /// The fitted line, for `--explain`.
    public var slope: Double?
    public var intercept: Double?
    public var residualStandardError: Double?
    /// Once final: how far the target-year value is from the target (positive = short of it).
    public var shortfall: Double?

    public init(method: ForecastParameters.Method, year: Int, status: Status) {
        self.method = method
        self.year = year
        self.status = status
    }
}
