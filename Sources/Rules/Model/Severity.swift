/// How urgent an alert is; maps onto journald priorities (critical → 2, warning → 4, info → 6).
public enum Severity: String, Sendable, Hashable, CaseIterable, Comparable {
    case critical, warning, info

    /// Most urgent first, the order of every listing.
    public var rank: Int {
        switch self {
        case .critical: return 0
        case .warning: return 1
        case .info: return 2
        }
    }

    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }

    /// The Chinese word used in committee-facing text.
    public var chinese: String {
        switch self {
        case .critical: return "严重"
        case .warning: return "警告"
        case .info: return "提示"
        }
    }
}
