import Foundation

/// An ordinary least-squares line y = intercept + slope·t through a series, with the classical prediction
/// uncertainty for a single future observation.
///
/// Targets are judged on the value that will actually be reported in the target year, which scatters around the
/// trend, so everything here is about a *new observation* (prediction interval), not the mean of the line
/// (confidence interval): the latter would be far too narrow and warn too late or too early with false certainty.
///
/// Everything is computed in terms of deviations from the means: t is a calendar year around 2020, and forming
/// Σt² directly would cancel away most of the digits.
public struct LinearFit: Sendable, Hashable {
    public let n: Int
    public let slope: Double
    /// The fitted value at t = 0, kept for reporting; predictions go through the means instead because
    /// extrapolating 2000 years back and forward again loses precision.
    public let intercept: Double
    public let tMean: Double
    public let yMean: Double
    /// Σ(t − t̄)², how spread out the observation times are; the further a prediction is from t̄ relative to
    /// this, the less the slope's uncertainty can be ignored.
    public let sxx: Double
    /// s = √(SSE / (n − 2)), the scatter of observations around the line. Zero when n == 2, where the line passes
    /// through both points and there is no information about scatter at all (see `degreesOfFreedom`).
    public let residualStandardError: Double
    /// n − 2: two parameters were estimated. Zero means `residualStandardError` is not an estimate, and every
    /// probabilistic question returns nil rather than a false certainty.
    public let degreesOfFreedom: Int

    /// Nil when there is no line to fit: fewer than two points, mismatched arrays, all observations at the same
    /// time (the slope is undefined), or any non-finite input (a NaN would silently poison every sum).
    public init?(t: [Double], y: [Double]) {
        guard t.count == y.count else { return nil }
        self.init(count: t.count, t: { t[$0] }, y: { y[$0] })
    }

    /// The fit through a series' points (t = each period's ``Period/t``): the same numbers as
    /// ``init(t:y:)`` given the points' times and values, without building those two arrays per fit.
    init?(points: ArraySlice<Series.Point>) {
        let start = points.startIndex
        self.init(count: points.count, t: { points[start + $0].t }, y: { points[start + $0].value })
    }

    /// The fit of `count` observations (t(i), y(i)), summed in index order.
    @inline(__always)
    private init?(count n: Int, t: (Int) -> Double, y: (Int) -> Double) {
        guard n >= 2 else { return nil }
        for i in 0..<n where !t(i).isFinite || !y(i).isFinite { return nil }
        let count = Double(n)
        var tSum = 0.0
        var ySum = 0.0
        for i in 0..<n { tSum += t(i) }
        for i in 0..<n { ySum += y(i) }
        let tMean = tSum / count
        let yMean = ySum / count
        var sxx = 0.0
        var sxy = 0.0
        for i in 0..<n {
            let dt = t(i) - tMean
            sxx += dt * dt
            sxy += dt * (y(i) - yMean)
        }
        guard sxx > 0 else { return nil }
        let slope = sxy / sxx
        // Residuals summed directly rather than as Syy − slope·Sxy, which cancels catastrophically on a near-perfect
        // fit and can even go negative.
        var sse = 0.0
        for i in 0..<n {
            let residual = y(i) - (yMean + slope * (t(i) - tMean))
            sse += residual * residual
        }
        self.n = n
        self.slope = slope
        self.intercept = yMean - slope * tMean
        self.tMean = tMean
        self.yMean = yMean
        self.sxx = sxx
        self.degreesOfFreedom = n - 2
        self.residualStandardError = n > 2 ? (sse / Double(n - 2)).squareRoot() : 0
    }

    /// The point on the line at time t.
    public func predict(at t: Double) -> Double {
        yMean + slope * (t - tMean)
    }

    /// s·√(1 + 1/n + (t − t̄)²/Sxx): the scatter of one new observation (the 1), plus the uncertainty of the line's
    /// level (1/n) and of its slope, which grows with the distance of the prediction from the data.
    public func predictionStandardError(at t: Double) -> Double {
        let distance = t - tMean
        return residualStandardError * (1 + 1 / Double(n) + distance * distance / sxx).squareRoot()
    }

