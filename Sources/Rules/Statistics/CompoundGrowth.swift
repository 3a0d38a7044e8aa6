import Foundation

/// Constant-rate (compound annual) growth between two observations, extrapolated from the later one.
///
/// Ratios such as the maternal mortality rate or the share of a budget tend to change by a roughly constant
/// *percentage* each year, not a constant amount; a straight line through them would predict negative mortality,
/// while compound growth approaches zero without crossing it. Only the two end points are used, which is how plan
/// documents themselves state growth targets ("an average annual increase of x %").
public struct CompoundGrowth: Sendable, Hashable {
    /// The per-unit-time growth rate r, (y_to / y_from)^(1/(t_to − t_from)) − 1; negative for decline.
    public let rate: Double
    public let baseT: Double
    public let baseY: Double
    /// Projections start from the latest observation rather than the base so that they pass through the most
    /// recent known value exactly, as a reader checking the arithmetic by hand would expect.
    public let latestT: Double
    public let latestY: Double

    /// Nil unless both values are positive and `to` is strictly later than `from`: growth rates of zero or negative
    /// quantities are meaningless, and a rate over no elapsed time is undefined. Non-finite inputs are rejected too.
    public init?(from: (t: Double, y: Double), to: (t: Double, y: Double)) {
        guard [from.t, from.y, to.t, to.y].allSatisfy(\.isFinite) else { return nil }
        guard from.y > 0, to.y > 0, to.t > from.t else { return nil }
        // expm1(log(ratio)/Δt) rather than pow(ratio, 1/Δt) − 1, which would lose digits when the rate is small.
        let rate = expm1(log(to.y / from.y) / (to.t - from.t))
        guard rate.isFinite else { return nil }
        self.rate = rate
        self.baseT = from.t
        self.baseY = from.y
        self.latestT = to.t
        self.latestY = to.y
    }

    /// y_latest·(1 + r)^(t − t_latest); also valid backwards in time.
    public func project(to t: Double) -> Double {
        latestY * exp(log1p(rate) * (t - latestT))
    }

    /// The time at which the projection reaches y: t_latest + ln(y / y_latest) / ln(1 + r).
    /// Nil when the rate is 0 (the projection is flat) or y ≤ 0 (compound growth never reaches it).
    public func solve(for y: Double) -> Double? {
        guard rate != 0, y > 0, !y.isNaN else { return nil }
        return latestT + log(y / latestY) / log1p(rate)
    }
}
