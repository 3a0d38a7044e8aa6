import Foundation

/// Location and scale estimates that one bad cell cannot move.
///
/// Indicator files are hand-assembled from yearbooks, and a single mistyped value (a per-mille rate entered as a
/// percentage, a shifted column) would drag a mean and standard deviation far enough to hide itself. The median and
/// the median absolute deviation tolerate up to half the values being wrong, so an outlier stands out against them.
///
/// All functions return nil for empty input or input containing NaN: there is no median of nothing, and a NaN is a
/// parsing bug upstream (missing cells are `nil`, not NaN) that should surface rather than be sorted somewhere.
public enum RobustStatistics: Sendable {
    /// 1/Φ⁻¹(¾): dividing the MAD by this makes it estimate the standard deviation when the data are normal, so a
    /// robust z reads on the familiar scale ("3 means 3σ").
    public static let madToStandardDeviation = 1.4826

    /// The middle value, or the mean of the two middle values for an even count.
    public static func median(_ xs: [Double]) -> Double? {
        guard !xs.isEmpty, !xs.contains(where: \.isNaN) else { return nil }
        let sorted = xs.sorted()
        let middle = sorted.count / 2
        if sorted.count.isMultiple(of: 2) {
            // Halving each term first cannot overflow even for two values near the largest finite Double.
            return sorted[middle - 1] / 2 + sorted[middle] / 2
        }
        return sorted[middle]
    }

    /// median(|xᵢ − median(x)|), unscaled; multiply by `madToStandardDeviation` for a σ estimate.
    public static func medianAbsoluteDeviation(_ xs: [Double]) -> Double? {
        guard let center = median(xs) else { return nil }
        return median(xs.map { abs($0 - center) })
    }

    /// (x − median) / (1.4826·MAD) of `reference`: how unusual x is among its peers, in σ-like units.
    ///
    /// When the MAD is 0 (more than half the reference values are equal) any different x is infinitely unusual on
    /// this scale, so ±∞ is returned rather than trapping or returning NaN; x equal to the median scores 0.
    /// Nil when `reference` is empty or x or a reference value is NaN.
    public static func robustZ(_ x: Double, reference: [Double]) -> Double? {
        guard !x.isNaN, let center = median(reference), let mad = medianAbsoluteDeviation(reference) else {
            return nil
        }
        let deviation = x - center
        guard mad > 0 else {
            if deviation == 0 { return 0 }
            return deviation > 0 ? .infinity : -.infinity
        }
        return deviation / (madToStandardDeviation * mad)
    }
}
