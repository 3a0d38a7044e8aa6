import Testing

@testable import Rules

/// What the evaluator computes once instead of per series (issue 4) gives exactly what computing it every time
/// gave: the interval quantiles remembered per rule, fits read straight from a series' points, templates with their
/// placeholders resolved up front, a renderer's per-rule sentences and the fingerprint written in place.
@Suite struct EvaluatorCacheTests {
    /// A small deterministic generator (an LCG), so the "varied inputs" are the same on every run.
    struct Numbers {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
    }

    // MARK: interval quantiles

    @Test(arguments: [0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 0, 1, -0.2, 1.5])
    func intervalQuantilesEqualTheUncachedQuantile(level: Double) {
        let cache = IntervalQuantiles(level: level)
        // Asked out of order and twice each, so some answers come from the cache and some fill it.
        let dfs = [7, 3, 0, 1, 60, 2, 7, 3, -1, 200, 1, 5000, 4, 60, 2, 4]
        for df in dfs {
            let cached = cache.quantile(degreesOfFreedom: df)
            let direct = df >= 1 && level > 0 && level < 1
                ? StudentT(degreesOfFreedom: Double(df)).quantile(0.5 + level / 2) : nil
            #expect(cached == direct, "df \(df), level \(level)")
        }
    }

    @Test func predictionIntervalsFromTheCacheEqualTheFits() throws {
        var numbers = Numbers(state: 42)
        let cache = IntervalQuantiles(level: 0.8)
        for n in [2, 3, 4, 5, 6, 3, 9, 4, 12, 3] {
            let t = (0..<n).map { Double(2015 + $0) }
            let y = t.map { 20 - 0.4 * ($0 - 2015) + 3 * numbers.next() }
            let fit = try #require(LinearFit(t: t, y: y))
            let cached = cache.predictionInterval(fit, at: 2030)
            let direct = fit.predictionInterval(at: 2030, level: 0.8)
            #expect(cached?.lower == direct?.lower && cached?.upper == direct?.upper, "\(n) points")
            #expect((cached == nil) == (n == 2), "no interval from two points")
        }
    }

    // MARK: fits from points

    @Test func linearFitFromPointsEqualsTheFitFromArrays() {
        var numbers = Numbers(state: 7)
        for n in 0...12 {
            var points: [Series.Point] = []
            for i in 0..<n {
                // Years, then a few quarters: times that are not whole numbers.
                let period: Period = i < 8 ? .year(2010 + i) : .quarter(2018, i - 7)
                points.append(Series.Point(period: period, value: 50 + 10 * numbers.next()))
            }
            // Whole arrays and slices that do not start at index 0 (what `suffix` gives the judges).
            for slice in [points[...], points.suffix(3), points.suffix(5), points.dropLast(2)] {
                let fromPoints = LinearFit(points: slice)
                let fromArrays = LinearFit(t: slice.map(\.t), y: slice.map(\.value))
                #expect(fromPoints == fromArrays, "\(slice.count) points from \(slice.startIndex)")
            }
        }
        // No line: all points in one period, a NaN.
        let same = [Series.Point(period: .year(2020), value: 1), Series.Point(period: .year(2020), value: 2)]
        #expect(LinearFit(points: same[...]) == nil)
        let nan = [Series.Point(period: .year(2020), value: 1), Series.Point(period: .year(2021), value: .nan)]
        #expect(LinearFit(points: nan[...]) == nil)
    }

    // MARK: messages

    static let indicator = Indicator(id: "mmr", name: "孕产妇死亡率", unit: "1/10万", better: .down, bounds: 0...100_000)
    static let plan = Plan(id: "p", title: "测试县妇女发展规划", regions: ["测试县"], baselineYear: 2020, targetYear: 2030,
        rules: [])

