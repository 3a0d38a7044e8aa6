import Foundation

/// Student's t distribution with ν degrees of freedom.
///
/// Trend fits on a handful of yearly observations have very few residual degrees of freedom, and with ν = 2 the 80 %
/// interval is 1.89 standard errors wide where the normal says 1.28: using the normal would make warnd confidently
/// wrong exactly when it knows least. Implemented from the incomplete beta function rather than tables so that any
/// positive ν, fractional included, works and the far tails keep their relative precision.
public struct StudentT: Sendable, Hashable {
    public let degreesOfFreedom: Double

    /// Beyond this many degrees of freedom the t and normal distributions differ by less than about 1e-6 in the
    /// quantiles we use, and the incomplete beta's continued fraction (which needs O(√ν) terms) stops being cheap.
    static let normalThreshold = 1e6

    /// A non-positive (or NaN) ν is a programming error, not a data condition: fits guard their degrees of freedom
    /// before building a distribution, so this traps rather than returning NaN into a verdict.
    public init(degreesOfFreedom: Double) {
        precondition(degreesOfFreedom > 0, "Student's t needs positive degrees of freedom, got \(degreesOfFreedom)")
        self.degreesOfFreedom = degreesOfFreedom
    }

    private var isEffectivelyNormal: Bool { degreesOfFreedom >= Self.normalThreshold }

    /// P(T ≤ x). Computed from the upper tail so that the small probabilities a warning hinges on keep their
    /// relative precision instead of being rounded off against 1.
    public func cdf(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        let tail = upperTail(abs(x))
        return x >= 0 ? 1 - tail : tail
    }

    /// The x with P(T ≤ x) = p; −∞ for p ≤ 0 and +∞ for p ≥ 1 so callers need not special-case the ends.
    ///
    /// Found as a good closed-form first guess (Hill 1970, CACM algorithm 396) polished by Newton's method on the
    /// tail probability; bisection takes over whenever Newton would leave the bracket, so it always converges.
    public func quantile(_ p: Double) -> Double {
        if p.isNaN { return .nan }
        if p <= 0 { return -.infinity }
        if p >= 1 { return .infinity }
        if p == 0.5 { return 0 }
        // 1 − p is exact for p in [0.5, 1), so reflecting loses nothing; working on the upper tail keeps the small
        // probability as the unknown's scale.
        return p > 0.5 ? upperQuantile(1 - p) : -upperQuantile(p)
    }

    // MARK: - Tail and density

    /// P(T > x) for x ≥ 0, which is ½·I_{ν/(ν+x²)}(ν/2, ½).
    func upperTail(_ x: Double) -> Double {
        if isEffectivelyNormal { return 0.5 * erfc(x / 2.0.squareRoot()) }
        if x.isInfinite { return 0 }
        let nu = degreesOfFreedom
        let a = nu / 2
        if x * x <= nu {
            let denominator = nu + x * x
            return 0.5 * RegularizedIncompleteBeta.value(
                a: a, b: 0.5, x: nu / denominator, complement: x * x / denominator)
        }
        // Far out x² overflows long before the tail probability underflows (for ν = 1, P(T > 1e200) ≈ 3e-201), so
        // work with r = √ν/x ≤ 1: z = r²/(1 + r²) and 1 − z = 1/(1 + r²), with logs taken before squaring.
        let r = nu.squareRoot() / x
        let logOnePlusR2 = log1p(r * r)
        let z = r * r / (1 + r * r)
        return 0.5 * RegularizedIncompleteBeta.value(
            a: a, b: 0.5, x: z, complement: 1 / (1 + r * r),
            logX: 2 * log(r) - logOnePlusR2, logComplement: -logOnePlusR2)
    }

    /// The density, needed only as the derivative for Newton steps in `quantile`.
    func density(_ x: Double) -> Double {
        if isEffectivelyNormal { return exp(-0.5 * x * x) / (2 * Double.pi).squareRoot() }
        let nu = degreesOfFreedom
        let logNormalizer = lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * log(nu * Double.pi)
        // log(1 + u²) with u = |x|/√ν, split so that u² cannot overflow in the far tails.
        let u = abs(x) / nu.squareRoot()
        let logOnePlusU2 = u > 1 ? 2 * log(u) + log1p(1 / (u * u)) : log1p(u * u)
        return exp(logNormalizer - (nu + 1) / 2 * logOnePlusU2)
    }

    // MARK: - Quantile

