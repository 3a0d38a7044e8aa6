import Foundation

/// The regularized incomplete beta function I_x(a, b), the one special function the Student t distribution needs.
///
/// It lives in its own namespace so that `StudentT` reads as the textbook identity it implements, and so that the
/// numerics (the continued fraction and its guards) can be checked in one place.
enum RegularizedIncompleteBeta {
    /// I_x(a, b) for a, b > 0 and x in [0, 1].
    ///
    /// `complement` is 1 − x, passed separately because callers can often compute it without cancellation (for the
    /// t distribution, x²/(ν + x²) rather than 1 − ν/(ν + x²)), and the far tails depend on those lost digits.
    static func value(a: Double, b: Double, x: Double, complement y: Double) -> Double {
        value(a: a, b: b, x: x, complement: y, logX: log(x), logComplement: log(y))
    }

    /// As `value(a:b:x:complement:)`, with the logarithms of x and 1 − x supplied by the caller.
    ///
    /// In the extreme tails x itself underflows to 0 while log x is still an ordinary number, and the answer
    /// (≈ x^a (1−x)^b / (a·B(a, b))) is still representable; passing the logs keeps those tails instead of
    /// flushing them to 0.
    static func value(
        a: Double, b: Double, x: Double, complement y: Double, logX: Double, logComplement logY: Double
    ) -> Double {
        precondition(a > 0 && b > 0, "I_x(a, b) needs a, b > 0")
        if x.isNaN || y.isNaN || logX.isNaN || logY.isNaN { return .nan }
        if logX == -.infinity { return 0 }
        if logY == -.infinity { return 1 }
        // The prefactor x^a (1−x)^b / B(a, b), in logs so that large a or b does not overflow the gammas.
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * logX + b * logY
        let front = exp(logFront)
        // The continued fraction converges quickly only left of the distribution's mean (a+1)/(a+b+2); on the right
        // we use the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) so it is always evaluated where it converges.
        if x < (a + 1) / (a + b + 2) {
            return front * continuedFraction(a: a, b: b, x: x) / a
        } else {
            return 1 - front * continuedFraction(a: b, b: a, x: y) / b
        }
    }

    /// The continued fraction for I_x(a, b), evaluated with the modified Lentz method (Numerical Recipes `betacf`).
    ///
    /// Lentz's method avoids forming numerators and denominators separately, which would overflow; `tiny` stands in
    /// for a zero denominator so one unlucky term cannot produce a division by zero.
    private static func continuedFraction(a: Double, b: Double, x: Double) -> Double {
        let maxIterations = 10_000
        let epsilon = 2 * Double.ulpOfOne
        let tiny = 1e-300
        let qab = a + b
        let qap = a + 1
        let qam = a - 1
        var c = 1.0
        var d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...maxIterations {
            let m = Double(m)
            let m2 = 2 * m
            // Even step of the recurrence.
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            // Odd step.
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d
            if abs(d) < tiny { d = tiny }
            c = 1 + aa / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) <= epsilon { break }
        }
        return h
    }
}
