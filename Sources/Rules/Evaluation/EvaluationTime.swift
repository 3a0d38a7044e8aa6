/// When an evaluation happens: "as of" which period, and on which calendar day.
///
/// Both are inputs, never read from a clock here, so that `warnd eval --at 2022 --now 2023-07-01`, a back-test and
/// the daemon run the same code and tests need no sleeping.
public struct EvaluationTime: Sendable, Hashable {
    /// Only data for periods at or before this is used; `nil` means all data.
    public var at: Period?
    /// The calendar day of the evaluation (`stale` rules compare due dates against it).
    public var now: CivilDate

    public init(at: Period? = nil, now: CivilDate) {
        self.at = at
        self.now = now
    }
}

/// A calendar day, without time or zone: due dates in the plans are days.
public struct CivilDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m),
            (1...CivilDate.days(inMonth: m, year: y)).contains(d)
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public static func days(inMonth m: Int, year y: Int) -> Int {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public var description: String {
        let m = month < 10 ? "0\(month)" : "\(month)"
        let d = day < 10 ? "0\(day)" : "\(day)"
        return "\(year)-\(m)-\(d)"
    }

    /// `2025年6月30日`, for committee-facing text.
    public var chinese: String { "\(year)年\(month)月\(day)日" }

    public static func < (a: CivilDate, b: CivilDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }
}
