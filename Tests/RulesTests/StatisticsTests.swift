import Foundation
import Testing

@testable import Rules

/// |actual − expected| ≤ max(absolute, relative·|expected|). Expected values below are hand computations or scipy
/// output quoted to (nearly) full precision, so the tolerances say how exact the implementation must be.
private func isClose(
    _ actual: Double, _ expected: Double, absolute: Double = 1e-12, relative: Double = 1e-12
) -> Bool {
    abs(actual - expected) <= max(absolute, relative * abs(expected))
}

/// One umbrella suite so that `swift test --filter StatisticsTests` selects every statistics test.
@Suite struct StatisticsTests {
    // MARK: - Student's t

    @Suite struct StudentTTests {
        /// The brief's table values (10 significant digits), which any t table lists.
        @Test(arguments: [
            (0.9, 1.0, 3.077683537),
            (0.9, 2.0, 1.885618083),
            (0.9, 3.0, 1.637744354),
            (0.975, 1.0, 12.70620474),
            (0.975, 5.0, 2.570581836),
            (0.975, 30.0, 2.042272456),
            (0.995, 10.0, 3.169272673),
        ])
        func studentQuantileMatchesTables(p: Double, df: Double, expected: Double) {
            let q = StudentT(degreesOfFreedom: df).quantile(p)
            #expect(isClose(q, expected, absolute: 1e-6, relative: 0))
            // Symmetry: the lower quantile is the negated upper one.
            #expect(isClose(StudentT(degreesOfFreedom: df).quantile(1 - p), -expected, absolute: 1e-6, relative: 0))
        }

        /// Full-precision references, including far tails and fractional ν, to pin the ~1e-12 relative accuracy.
        /// python3 -c "from scipy.stats import t; print(repr(t.ppf(p, df)))" for each row.
        @Test(arguments: [
            (0.9, 1.0, 3.0776835371752544),  // exactly tan(0.4π)
            (0.975, 1.0, 12.706204736174694),  // exactly tan(0.475π)
            (0.9, 2.0, 1.8856180831641272),  // exactly 0.8/√(2·0.1·0.9) = 0.8/√0.18
            (0.9, 3.0, 1.637744353696209),
            (0.975, 5.0, 2.5705818356363146),
            (0.975, 30.0, 2.0422724563012378),
            (0.995, 10.0, 3.16927267261695),
            (0.3, 7.0, -0.5491096579472854),
            (1e-10, 3.0, -2225.769284683093),
            (0.999999, 4.0, 41.5778541501515),
            (1 - 1e-12, 30.0, 11.397227795416011),
            (1e-300, 1.0, -3.183098861837907e+299),  // −1/tan(π·1e-300) = −1/(π·1e-300)
            (0.75, 0.5, 1.5537739740300383),
            (0.9, 2.5, 1.7302509288071766),
        ])
        func studentQuantileIsAccurateToFullPrecision(p: Double, df: Double, expected: Double) {
            let q = StudentT(degreesOfFreedom: df).quantile(p)
            #expect(isClose(q, expected, absolute: 0, relative: 1e-10))
        }

        @Test func studentCDFMatchesClosedForms() {
            // ν = 1 (Cauchy): F(x) = ½ + atan(x)/π, so F(1) = ½ + (π/4)/π = 0.75.
            #expect(isClose(StudentT(degreesOfFreedom: 1).cdf(1), 0.75))
            // ν = 2: F(x) = ½ + x/(2√(2 + x²)), so F(1) = ½ + 1/(2√3) = 0.7886751345948129.
            #expect(isClose(StudentT(degreesOfFreedom: 2).cdf(1), 0.7886751345948129))
            // ν = 5: F(x) = ½ + (θ + sinθ·cosθ·(1 + ⅔cos²θ))/π with θ = atan(x/√5); F(−2) = 0.050969739414929174.
            // python3 -c "from scipy.stats import t; print(repr(t.cdf(-2, 5)))"
            #expect(isClose(StudentT(degreesOfFreedom: 5).cdf(-2), 0.050969739414929174))
            // Far tail keeps relative precision: F₁(−40) = ½ − atan(40)/π = atan(1/40)/π = 0.007956089912025814.
            #expect(isClose(StudentT(degreesOfFreedom: 1).cdf(-40), 0.007956089912025814))
            // python3 -c "from scipy.stats import t; print(repr(t.sf(40, 3)))"  → 1.7190340394579253e-05
            #expect(isClose(1 - StudentT(degreesOfFreedom: 3).cdf(40), 1.7190340394579253e-05, relative: 1e-9))
            #expect(isClose(StudentT(degreesOfFreedom: 3).cdf(-40), 1.7190340394579253e-05))
            // Beyond where x² overflows: F₁(−1e200) = atan(1e-200)/π = 1e-200/π = 3.183098861837907e-201.
            #expect(isClose(StudentT(degreesOfFreedom: 1).cdf(-1e200), 3.183098861837907e-201))
        }

