/// A plan's target for an indicator, as the plan states it.
///
/// Plans state targets in a few shapes, and each judges data differently: 下降到12/10万以下 must be reached by the
/// target year (``Scope-swift.enum/byYear``), 保持在2%以下 must hold every year (``Scope-swift.enum/everyYear``),
/// 以2020年为基数下降20% is relative to a base year's value, and 45%左右 is met within a tolerance.
public struct Target: Sendable, Hashable {
    public enum Scope: String, Sendable, Hashable, CaseIterable {
        case byYear = "by_year"
        case everyYear = "every_year"
    }

    public enum Value: Sendable, Hashable {
        case absolute(Double)
        /// target = y(baseYear) × (1 + change)
        case relative(change: Double, baseYear: Int)
    }

    public var comparison: Comparison
    public var value: Value
    public var tolerance: Double
    /// The year the target is due (the plan's target year unless the rule says otherwise).
    public var year: Int
    public var scope: Scope

    public init(comparison: Comparison, value: Value, tolerance: Double = 0, year: Int, scope: Scope = .byYear) {
        self.comparison = comparison
        self.value = value
        self.tolerance = tolerance
        self.year = year
        self.scope = scope
    }

    /// The absolute target value for a series, given its value at the base year for relative targets.
    public func resolve(baseValue: Double?) -> Double? {
        switch value {
        case .absolute(let v): return v
        case .relative(let change, _):
            guard let b = baseValue else { return nil }
            return b * (1 + change)
        }
    }

    public func isMet(by value: Double, target: Double) -> Bool {
        comparison.holds(value, target, tolerance: tolerance)
    }
}
