/// The t quantiles of one prediction-interval level by residual degrees of freedom, each computed on first use.
///
/// A `forecast` rule fits a line per series and asks for the same interval level every time, and its fits have
/// only a handful of distinct degrees of freedom (the number of points used, less two); the quantile, a Newton
/// iteration over the incomplete beta function, was computed again for every series. It is a pure function of
/// (degrees of freedom, level), so remembering it gives the numbers of ``LinearFit/predictionInterval(at:level:)``
/// exactly. Not shared between threads: the evaluator makes one per unit of work.
final class IntervalQuantiles {
    let level: Double
    /// Index = degrees of freedom; `nil` where not computed yet.
    private var byDegreesOfFreedom: [Double?] = []

    init(level: Double) {
        self.level = level
    }

    /// ``LinearFit/intervalQuantile(degreesOfFreedom:level:)`` for this level.
    func quantile(degreesOfFreedom df: Int) -> Double? {
        // Out of range (no degrees of freedom, a level outside (0, 1), or an implausibly long series): not cached.
        guard df >= 1, df < 4096 else { return LinearFit.intervalQuantile(degreesOfFreedom: df, level: level) }
        if df < byDegreesOfFreedom.count, let q = byDegreesOfFreedom[df] { return q }
        guard let q = LinearFit.intervalQuantile(degreesOfFreedom: df, level: level) else { return nil }
        if df >= byDegreesOfFreedom.count { byDegreesOfFreedom += Array(repeating: nil, count: df + 1 - byDegreesOfFreedom.count) }
        byDegreesOfFreedom[df] = q
        return q
    }

    /// The prediction interval of `fit` at `t` at this level: ``LinearFit/predictionInterval(at:level:)``.
    func predictionInterval(_ fit: LinearFit, at t: Double) -> (lower: Double, upper: Double)? {
        quantile(degreesOfFreedom: fit.degreesOfFreedom).map { fit.predictionInterval(at: t, quantile: $0) }
    }
}
