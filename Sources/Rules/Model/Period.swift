/// A reporting period: a year, a quarter or a month.
///
/// Plans are monitored annually, but departments sometimes report quarterly or monthly figures; trend maths needs
/// all of them on one axis, so every period maps to a number ``t`` (a year, a quarter as year + (q−1)/4, a month as
/// year + (m−1)/12).
public struct Period: Hashable, Comparable, Sendable, CustomStringConvertible {
    public enum Granularity: String, Sendable, Hashable, Codable {
        case year, quarter, month
    }

    /// Stored narrow: a dataset holds one period per observation (millions at national scale, issue 4), and
    /// 8 bytes instead of 24 halve a series' points.
    private let storedYear: Int32
    private let storedSub: UInt8
    public let granularity: Granularity

    public var year: Int { Int(storedYear) }
    /// 1–4 for a quarter, 1–12 for a month, 0 for a year.
    public var sub: Int { Int(storedSub) }

    public static func year(_ year: Int) -> Period { Period(year: year, sub: 0, granularity: .year) }
    public static func quarter(_ year: Int, _ q: Int) -> Period { Period(year: year, sub: q, granularity: .quarter) }
    public static func month(_ year: Int, _ m: Int) -> Period { Period(year: year, sub: m, granularity: .month) }

    /// The position on the time axis used by every trend computation.
    public var t: Double {
        switch granularity {
        case .year: return Double(year)
        case .quarter: return Double(year) + Double(sub - 1) / 4
        case .month: return Double(year) + Double(sub - 1) / 12
        }
    }

    /// The canonical spelling: `2024`, `2024Q3`, `2024-07`.
    public var description: String {
        switch granularity {
        case .year: return String(year)
        case .quarter: return "\(year)Q\(sub)"
        case .month: return sub < 10 ? "\(year)-0\(sub)" : "\(year)-\(sub)"
        }
    }

    public static func < (lhs: Period, rhs: Period) -> Bool {
        if lhs.t != rhs.t { return lhs.t < rhs.t }
        return lhs.granularity.order < rhs.granularity.order
    }

    /// The years a period may name: wide enough for any historical series, narrow enough to catch typos like `20224`.
    public static let validYears = 1949...2100

    /// Parses `2024`, `2024Q3`, `2024-Q3`, `2024q3` and `2024-07`; `nil` for anything else.
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        func number(_ slice: ArraySlice<UInt8>) -> Int? {
            guard !slice.isEmpty, slice.count <= 4 else { return nil }
            var n = 0
            for b in slice {
                guard b >= 0x30, b <= 0x39 else { return nil }
                n = n * 10 + Int(b - 0x30)
            }
            return n
        }
        guard bytes.count >= 4, let y = number(bytes[0..<4]), Period.validYears.contains(y) else { return nil }
        let rest = bytes[4...]
        if rest.isEmpty {
            self = .year(y)
            return
        }
        var r = rest
        if r.first == UInt8(ascii: "-") { r = r.dropFirst() }
        if r.first == UInt8(ascii: "Q") || r.first == UInt8(ascii: "q") {
            let q = r.dropFirst()
            guard q.count == 1, let n = number(q), (1...4).contains(n) else { return nil }
            self = .quarter(y, n)
            return
        }
        // A month needs the dash: `202407` is too easily a typo.
        guard rest.first == UInt8(ascii: "-"), r.count == 2, let m = number(r), (1...12).contains(m) else { return nil }
        self = .month(y, m)
    }

    init(year: Int, sub: Int, granularity: Granularity) {
        // Callers pass a year of `validYears` or a computed neighbour of one, and a sub-period of 0–12.
        self.storedYear = Int32(clamping: year)
        self.storedSub = UInt8(clamping: sub)
        self.granularity = granularity
    }
}

extension Period.Granularity {
    fileprivate var order: Int {
        switch self {
        case .year: return 0
        case .quarter: return 1
        case .month: return 2
        }
    }
}
