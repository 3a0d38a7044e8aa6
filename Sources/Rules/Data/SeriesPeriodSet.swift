/// Which periods each series of a file already has, as one bit per series and period.
///
/// Every row must be checked against all earlier rows for the same series and period. A hash map from
/// (series, period) to row is a cache miss per row on big files; a bitmap per series is small enough to stay in
/// cache (three words per series for years; quarters and months get their bits only when a series uses them). The
/// bitmap only answers "seen before?"; finding *which* row is left to a map built on the first repeat.
struct SeriesPeriodSet {
    private static let firstYear = Period.validYears.lowerBound
    private static let yearCount = Period.validYears.count
    private static let yearWords = (yearCount + 63) / 64
    /// Quarters, then months, after the years.
    private static let subBits = yearCount * 16
    private static let subWords = (subBits + 63) / 64

    /// `yearWords` words per series.
    private var years: [UInt64] = []
    /// Per series, the offset in ``subs`` of its quarter and month bits, or -1 until it has any.
    private var subBase: [Int32] = []
    private var subs: [UInt64] = []

    /// Records `period` for `series`; returns `false` if it was already there.
    @inline(__always)
    mutating func insert(series: Int32, period: Period) -> Bool {
        let s = Int(series)
        while subBase.count <= s {
            subBase.append(-1)
            years.append(contentsOf: repeatElement(0, count: Self.yearWords))
        }
        let y = period.year - Self.firstYear
        precondition(y >= 0 && y < Self.yearCount, "period outside Period.validYears")
        switch period.granularity {
        case .year:
            return set(&years, s * Self.yearWords * 64 + y)
        case .quarter, .month:
            if subBase[s] < 0 {
                subBase[s] = Int32(subs.count)
                subs.append(contentsOf: repeatElement(0, count: Self.subWords))
            }
            let bit =
                period.granularity == .quarter
                ? y * 4 + period.sub - 1 : Self.yearCount * 4 + y * 12 + period.sub - 1
            return set(&subs, Int(subBase[s]) * 64 + bit)
        }
    }

    @inline(__always)
    private func set(_ words: inout [UInt64], _ bit: Int) -> Bool {
        let mask: UInt64 = 1 << UInt64(bit & 63)
        let old = words[bit >> 6]
        words[bit >> 6] = old | mask
        return old & mask == 0
    }
}