        @Test func studentCDFIsSymmetricAndBounded() {
            let t = StudentT(degreesOfFreedom: 4)
            #expect(t.cdf(0) == 0.5)
            #expect(t.cdf(.infinity) == 1)
            #expect(t.cdf(-.infinity) == 0)
            #expect(t.cdf(.nan).isNaN)
            for x in [0.1, 0.7, 1.5, 3, 12] {
                #expect(isClose(t.cdf(x) + t.cdf(-x), 1, absolute: 1e-15))
            }
        }

        @Test(arguments: [1.0, 2.0, 3.0, 7.5, 29.0, 500.0])
        func studentQuantileInvertsCDF(df: Double) {
            let t = StudentT(degreesOfFreedom: df)
            for p in [1e-8, 0.001, 0.05, 0.2, 0.49, 0.51, 0.8, 0.95, 0.999] {
                #expect(isClose(t.cdf(t.quantile(p)), p, absolute: 0, relative: 1e-11))
            }
        }

        @Test func studentQuantileHandlesEndpoints() {
            let t = StudentT(degreesOfFreedom: 3)
            #expect(t.quantile(0) == -.infinity)
            #expect(t.quantile(-0.1) == -.infinity)
            #expect(t.quantile(1) == .infinity)
            #expect(t.quantile(1.5) == .infinity)
            #expect(t.quantile(0.5) == 0)
            #expect(t.quantile(.nan).isNaN)
        }

        @Test func largeDegreesOfFreedomUseTheNormal() {
            // Φ(0.5): python3 -c "from scipy.stats import norm; print(repr(norm.cdf(0.5)))" → 0.6914624612740131
            // (t with ν = 1e7 differs only in the 9th digit: 0.6914624557729926).
            #expect(isClose(StudentT(degreesOfFreedom: 1e7).cdf(0.5), 0.6914624612740131))
            #expect(isClose(StudentT(degreesOfFreedom: .infinity).cdf(0.5), 0.6914624612740131))
            // Φ⁻¹(0.975) = 1.959963984540054 (norm.ppf(0.975)).
            #expect(isClose(StudentT(degreesOfFreedom: 1e6).quantile(0.975), 1.959963984540054))
            #expect(isClose(StudentT(degreesOfFreedom: .infinity).quantile(0.025), -1.959963984540054))
            // Φ⁻¹(1e-20) = -9.262340089798409 (norm.ppf(1e-20)): the refinement keeps far tails exact.
            #expect(isClose(StudentT.normalQuantile(1e-20), -9.262340089798409, absolute: 0, relative: 1e-13))
        }
    }

    // MARK: - Linear fit

    @Suite struct LinearFitTests {
        /// t = 2018…2021, y = 20, 18, 17, 15. By hand: t̄ = 2019.5, ȳ = 17.5; t − t̄ = −1.5, −0.5, 0.5, 1.5;
        /// y − ȳ = 2.5, 0.5, −0.5, −2.5; Sxx = 2.25+0.25+0.25+2.25 = 5; Sxy = −3.75−0.25−0.25−3.75 = −8;
        /// slope = −8/5 = −1.6; intercept = 17.5 + 1.6·2019.5 = 3248.7; fitted 19.9, 18.3, 16.7, 15.1;
        /// residuals 0.1, −0.3, 0.3, −0.1; SSE = 0.01+0.09+0.09+0.01 = 0.2; s = √(0.2/2) = √0.1.
        let fit = LinearFit(t: [2018, 2019, 2020, 2021], y: [20, 18, 17, 15])!

