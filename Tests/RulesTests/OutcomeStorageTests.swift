import Testing

@testable import Rules

/// An outcome keeps its forecast and measures packed (issue 4: ≈ 500 000 current alerts at national scale): every
/// field reads back as it was set, present or absent, whatever else is set beside it.
@Suite struct OutcomeStorageTests {
    static let rule = Rule(id: "r", plan: "p", indicator: "mmr", kind: .breach)
    static let key = SeriesKey(indicator: "mmr", region: "县1001")

    /// Each optional number of a forecast, set alone and then all together, with values a careless packing would
    /// mix up (negative zero, infinities, a NaN by its bits).
    @Test func everyForecastFieldReadsBackAsSet() {
        let numbers: [WritableKeyPath<ForecastResult, Double?>] = [
            \.value, \.lower, \.upper, \.level, \.pMeet, \.progressRatio, \.slope, \.intercept, \.residualStandardError,
            \.shortfall,
        ]
        var all = ForecastResult(method: .cagr, year: 2030, status: .accelerationNeeded)
        for (i, field) in numbers.enumerated() {
            var f = ForecastResult(method: .linear, year: 2025 + i, status: ForecastResult.Status.allCases[i % 8])
            f[keyPath: field] = Double(i) - 0.5
            var o = Outcome(rule: Self.rule, key: Self.key)
            o.forecast = f
            #expect(o.forecast == f, "field \(i) alone")
            let special = [-0.0, .infinity, -.infinity, 1e-300, 123.456][i % 5]
            all[keyPath: field] = i < 5 ? special : special + Double(i)
        }
        all.reachYear = 2041
        all.reason = "数据不足"
        var o = Outcome(rule: Self.rule, key: Self.key)
        o.forecast = all
        #expect(o.forecast == all)
        #expect(o.forecast?.value?.sign == .minus, "negative zero kept")
        var nan = all
        nan.level = .nan
        o.forecast = nan
        #expect(o.forecast?.level?.bitPattern == Double.nan.bitPattern)
        o.forecast = nil
        #expect(o.forecast == nil)
        var bare = ForecastResult(method: .linear, year: 2030, status: .insufficientData)
        bare.reachYear = 0
        o.forecast = bare
        #expect(o.forecast == bare, "a reach year of 0 is not absent")
    }

    @Test func everyMeasureReadsBackAsSet() {
        let numbers: [WritableKeyPath<Outcome.Measures, Double?>] = [
            \.change, \.relativeChange, \.robustZ, \.slope, \.gap, \.expected,
        ]
        var all = Outcome.Measures()
        for (i, field) in numbers.enumerated() {
            var m = Outcome.Measures()
            m[keyPath: field] = Double(i) + 0.25
            var o = Outcome(rule: Self.rule, key: Self.key)
            o.measures = m
            #expect(o.measures == m, "measure \(i) alone")
            all[keyPath: field] = [-0.0, 2.5, -7, 1e9, .infinity, -1e-9][i]
        }
        all.window = 0
        all.due = CivilDate(year: 2025, month: 3, day: 31)
        var o = Outcome(rule: Self.rule, key: Self.key)
        o.measures = all
        #expect(o.measures == all)
        #expect(o.measures.window == 0, "a window of 0 is not absent")
        var onlyDue = Outcome.Measures()
        onlyDue.due = CivilDate(year: 2024, month: 12, day: 1)
        o.measures = onlyDue
        #expect(o.measures == onlyDue && o.measures.window == nil)
        o.measures = Outcome.Measures()
        #expect(o.measures == Outcome.Measures())
    }
}