    /// The two-sided prediction interval ŷ ± q·se with q the t quantile on n − 2 degrees of freedom, e.g. `level`
    /// 0.8 gives the range a new observation falls in 80 % of the time.
    ///
    /// Nil when n == 2 (no residual degrees of freedom, so no honest width exists) or `level` is outside (0, 1).
    public func predictionInterval(at t: Double, level: Double) -> (lower: Double, upper: Double)? {
        guard let q = Self.intervalQuantile(degreesOfFreedom: degreesOfFreedom, level: level) else { return nil }
        return predictionInterval(at: t, quantile: q)
    }

    /// The t quantile of a two-sided `level` interval on `degreesOfFreedom` residual degrees of freedom; `nil`
    /// where ``predictionInterval(at:level:)`` is. It depends on the two numbers only, so an evaluation that fits
    /// many series of one rule computes it once per degrees of freedom (``IntervalQuantiles``), not per series.
    static func intervalQuantile(degreesOfFreedom: Int, level: Double) -> Double? {
        guard degreesOfFreedom >= 1, level > 0, level < 1 else { return nil }
        return StudentT(degreesOfFreedom: Double(degreesOfFreedom)).quantile(0.5 + level / 2)
    }

    /// ``predictionInterval(at:level:)`` given its quantile `q` (from ``intervalQuantile(degreesOfFreedom:level:)``).
    func predictionInterval(at t: Double, quantile q: Double) -> (lower: Double, upper: Double) {
        let center = predict(at: t)
        let halfWidth = q * predictionStandardError(at: t)
        return (center - halfWidth, center + halfWidth)
    }

    /// P(Y(t) < x) for a new observation at time t, under the usual model (independent normal errors around the
    /// line): (Y − ŷ)/se follows Student's t with n − 2 degrees of freedom.
    ///
    /// - Nil when n == 2: the line fits any two points exactly, so "se = 0" would report certainty from no
    ///   evidence. Callers wanting a verdict from two points use `predict` or `solve` and say it is a point estimate.
    /// - Nil when x is NaN or t is not finite.
    /// - When se is 0 with n ≥ 3 (the points lie exactly on a line), the answer is deterministic: 1 if ŷ < x, 0 if
    ///   ŷ > x, and ½ when ŷ == x, the limit of a vanishing-width symmetric distribution centred on the boundary.
    public func probabilityBelow(_ x: Double, at t: Double) -> Double? {
        guard let distribution = residualDistribution, !x.isNaN, t.isFinite else { return nil }
        let predicted = predict(at: t)
        let se = predictionStandardError(at: t)
        guard se > 0 else { return predicted < x ? 1 : predicted > x ? 0 : 0.5 }
        return distribution.cdf((x - predicted) / se)
    }

    /// P(Y(t) > x); the mirror of `probabilityBelow`, with the same nil and deterministic cases.
    ///
    /// Computed as the lower tail of the mirrored variable rather than as 1 − `probabilityBelow`, so that a tiny
    /// probability of exceeding a threshold keeps its digits.
    public func probabilityAbove(_ x: Double, at t: Double) -> Double? {
        guard let distribution = residualDistribution, !x.isNaN, t.isFinite else { return nil }
        let predicted = predict(at: t)
        let se = predictionStandardError(at: t)
        guard se > 0 else { return predicted > x ? 1 : predicted < x ? 0 : 0.5 }
        return distribution.cdf((predicted - x) / se)
    }

    /// The time at which the fitted line reaches y, e.g. the year a declining rate crosses its target.
    /// Nil for a flat line, which either never reaches y or is on it at all times.
    public func solve(for y: Double) -> Double? {
        guard slope != 0 else { return nil }
        return tMean + (y - yMean) / slope
    }

    /// The distribution of (Y − ŷ)/se, or nil when there are no residual degrees of freedom to base it on.
    private var residualDistribution: StudentT? {
        degreesOfFreedom >= 1 ? StudentT(degreesOfFreedom: Double(degreesOfFreedom)) : nil
    }
}