        @Test func linearFitMatchesHandComputation() {
            #expect(fit.n == 4)
            #expect(fit.degreesOfFreedom == 2)
            #expect(isClose(fit.tMean, 2019.5))
            #expect(isClose(fit.yMean, 17.5))
            #expect(isClose(fit.sxx, 5))
            #expect(isClose(fit.slope, -1.6))
            #expect(isClose(fit.intercept, 3248.7, absolute: 1e-9))
            #expect(isClose(fit.residualStandardError, 0.31622776601683794))  // √0.1
        }

        @Test func predictionAndStandardErrorMatchHandComputation() {
            // ŷ(2030) = 17.5 − 1.6·(2030 − 2019.5) = 17.5 − 16.8 = 0.7.
            #expect(isClose(fit.predict(at: 2030), 0.7))
            // se = √0.1·√(1 + 1/4 + 10.5²/5) = √(0.1·(1.25 + 22.05)) = √2.33 = 1.5264337522473748.
            #expect(isClose(fit.predictionStandardError(at: 2030), 1.5264337522473748))
            // At t̄ only the scatter and the level uncertainty remain: √0.1·√1.25 = √0.125.
            #expect(isClose(fit.predictionStandardError(at: 2019.5), 0.125.squareRoot()))
        }

        @Test func predictionIntervalMatchesHandComputation() throws {
            // 80 %: q = t₂(0.9) = 0.8/√0.18 = 1.8856180831641272; q·se = 1.8856180831641272·√2.33 = 2.878271085989721;
            // 0.7 ∓ that. python3 -c "from scipy.stats import t; print(0.7 + t.ppf(0.9, 2) * 2.33 ** 0.5)"
            let interval = try #require(fit.predictionInterval(at: 2030, level: 0.8))
            #expect(isClose(interval.lower, -2.1782710859897207, absolute: 1e-11))
            #expect(isClose(interval.upper, 3.578271085989721, absolute: 1e-11))
        }

        @Test func probabilityOfMeetingTargetMatchesHandComputation() throws {
            // Target "< 12" in 2030: z = (12 − 0.7)/√2.33 = 7.402876137508728;
            // ν = 2 closed form F(z) = ½ + z/(2√(2 + z²)) = ½ + 7.4029/(2·7.5367) = 0.9911187047634132.
            // python3 -c "from scipy.stats import t; import math; print(repr(t.cdf(11.3/math.sqrt(2.33), 2)))"
            let below = try #require(fit.probabilityBelow(12, at: 2030))
            #expect(isClose(below, 0.9911187047634132))
            // The complement, computed from the other tail: t.sf(11.3/√2.33, 2) = 0.008881295236586786.
            let above = try #require(fit.probabilityAbove(12, at: 2030))
            #expect(isClose(above, 0.008881295236586786))
            // Exactly at the prediction the odds are even.
            #expect(fit.probabilityBelow(0.7, at: 2030).map { isClose($0, 0.5, absolute: 1e-12) } == true)
        }

        @Test func solveFindsTheYearTheLineReachesAValue() {
            // 2019.5 + (12 − 17.5)/(−1.6) = 2019.5 + 3.4375 = 2022.9375.
            #expect(fit.solve(for: 12).map { isClose($0, 2022.9375) } == true)
            #expect(fit.solve(for: 17.5).map { isClose($0, 2019.5) } == true)
        }