    @Test func everyPlaceholderNameResolves() {
        #expect(MessageTemplate.Placeholder.allCases.map(\.name) == MessageTemplate.placeholders)
        for name in MessageTemplate.placeholders { #expect(MessageTemplate.Placeholder(name: name)?.name == name) }
        #expect(MessageTemplate.Placeholder(name: "forcast") == nil)
    }

    /// An outcome with every field a placeholder reads, or none of them.
    static func outcome(_ rule: Rule, full: Bool) -> Outcome {
        var o = Outcome(rule: rule, key: SeriesKey(indicator: "mmr", region: "测试县", dimensions: ["area": "农村"]))
        guard full else { return o }
        o.period = .year(2024)
        o.value = 18.25
        o.targetValue = 12
        var f = ForecastResult(method: .linear, year: 2030, status: .accelerationNeeded)
        f.value = 15.6
        f.lower = 15.13
        f.upper = 16.07
        f.level = 0.8
        f.pMeet = 0.0005
        f.progressRatio = 0.55
        f.reachYear = 2039
        o.forecast = f
        var m = Outcome.Measures()
        m.change = -1.5
        m.gap = 2.25
        m.slope = 0.3
        m.due = CivilDate(year: 2025, month: 6, day: 30)
        m.window = 3
        m.expected = 16.4
        o.measures = m
        return o
    }

    @Test(arguments: [true, false])
    func compiledTemplatesRenderAsTheNamedPlaceholders(full: Bool) throws {
        let every = try MessageTemplate(MessageTemplate.placeholders.map { "{\($0)}" }.joined(separator: "|") + "{{x}}")
        let rule = Rule(id: "r", plan: "p", indicator: "mmr", kind: .breach,
            target: Target(comparison: .lessOrEqual, value: .relative(change: -0.2, baseYear: 2020), year: 2030),
            department: "县卫生健康局", message: every)
        let o = Self.outcome(rule, full: full)
        let renderer = MessageRenderer(indicator: Self.indicator, plan: Self.plan)
        let message = renderer.render(o)
        #expect(message == every.render(renderer.placeholders(o)))
        #expect(message == MessageRenderer(indicator: Self.indicator, plan: Self.plan, rule: rule).render(o))
        #expect(message.hasSuffix("{x}"), "an escaped brace stays text")
    }

    @Test func aRenderersGapSentencesAreTheDefaultOnes() {
        let gap = Rule(id: "g", plan: "p", indicator: "mmr",
            kind: .gap(GapParameters(dimension: "area", between: ("城镇", "农村"), max: 2)))
        let other = Rule(id: "h", plan: "p", indicator: "mmr",
            kind: .gap(GapParameters(dimension: "sex", between: ("男", "女"), max: 2)))
        let general = MessageRenderer(indicator: Self.indicator, plan: Self.plan)
        let forGap = MessageRenderer(indicator: Self.indicator, plan: Self.plan, rule: gap)
        for rule in [gap, other] {
            for slope in [0.3, 0, -0.3, nil] {
                var o = Self.outcome(rule, full: true)
                o.measures.slope = slope
                let expected = MessageRenderer.defaultTemplate(for: o).render(general.placeholders(o))
                #expect(general.render(o) == expected)
                #expect(forGap.render(o) == expected, "rule \(rule.id), slope \(String(describing: slope))")
            }
        }
        var o = Self.outcome(gap, full: true)
        o.measures.slope = 0.3
        #expect(forGap.render(o) == "孕产妇死亡率（测试县，农村）城镇与农村差距2024年为2.25/10万，未见缩小")
        o.measures.slope = -0.3
        #expect(forGap.render(o) == "孕产妇死亡率（测试县，农村）城镇与农村差距2024年为2.25/10万，超出允许范围")
    }

    // MARK: fingerprints

    /// FNV-1a 64 with 0x1F separators, formatted the way it always was.
    static func referenceFingerprint(rule: String, key: SeriesKey) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for s in [rule, key.indicator, key.region] + key.dimensions.flatMap({ [$0.name, $0.value] }) {
            for b in Array(s.utf8) + [0x1F] {
                h ^= UInt64(b)
                h = h &* 0x0000_0100_0000_01B3
            }
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    @Test func fingerprintsAreZeroPaddedLowerCaseHex() {
        var leadingZeros = 0
        for n in 0..<400 {
            let key = SeriesKey(indicator: "mmr", region: "县\(n)", dimensions: n % 3 == 0 ? ["area": "农村"] : [:])
            let f = Fingerprint.of(rule: "r\(n % 5)", key: key)
            #expect(f == Self.referenceFingerprint(rule: "r\(n % 5)", key: key))
            #expect(f == Fingerprint.of(rule: Fingerprint.RulePrefix("r\(n % 5)"), key: key), "the per-rule prefix")
            if f.hasPrefix("0") { leadingZeros += 1 }
        }
        #expect(leadingZeros > 0, "some fingerprints need padding, or the comparison proves little")
    }
}
