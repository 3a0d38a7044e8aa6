/// The points of one series, in period order, one per period.
public struct Series: Sendable, Hashable {
    public struct Point: Sendable, Hashable {
        public var period: Period
        public var value: Double
        public init(period: Period, value: Double) {
            self.period = period
            self.value = value
        }
        public var t: Double { period.t }
    }

    public var key: SeriesKey
    public private(set) var points: [Point]

    public init(key: SeriesKey, points: [Point] = []) {
        self.key = key
        self.points = points.sorted { $0.period < $1.period }
    }

    /// Sets the value for a period; a later value for the same period replaces the earlier one (a revision), and
    /// `nil` ("not reported") removes it.
    @discardableResult
    public mutating func set(_ value: Double?, at period: Period) -> Change {
        let i = insertionIndex(of: period)
        if i < points.count, points[i].period == period {
            if let value {
                points[i].value = value
                return .replaced
            }
            points.remove(at: i)
            return .removed
        } else if let value {
            if i == points.count, points.capacity == points.count {
                // Series grow by one period at a time; reserving a few years at once spares regrowing per point.
                points.reserveCapacity(Swift.max(4, points.count + points.count / 2))
            }
            points.insert(Point(period: period, value: value), at: i)
            return .inserted
        }
        return .none
    }

    /// What ``set(_:at:)`` did to the points: a ``Dataset`` counts points per period from it.
    public enum Change: Sendable {
        case inserted, replaced, removed, none
    }

    /// The points with a period at or before `period` — what was known "as of" then.
    public func asOf(_ period: Period?) -> ArraySlice<Point> {
        guard let period else { return points[...] }
        var i = insertionIndex(of: period)
        if i < points.count, points[i].period == period { i += 1 }
        return points[..<i]
    }

    public func value(at period: Period) -> Double? {
        let i = insertionIndex(of: period)
        return i < points.count && points[i].period == period ? points[i].value : nil
    }

    private func insertionIndex(of period: Period) -> Int {
        var lo = 0
        var hi = points.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if points[mid].period < period { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