        @Test func threePointFitUsesOneDegreeOfFreedom() throws {
            // t = 2020…2022, y = 10, 12, 13: t̄ = 2021, ȳ = 35/3; Sxx = 2; Sxy = (−1)(−5/3) + 0 + (1)(4/3) = 3;
            // slope = 1.5; fitted 61/6, 35/3, 79/6; residuals −1/6, 1/3, −1/6; SSE = 6/36 = 1/6; s = √(1/6).
            let fit = try #require(LinearFit(t: [2020, 2021, 2022], y: [10, 12, 13]))
            #expect(fit.degreesOfFreedom == 1)
            #expect(isClose(fit.slope, 1.5))
            #expect(isClose(fit.residualStandardError, (1.0 / 6).squareRoot()))
            // ŷ(2025) = 35/3 + 1.5·4 = 53/3; se = √(1/6)·√(1 + 1/3 + 16/2) = √(14/9) = 1.247219128924647.
            #expect(isClose(fit.predict(at: 2025), 53.0 / 3))
            #expect(isClose(fit.predictionStandardError(at: 2025), 1.247219128924647))
            // P(Y > 18) = F₁((53/3 − 18)/se) = ½ + atan(−(1/3)/1.2472)/π = 0.41687101425940487 (Cauchy closed form);
            // python3 -c "from scipy.stats import t; import math; print(repr(t.sf((18-53/3)/math.sqrt(14/9), 1)))"
            #expect(fit.probabilityAbove(18, at: 2025).map { isClose($0, 0.41687101425940487) } == true)
            #expect(fit.probabilityBelow(18, at: 2025).map { isClose($0, 0.5831289857405957) } == true)
            // 80 % interval: 53/3 ∓ tan(0.4π)·√(14/9) = 53/3 ∓ 3.0776835371752544·1.247219128924647.
            let interval = try #require(fit.predictionInterval(at: 2025, level: 0.8))
            #expect(isClose(interval.lower, 13.828120886325216, absolute: 1e-11))
            #expect(isClose(interval.upper, 21.505212447008113, absolute: 1e-11))
        }

        @Test func perfectFitGivesDeterministicProbabilities() throws {
            // y = t − 2019 exactly: every residual is 0, so s = 0 and se = 0 everywhere; ŷ(2025) = 6.
            let fit = try #require(LinearFit(t: [2020, 2021, 2022], y: [1, 2, 3]))
            #expect(fit.residualStandardError == 0)
            #expect(fit.predictionStandardError(at: 2025) == 0)
            #expect(fit.probabilityBelow(7, at: 2025) == 1)
            #expect(fit.probabilityBelow(5, at: 2025) == 0)
            #expect(fit.probabilityBelow(6, at: 2025) == 0.5)
            #expect(fit.probabilityAbove(7, at: 2025) == 0)
            #expect(fit.probabilityAbove(5, at: 2025) == 1)
            #expect(fit.probabilityAbove(6, at: 2025) == 0.5)
            let interval = try #require(fit.predictionInterval(at: 2025, level: 0.9))
            #expect(interval.lower == 6 && interval.upper == 6)
        }

        @Test func twoPointFitPredictsButDeclinesToQuantifyUncertainty() throws {
            // Through (2020, 10) and (2024, 12): slope = 2/4 = 0.5; ŷ(2030) = 11 + 0.5·8 = 15; df = 0.
            let fit = try #require(LinearFit(t: [2020, 2024], y: [10, 12]))
            #expect(fit.degreesOfFreedom == 0)
            #expect(fit.residualStandardError == 0)
            #expect(isClose(fit.slope, 0.5))
            #expect(isClose(fit.predict(at: 2030), 15))
            #expect(fit.solve(for: 13).map { isClose($0, 2026) } == true)  // 2022 + (13 − 11)/0.5
            #expect(fit.predictionInterval(at: 2030, level: 0.8) == nil)
            #expect(fit.probabilityBelow(20, at: 2030) == nil)
            #expect(fit.probabilityAbove(20, at: 2030) == nil)
        }

        @Test func linearFitRejectsDegenerateInput() {
            #expect(LinearFit(t: [], y: []) == nil)
            #expect(LinearFit(t: [2020], y: [1]) == nil)
            #expect(LinearFit(t: [2020, 2021], y: [1]) == nil)
            #expect(LinearFit(t: [2020, 2020, 2020], y: [1, 2, 3]) == nil)
            #expect(LinearFit(t: [2020, 2021, .nan], y: [1, 2, 3]) == nil)
            #expect(LinearFit(t: [2020, 2021, 2022], y: [1, .infinity, 3]) == nil)
        }

