/// One monitored indicator of the catalog, e.g. 孕产妇死亡率.
///
/// Data rows and rules name indicators by ``id`` so that the same indicator keeps one identity across counties,
/// whatever each plan calls it; the unit, the better direction and the natural bounds let evaluation judge
/// values without knowing the indicator.
public struct Indicator: Hashable, Sendable {
    /// Which way an indicator should move.
    public enum Better: String, Sendable, Hashable, CaseIterable {
        case up, down, none
    }

    public var id: String
    public var name: String
    public var aliases: [String]
    public var unit: String
    public var better: Better
    /// Values outside these are impossible (a rate above 100%); forecasts are clamped to them.
    public var bounds: ClosedRange<Double>?
    public var domain: String?
    public var location: SourceLocation?

    public init(
        id: String, name: String, aliases: [String] = [], unit: String, better: Better,
        bounds: ClosedRange<Double>? = nil, domain: String? = nil, location: SourceLocation? = nil
    ) {
        self.id = id
        self.name = name
        self.aliases = aliases
        self.unit = unit
        self.better = better
        self.bounds = bounds
        self.domain = domain
        self.location = location
    }

    /// Whether a trailing `%` on a data value is accepted for this indicator.
    public var isPercentage: Bool { unit == "%" }

    /// Clamps a value into the natural bounds.
    public func clamp(_ value: Double) -> Double {
        guard let b = bounds else { return value }
        return min(max(value, b.lowerBound), b.upperBound)
    }
}