    /// The x > 0 with P(T > x) = q, for 0 < q < ½.
    private func upperQuantile(_ q: Double) -> Double {
        if isEffectivelyNormal { return -Self.normalQuantile(q) }
        var x = initialGuess(upperTail: q)
        // Invariant: upperTail(lo) > q > upperTail(hi); the root is always inside, whatever Newton proposes.
        var lo = 0.0
        var hi = Double.infinity
        for _ in 0..<200 {
            let excess = upperTail(x) - q
            if excess == 0 { return x }
            if excess > 0 { lo = x } else { hi = x }
            // upperTail is decreasing with derivative −density, so Newton's step is +excess/density.
            var next = x + excess / density(x)
            if !(next > lo && next < hi) {
                if hi.isInfinite {
                    // No upper bound yet: grow fast (squaring reaches 1e300 in ten steps) but stay finite.
                    next = lo >= 2 ? min(lo * lo, .greatestFiniteMagnitude) : 2 * lo + 1
                } else if lo > 0 && hi > 4 * lo {
                    // Heavy tails put the root anywhere over many orders of magnitude; halve its logarithm.
                    next = lo.squareRoot() * hi.squareRoot()  // √(lo·hi) without overflowing the product
                } else {
                    next = lo + (hi - lo) / 2
                }
            }
            if abs(next - x) <= 1e-14 * next { return next }
            x = next
        }
        return x
    }

    /// Hill's approximation, accurate to a few digits for ν ≥ 1, so Newton needs only two or three steps.
    private func initialGuess(upperTail q: Double) -> Double {
        let nu = degreesOfFreedom
        // Below ν = 1 Hill's constants break down; the tail asymptote is then a serviceable start.
        guard nu >= 1 else { return tailGuess(upperTail: q) }
        let twoSided = 2 * q
        let a = 1 / (nu - 0.5)
        let b = 48 / (a * a)
        var c = ((20_700 * a / b - 98) * a - 16) * a + 96.36
        let d = ((94.5 / (b + c) - 3) / b + 1) * (a * Double.pi / 2).squareRoot() * nu
        var y = pow(d * twoSided, 2 / nu)
        if y > 0.05 + a {
            // Far from the centre relative to ν: an expansion about the normal quantile.
            let z = Self.normalQuantile(q)
            y = z * z
            if nu < 5 { c += 0.3 * (nu - 4.5) * (z + 0.6) }
            c = (((0.05 * d * z - 5) * z - 7) * z - 2) * z + b + c
            y = (((((0.4 * y + 6.3) * y + 36) * y + 94.5) / c - y - 3) / b + 1) * z
            y = expm1(a * y * y)
        } else {
            y = ((1 / (((nu + 6) / (nu * y) - 0.089 * d - 0.822) * (nu + 2) * 3) + 0.5 / (nu + 4)) * y - 1)
                * (nu + 1) / (nu + 2) + 1 / y
        }
        let guess = (nu * y).squareRoot()
        // Hill's formula under- or overflows for the most extreme probabilities, exactly where the asymptote shines.
        return guess.isFinite && guess > 0 ? guess : tailGuess(upperTail: q)
    }

    /// The x where the tail's leading term K·ν^((ν−1)/2)·x^(−ν), K = Γ((ν+1)/2)/(Γ(ν/2)√(νπ)), equals q; exact in
    /// the limit q → 0 and computed in logs because x can be near the largest Double.
    private func tailGuess(upperTail q: Double) -> Double {
        let nu = degreesOfFreedom
        let logK = lgamma((nu + 1) / 2) - lgamma(nu / 2) - 0.5 * log(nu * Double.pi)
        let guess = exp((logK + (nu - 1) / 2 * log(nu) - log(q)) / nu)
        return guess.isFinite && guess > 0 ? guess : .greatestFiniteMagnitude
    }

    /// The standard normal quantile: Acklam's rational approximation (relative error 1e-9) refined by one Halley
    /// step against `erfc`, which brings it to full double precision.
    static func normalQuantile(_ p: Double) -> Double {
        if p <= 0 { return -.infinity }
        if p >= 1 { return .infinity }
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549671348850270e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let lowBreak = 0.02425
        var x: Double
        if p < lowBreak || p > 1 - lowBreak {
            let tail = p < lowBreak ? p : 1 - p
            let r = (-2 * log(tail)).squareRoot()
            let numerator = ((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]
            let denominator = (((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1
            x = numerator / denominator
            if p > 0.5 { x = -x }
        } else {
            let r = p - 0.5
            let s = r * r
            let numerator = (((((a[0] * s + a[1]) * s + a[2]) * s + a[3]) * s + a[4]) * s + a[5]) * r
            let denominator = ((((b[0] * s + b[1]) * s + b[2]) * s + b[3]) * s + b[4]) * s + 1
            x = numerator / denominator
        }
        // Halley refinement, measuring the error in whichever tail is small so it is not lost against 1.
        let error = p < 0.5
            ? 0.5 * erfc(-x / 2.0.squareRoot()) - p
            : (1 - p) - 0.5 * erfc(x / 2.0.squareRoot())
        let u = error * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }
}