        @Test func flatLineNeverReachesAnotherValue() throws {
            let fit = try #require(LinearFit(t: [2020, 2021, 2022], y: [5, 5, 5]))
            #expect(fit.slope == 0)
            #expect(fit.solve(for: 6) == nil)
        }

        @Test func probabilityQuestionsWithoutAnAnswerReturnNil() {
            #expect(fit.predictionInterval(at: 2030, level: 0) == nil)
            #expect(fit.predictionInterval(at: 2030, level: 1) == nil)
            #expect(fit.predictionInterval(at: 2030, level: 1.5) == nil)
            #expect(fit.probabilityBelow(.nan, at: 2030) == nil)
            #expect(fit.probabilityAbove(12, at: .infinity) == nil)
            // An infinite threshold is a legitimate, certain answer.
            #expect(fit.probabilityBelow(.infinity, at: 2030) == 1)
            #expect(fit.probabilityAbove(.infinity, at: 2030) == 0)
        }
    }

    // MARK: - Robust statistics

    @Suite struct RobustStatisticsTests {
        @Test func medianOfOddAndEvenCounts() {
            #expect(RobustStatistics.median([3, 1, 2]) == 2)  // sorted 1, 2, 3
            #expect(RobustStatistics.median([4, 1, 3, 2]) == 2.5)  // sorted 1, 2, 3, 4 → (2 + 3)/2
            #expect(RobustStatistics.median([7]) == 7)
            #expect(RobustStatistics.median([-1, 100, 2, 3, 1000]) == 3)  // outliers do not move it
            #expect(RobustStatistics.median([]) == nil)
            #expect(RobustStatistics.median([1, .nan, 3]) == nil)
        }

        @Test func medianAbsoluteDeviationOfSmallArrays() {
            // [1, 2, 3, 4, 100]: median 3; |x − 3| = 2, 1, 0, 1, 97 → sorted 0, 1, 1, 2, 97 → MAD 1.
            #expect(RobustStatistics.medianAbsoluteDeviation([1, 2, 3, 4, 100]) == 1)
            // [1, 2, 3, 4]: median 2.5; |x − 2.5| = 1.5, 0.5, 0.5, 1.5 → sorted 0.5, 0.5, 1.5, 1.5 → MAD 1.
            #expect(RobustStatistics.medianAbsoluteDeviation([1, 2, 3, 4]) == 1)
            // [2, 6, 10]: median 6; deviations 4, 0, 4 → MAD 4 (raw: no 1.4826 factor).
            #expect(RobustStatistics.medianAbsoluteDeviation([2, 6, 10]) == 4)
            #expect(RobustStatistics.medianAbsoluteDeviation([]) == nil)
        }

        @Test func robustZMatchesHandComputation() throws {
            let reference: [Double] = [1, 2, 3, 4, 100]  // median 3, MAD 1
            // (10 − 3)/(1.4826·1) = 4.721435316336167
            let z = try #require(RobustStatistics.robustZ(10, reference: reference))
            #expect(isClose(z, 4.721435316336167))
            // (1 − 3)/1.4826 = −1.3489815189531904
            #expect(RobustStatistics.robustZ(1, reference: reference).map { isClose($0, -2 / 1.4826) } == true)
            #expect(RobustStatistics.robustZ(3, reference: reference) == 0)
            // [2, 6, 10]: median 6, MAD 4 → (12 − 6)/(1.4826·4) = 1.0117361391339538
            #expect(RobustStatistics.robustZ(12, reference: [2, 6, 10]).map { isClose($0, 6 / 5.9304) } == true)
        }

        @Test func robustZWithZeroMADIsInfiniteOrZero() {
            // [5, 5, 5, 6]: median 5; deviations 0, 0, 0, 1 → MAD 0.
            let reference: [Double] = [5, 5, 5, 6]
            #expect(RobustStatistics.medianAbsoluteDeviation(reference) == 0)
            #expect(RobustStatistics.robustZ(7, reference: reference) == .infinity)
            #expect(RobustStatistics.robustZ(4, reference: reference) == -.infinity)
            #expect(RobustStatistics.robustZ(5, reference: reference) == 0)
        }

        @Test func robustZWithoutReferenceIsNil() {
            #expect(RobustStatistics.robustZ(1, reference: []) == nil)
            #expect(RobustStatistics.robustZ(.nan, reference: [1, 2, 3]) == nil)
        }
    }

    // MARK: - Compound growth

    @Suite struct CompoundGrowthTests {
        @Test func compoundGrowthRateIsExactForTenPercent() throws {
            // 14.641/10 = 1.4641 = 1.1⁴, over 4 years → r = 1.1 − 1 = 0.1.
            let growth = try #require(CompoundGrowth(from: (t: 2020, y: 10), to: (t: 2024, y: 14.641)))
            #expect(isClose(growth.rate, 0.1, absolute: 1e-14))
        }

        @Test func projectionCompoundsFromTheLatestObservation() throws {
            let growth = try #require(CompoundGrowth(from: (t: 2020, y: 10), to: (t: 2024, y: 14.641)))
            // 2030 = 14.641·1.1⁶ = 14.641·1.771561 = 25.937424601.
            #expect(isClose(growth.project(to: 2030), 25.937424601))
            #expect(isClose(growth.project(to: 2024), 14.641))
            #expect(isClose(growth.project(to: 2020), 10))  // backwards: 14.641/1.1⁴
        }

        @Test func solveFindsWhenTheProjectionReachesAValue() throws {
            let growth = try #require(CompoundGrowth(from: (t: 2020, y: 10), to: (t: 2024, y: 14.641)))
            // 14.641·1.1² = 17.71561 → 2024 + 2 = 2026.
            #expect(growth.solve(for: 17.71561).map { isClose($0, 2026) } == true)
            // 12: 2024 + ln(12/14.641)/ln 1.1 = 2020 + ln 1.2/ln 1.1 = 2021.9129284738342.
            #expect(growth.solve(for: 12).map { isClose($0, 2021.9129284738342) } == true)
            #expect(growth.solve(for: 0) == nil)
            #expect(growth.solve(for: -3) == nil)
        }

        @Test func decliningSeriesHasNegativeRate() throws {
            // Halving over 5 years: r = 0.5^(1/5) − 1 = −0.12944943670387588; 2025 = 10·0.5 = 5.
            let growth = try #require(CompoundGrowth(from: (t: 2015, y: 20), to: (t: 2020, y: 10)))
            #expect(isClose(growth.rate, -0.12944943670387588))
            #expect(isClose(growth.project(to: 2025), 5))
            #expect(growth.solve(for: 2.5).map { isClose($0, 2030) } == true)  // one more halving after 2025
        }

        @Test func flatGrowthNeverReachesAnotherValue() throws {
            let growth = try #require(CompoundGrowth(from: (t: 2020, y: 8), to: (t: 2023, y: 8)))
            #expect(growth.rate == 0)
            #expect(growth.project(to: 2030) == 8)
            #expect(growth.solve(for: 9) == nil)
        }

        @Test func compoundGrowthRejectsNonPositiveValuesAndNonIncreasingTime() {
            #expect(CompoundGrowth(from: (t: 2020, y: 0), to: (t: 2024, y: 5)) == nil)
            #expect(CompoundGrowth(from: (t: 2020, y: 5), to: (t: 2024, y: 0)) == nil)
            #expect(CompoundGrowth(from: (t: 2020, y: -1), to: (t: 2024, y: 5)) == nil)
            #expect(CompoundGrowth(from: (t: 2020, y: 5), to: (t: 2020, y: 6)) == nil)
            #expect(CompoundGrowth(from: (t: 2024, y: 5), to: (t: 2020, y: 6)) == nil)
            #expect(CompoundGrowth(from: (t: 2020, y: .nan), to: (t: 2024, y: 6)) == nil)
        }
    }
}
