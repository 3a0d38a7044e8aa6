import Testing

@testable import Rules

/// The semantics of each rule kind (docs/rules.md), pinned against values computed independently with
/// numpy/scipy (the one-liners are in the comments).
@Suite struct EvaluatorTests {
    static let catalog = IndicatorCatalog([
        Indicator(id: "mmr", name: "孕产妇死亡率", unit: "1/10万", better: .down, bounds: 0...100_000),
        Indicator(id: "screening", name: "宫颈癌筛查率", unit: "%", better: .up, bounds: 0...100),
        Indicator(id: "hiv", name: "艾滋病母婴传播率", unit: "%", better: .down, bounds: 0...100),
        Indicator(id: "income", name: "年均收入", unit: "元", better: .up),
    ])

    static func plan(_ rules: [Rule], target year: Int = 2030) -> RuleSet {
        let rules = rules.map { r -> Rule in
            var r = r
            r.plan = "p"
            return r
        }
        return RuleSet(catalog: catalog, plans: [
            Plan(id: "p", title: "测试县妇女发展规划", regions: ["测试县"], baselineYear: 2020, targetYear: year, rules: rules),
        ])
    }

    static func key(_ indicator: String, _ dims: [String: String] = [:]) -> SeriesKey {
        SeriesKey(indicator: indicator, region: "测试县", dimensions: dims)
    }

    static func data(_ indicator: String, _ values: [Int: Double], dims: [String: String] = [:]) -> [Observation] {
        values.map { Observation(key: key(indicator, dims), period: .year($0.key), value: $0.value) }
    }

    static func evaluate(_ set: RuleSet, _ obs: [Observation], at: Period? = nil, now: CivilDate = CivilDate(year: 2025, month: 7, day: 1)) -> Evaluator.Result {
        Evaluator(ruleSet: set).evaluate(Dataset(obs), at: EvaluationTime(at: at, now: now))
    }

    static let below12 = Target(comparison: .less, value: .absolute(12), year: 2030)

    // MARK: forecast

    @Test func forecastFiresWhenTheTrendIsTooSlow() throws {
        // t = 2020…2024, y = 20, 19.6, 19.0, 18.8, 18.2; np.polyfit → slope −0.44, ŷ(2030) = 15.6;
        // s = 0.1032796, se(2030) = 0.2847221; 80% PI = ŷ ± t(0.9, 3)·se = [15.1337, 16.0663];
        // p_meet = stats.t.cdf((12 − 15.6)/0.2847221, 3) = 0.000533461; q = (15.6 − 20)/(12 − 20) = 0.55;
        // the line reaches 12 at t = 2038.18 → first whole year 2039.
        let rule = Rule(id: "mmr/forecast", plan: "p", indicator: "mmr", kind: .forecast(ForecastParameters()), target: Self.below12, severity: .critical)
        let r = Self.evaluate(Self.plan([rule]), Self.data("mmr", [2020: 20, 2021: 19.6, 2022: 19.0, 2023: 18.8, 2024: 18.2]))
        let a = try #require(r.alerts.first)
        #expect(r.alerts.count == 1)
        let f = try #require(a.outcome.forecast)
        #expect(abs(f.value! - 15.6) < 1e-9)
        #expect(abs(f.lower! - 15.133698010100371) < 1e-7)
        #expect(abs(f.upper! - 16.066301989899674) < 1e-7)
        #expect(abs(f.pMeet! - 0.0005334608253442633) < 1e-9)
        #expect(abs(f.progressRatio! - 0.55) < 1e-9)
        #expect(f.status == .accelerationNeeded)
        #expect(f.reachYear == 2039)
        #expect(a.message == "孕产妇死亡率（测试县）预计2030年为15.6/10万，未达到<12/10万的目标，达标概率<1%，按当前趋势预计2039年达标")
    }

    @Test func forecastUsesMinProbabilityNotThePointForecastAlone() throws {
        // y = 20, 17.5, 19.2, 16.1, 16.9: slope −0.76, ŷ(2030) = 11.86 (meets < 12), but with s = 1.2538 the
        // p_meet is only stats.t.cdf(...) = 0.5148818; q = 1.0175 → on_track; reach 2030 (t* = 2029.82).
        var p = ForecastParameters()
        p.minProbability = 0.6
        let rule = Rule(id: "f", plan: "p", indicator: "mmr", kind: .forecast(p), target: Self.below12)
        let obs = Self.data("mmr", [2020: 20, 2021: 17.5, 2022: 19.2, 2023: 16.1, 2024: 16.9])
        let r = Self.evaluate(Self.plan([rule]), obs)
        let f = try #require(r.alerts.first?.outcome.forecast)
        #expect(abs(f.pMeet! - 0.5148818246796252) < 1e-7)
        #expect(abs(f.lower! - 6.199182187177503) < 1e-7)
        #expect(abs(f.upper! - 17.520817812822752) < 1e-7)
        #expect(f.status == .onTrack)
        #expect(f.reachYear == 2030)
        // The default threshold (0.5) keeps it quiet.
        let quiet = Self.evaluate(Self.plan([Rule(id: "f", plan: "p", indicator: "mmr", kind: .forecast(ForecastParameters()), target: Self.below12)]), obs)
        #expect(quiet.alerts.isEmpty)
        #expect(quiet.outcomes.first?.forecast?.status == .onTrack)
    }

    @Test func forecastIsClampedToNaturalBounds() throws {
        // y = 60, 68, 75, 83, 90 (%): the line says 135.2 in 2030; a percentage stays ≤ 100.
        let t = Target(comparison: .greaterOrEqual, value: .absolute(95), year: 2030)
        let rule = Rule(id: "s", plan: "p", indicator: "screening", kind: .forecast(ForecastParameters()), target: t)
        let r = Self.evaluate(Self.plan([rule]), Self.data("screening", [2020: 60, 2021: 68, 2022: 75, 2023: 83, 2024: 90]))
        let f = try #require(r.outcomes.first?.forecast)
        #expect(f.value == 100)
        #expect(f.upper == 100)
        #expect(f.lower == 100)
        #expect(r.alerts.isEmpty)
        // A target above the bound can never be met.
        let impossible = Target(comparison: .greater, value: .absolute(100), year: 2030)
        let r2 = Self.evaluate(Self.plan([Rule(id: "s", plan: "p", indicator: "screening", kind: .forecast(ForecastParameters()), target: impossible)]),
            Self.data("screening", [2020: 60, 2021: 68, 2022: 75, 2023: 83, 2024: 90]))
        #expect(r2.outcomes.first?.forecast?.pMeet == 0)
        #expect(r2.alerts.count == 1)
    }

    @Test func forecastIsFinalOnceTheTargetYearIsIn() throws {
        let t = Target(comparison: .less, value: .absolute(12), year: 2024)
        let rule = Rule(id: "f", plan: "p", indicator: "mmr", kind: .forecast(ForecastParameters()), target: t)
        let r = Self.evaluate(Self.plan([rule]), Self.data("mmr", [2020: 20, 2021: 15, 2022: 13, 2023: 12.5, 2024: 13.1]))
        let f = try #require(r.alerts.first?.outcome.forecast)
        #expect(f.status == .missed)
        #expect(abs(f.shortfall! - 1.1) < 1e-9)
        #expect(r.alerts.first?.message == "孕产妇死亡率（测试县）2024年为13.1/10万，未实现<12/10万的目标")
        let met = Self.evaluate(Self.plan([rule]), Self.data("mmr", [2020: 20, 2021: 15, 2022: 13, 2023: 12.5, 2024: 11.9]))
        #expect(met.alerts.isEmpty)
        #expect(met.outcomes.first?.forecast?.status == .met)
    }

    @Test func forecastReportsAchievedWhenTheLatestValueMeetsTheTarget() {
        let rule = Rule(id: "f", plan: "p", indicator: "mmr", kind: .forecast(ForecastParameters()), target: Self.below12)
        let r = Self.evaluate(Self.plan([rule]), Self.data("mmr", [2020: 11, 2021: 10, 2022: 11.5]))
        #expect(r.outcomes.first?.forecast?.status == .achieved)
    }

    @Test func forecastNeedsMinPoints() {
        let rule = Rule(id: "f", plan: "p", indicator: "mmr", kind: .forecast(ForecastParameters()), target: Self.below12)
        let r = Self.evaluate(Self.plan([rule]), Self.data("mmr", [2019: 30, 2021: 20, 2022: 19]))
        #expect(r.alerts.isEmpty)
        #expect(r.outcomes.first?.forecast?.status == .insufficientData)
        #expect(r.outcomes.first?.forecast?.reason == "needs 3 points, has 2", "2019 is before the baseline year")
    }

    @Test func cagrProjectsCompoundGrowth() throws {
        // (2020, 10) → (2024, 14.641): CAGR = 0.1 exactly; ŷ(2030) = 14.641 · 1.1⁶ = 25.937424601.
        var p = ForecastParameters()
        p.method = .cagr
        p.minPoints = 2
        let t = Target(comparison: .greaterOrEqual, value: .absolute(30), year: 2030)
        let rule = Rule(id: "c", plan: "p", indicator: "income", kind: .forecast(p), target: t)
        let r = Self.evaluate(Self.plan([rule]), Self.data("income", [2020: 10, 2024: 14.641]))
        let f = try #require(r.alerts.first?.outcome.forecast)
        #expect(abs(f.value! - 25.937424601) < 1e-6)
        #expect(abs(f.slope! - 0.1) < 1e-12)
        #expect(f.pMeet == 0)
        #expect(f.reachYear == 2032, "14.641·1.1^8 = 31.38 ≥ 30, 1.1^7 → 28.53 < 30")
        #expect(f.lower == nil && f.upper == nil)
    }

    @Test func relativeTargetResolvesFromTheBaseYear() throws {
        // 以2020年为基数下降20%: 20 × 0.8 = 16.
        let t = Target(comparison: .lessOrEqual, value: .relative(change: -0.2, baseYear: 2020), year: 2030)
        let rule = Rule(id: "b", plan: "p", indicator: "mmr", kind: .breach, target: Target(comparison: t.comparison, value: t.value, year: 2030, scope: .everyYear))
        let r = Self.evaluate(Self.plan([rule]), Self.data("mmr", [2020: 20, 2024: 16.5]))
        #expect(r.alerts.first?.outcome.targetValue == 16)
        #expect(r.alerts.count == 1)
        #expect(r.alerts.first?.message == "孕产妇死亡率（测试县）2024年为16.5/10万，未达到≤16/10万（较2020年下降20%）的目标")
        let noBase = Self.evaluate(Self.plan([rule]), Self.data("mmr", [2021: 20, 2024: 16.5]))
        #expect(noBase.alerts.isEmpty)
        #expect(noBase.outcomes.first?.note == "no 2020 value to resolve the relative target from")
    }

    // MARK: breach

    @Test func breachOfAKeepWithinTargetFiresAnyYear() {
        let t = Target(comparison: .lessOrEqual, value: .absolute(2), year: 2030, scope: .everyYear)
        let rule = Rule(id: "h", plan: "p", indicator: "hiv", kind: .breach, target: t)
        #expect(Self.evaluate(Self.plan([rule]), Self.data("hiv", [2022: 1.5, 2023: 2.4])).alerts.count == 1)
        #expect(Self.evaluate(Self.plan([rule]), Self.data("hiv", [2022: 2.4, 2023: 1.9])).alerts.isEmpty)
    }

    @Test func breachOfAByYearTargetWaitsForTheTargetYear() {
        let rule = Rule(id: "b", plan: "p", indicator: "mmr", kind: .breach, target: Target(comparison: .less, value: .absolute(12), year: 2025))
        #expect(Self.evaluate(Self.plan([rule]), Self.data("mmr", [2024: 15])).alerts.isEmpty)
        #expect(Self.evaluate(Self.plan([rule]), Self.data("mmr", [2024: 15, 2025: 14])).alerts.count == 1)
    }

    // MARK: trajectory

    @Test func trajectoryFiresWhenBehindTheStraightPath() throws {
        // y0 = 20 (2020) → 12 (2030): in 2024 the path is at 20 − 8·0.4 = 16.8; 18.6 is 1.8 behind, more than
        // 0.1 · 8 = 0.8.
        let rule = Rule(id: "t", plan: "p", indicator: "mmr", kind: .trajectory(tolerance: 0.1), target: Self.below12)
        let r = Self.evaluate(Self.plan([rule]), Self.data("mmr", [2020: 20, 2024: 18.6]))
        let a = try #require(r.alerts.first)
        #expect(abs(a.outcome.measures.expected! - 16.8) < 1e-9)
        #expect(Self.evaluate(Self.plan([rule]), Self.data("mmr", [2020: 20, 2024: 17.5])).alerts.isEmpty, "0.7 behind ≤ 0.8")
        #expect(Self.evaluate(Self.plan([rule]), Self.data("mmr", [2021: 20, 2024: 18.6])).alerts.isEmpty, "no baseline value")
    }

    @Test func trajectoryFollowsTheTargetOperatorNotTheBaselineSide() {
        // 婴儿死亡率 already 2.37‰ in 2020 against < 2.5: the "path" from 2.37 to 2.5 rises, but 1.86 in 2024 is
        // progress (and meets the target), never "behind".
        let rule = Rule(id: "t", plan: "p", indicator: "mmr", kind: .trajectory(tolerance: 0.1),
            target: Target(comparison: .less, value: .absolute(2.5), year: 2030))
        #expect(Self.evaluate(Self.plan([rule]), Self.data("mmr", [2020: 2.37, 2024: 1.86])).alerts.isEmpty)
        // A ≥ target: falling further below it is behind.
        let up = Rule(id: "u", plan: "p", indicator: "screening", kind: .trajectory(tolerance: 0.1),
            target: Target(comparison: .greaterOrEqual, value: .absolute(70), year: 2030))
        let r = Self.evaluate(Self.plan([up]), Self.data("screening", [2020: 40, 2024: 45]))
        #expect(r.alerts.count == 1, "path says 52 in 2024; 7 behind > 0.1·30")
    }

    // MARK: fluctuation

    @Test func fluctuationAbsoluteAndRelativeBounds() throws {
        let abs3 = Rule(id: "a", plan: "p", indicator: "screening", kind: .fluctuation(FluctuationParameters(absolute: 3)))
        #expect(Self.evaluate(Self.plan([abs3]), Self.data("screening", [2023: 80, 2024: 83.5])).alerts.count == 1)
        #expect(Self.evaluate(Self.plan([abs3]), Self.data("screening", [2023: 80, 2024: 82.9])).alerts.isEmpty)
        // Δ is per year: a 4-point change over two years is 2 a year.
        #expect(Self.evaluate(Self.plan([abs3]), Self.data("screening", [2022: 80, 2024: 84])).alerts.isEmpty)
        let rel = Rule(id: "r", plan: "p", indicator: "mmr", kind: .fluctuation(FluctuationParameters(relative: 0.3)))
        let r = Self.evaluate(Self.plan([rel]), Self.data("mmr", [2023: 10, 2024: 13.5]))
        #expect(abs(r.alerts.first!.outcome.measures.relativeChange! - 0.35) < 1e-12)
        #expect(Self.evaluate(Self.plan([rel]), Self.data("mmr", [2023: 10, 2024: 12.9])).alerts.isEmpty)
    }

    @Test func fluctuationRobustZNeedsEnoughEarlierChanges() throws {
        // Δ = 1, 1, 1, 3, then 6: median 1, MAD 0 → the modified z-score's fallback, 1.2533·mean |Δ − 1| =
        // 1.2533·0.5; z = (6 − 1)/(1.253314·0.5) = 7.979 > 3.
        let rule = Rule(id: "z", plan: "p", indicator: "screening", kind: .fluctuation(FluctuationParameters(robustZ: 3)))
        let r = Self.evaluate(Self.plan([rule]), Self.data("screening", [2019: 50, 2020: 51, 2021: 52, 2022: 53, 2023: 56, 2024: 62]))
        #expect(r.alerts.count == 1)
        #expect(abs(r.alerts.first!.outcome.measures.robustZ! - 5 / (1.253314 * 0.5)) < 1e-9)
        // With only three earlier changes it is not judged.
        let few = Self.evaluate(Self.plan([rule]), Self.data("screening", [2020: 51, 2021: 52, 2022: 53, 2023: 54, 2024: 60]))
        #expect(few.alerts.isEmpty)
        // Earlier changes that do not vary at all give no scale: not judged, rather than an infinite z.
        let flat = Self.evaluate(Self.plan([rule]), Self.data("screening", [2019: 9, 2020: 9, 2021: 9, 2022: 9, 2023: 9, 2024: 9.4]))
        #expect(flat.alerts.isEmpty)
        #expect(flat.outcomes.first?.note == "earlier changes have no spread; robust z not judged")
        // Δ = 1, 3, 2, 1, 2.5: median(1,3,2,1) = 1.5, MAD = 0.5 → z = (2.5 − 1.5)/(1.4826·0.5) = 1.349 ≤ 3.
        let normal = Self.evaluate(Self.plan([rule]), Self.data("screening", [2019: 50, 2020: 51, 2021: 54, 2022: 56, 2023: 57, 2024: 59.5]))
        #expect(normal.alerts.isEmpty)
        #expect(abs(normal.outcomes.first!.measures.robustZ! - 1.0 / (1.4826 * 0.5)) < 1e-9)
    }

    // MARK: direction

    @Test func directionFiresWhenTheSlopeGoesTheWrongWay() throws {
        // last 3 points 30, 29.5, 29: slope −0.5 a year, the indicator should rise.
        let rule = Rule(id: "d", plan: "p", indicator: "screening", kind: .direction(DirectionParameters(up: true)))
        let r = Self.evaluate(Self.plan([rule]), Self.data("screening", [2020: 10, 2022: 30, 2023: 29.5, 2024: 29]))
        #expect(abs(r.alerts.first!.outcome.measures.slope! + 0.5) < 1e-9)
        #expect(r.alerts.first?.message == "宫颈癌筛查率（测试县）近3期年均变化-0.5个百分点，与逐步提高的目标方向相反")
        let tolerant = Rule(id: "d", plan: "p", indicator: "screening", kind: .direction(DirectionParameters(up: true, tolerance: 0.6)))
        #expect(Self.evaluate(Self.plan([tolerant]), Self.data("screening", [2022: 30, 2023: 29.5, 2024: 29])).alerts.isEmpty)
    }

    // MARK: gap

    @Test func gapFiresWhenNotNarrowingOrTooWide() throws {
        // 城镇 10, 10, 10; 农村 14, 15, 16.5 → gaps 4, 5, 6.5, slope +1.25.
        let rule = Rule(id: "g", plan: "p", indicator: "mmr", kind: .gap(GapParameters(dimension: "area", between: ("城镇", "农村"))))
        let obs = Self.data("mmr", [2022: 10, 2023: 10, 2024: 10], dims: ["area": "城镇"])
            + Self.data("mmr", [2022: 14, 2023: 15, 2024: 16.5], dims: ["area": "农村"])
        let r = Self.evaluate(Self.plan([rule]), obs)
        let a = try #require(r.alerts.first)
        #expect(a.key == Self.key("mmr"))
        #expect(a.outcome.measures.gap == 6.5)
        #expect(abs(a.outcome.measures.slope! - 1.25) < 1e-9)
        let narrowing = Self.data("mmr", [2022: 10, 2023: 10, 2024: 10], dims: ["area": "城镇"])
            + Self.data("mmr", [2022: 16, 2023: 15, 2024: 14], dims: ["area": "农村"])
        #expect(Self.evaluate(Self.plan([rule]), narrowing).alerts.isEmpty)
        let closed = Self.data("mmr", [2022: 10, 2023: 10, 2024: 10], dims: ["area": "城镇"])
            + Self.data("mmr", [2022: 10, 2023: 10, 2024: 10], dims: ["area": "农村"])
        #expect(Self.evaluate(Self.plan([rule]), closed).alerts.isEmpty, "a closed gap cannot narrow further")
        let bounded = Rule(id: "g", plan: "p", indicator: "mmr", kind: .gap(GapParameters(dimension: "area", between: ("城镇", "农村"), max: 3.5)))
        #expect(Self.evaluate(Self.plan([bounded]), narrowing).alerts.count == 1, "narrowing but 4 > 3.5")
    }

    // MARK: stale

    @Test func staleUsesTheEvaluationDayNotTheData() throws {
        let rule = Rule(id: "s", plan: "p", indicator: "mmr", kind: .stale(StaleParameters()))
        let obs = Self.data("mmr", [2022: 15, 2023: 14])
        // On 2025-06-30 the 2024 value is not yet overdue; on 2025-07-01 it is.
        #expect(Self.evaluate(Self.plan([rule]), obs, now: CivilDate(year: 2025, month: 6, day: 30)).alerts.isEmpty)
        let r = Self.evaluate(Self.plan([rule]), obs, now: CivilDate(year: 2025, month: 7, day: 1))
        let a = try #require(r.alerts.first)
        #expect(a.outcome.period == .year(2024))
        #expect(a.message == "孕产妇死亡率（测试县）2024年数据应于2025年6月30日前报送，至今未报送")
        // One alert per region, however many breakdowns are late.
        let breakdowns = Self.data("mmr", [2023: 14]) + Self.data("mmr", [2023: 12], dims: ["area": "城镇"])
            + Self.data("mmr", [2023: 16], dims: ["area": "农村"])
        let merged = Self.evaluate(Self.plan([rule]), breakdowns, now: CivilDate(year: 2025, month: 7, day: 1))
        #expect(merged.alerts.map(\.key) == [Self.key("mmr")])
        #expect(merged.alerts.first?.outcome.value == 14, "the region's total, not whichever breakdown came last")
        // …and none when any of them has the value.
        let partly = breakdowns + Self.data("mmr", [2024: 11], dims: ["area": "城镇"])
        #expect(Self.evaluate(Self.plan([rule]), partly, now: CivilDate(year: 2025, month: 7, day: 1)).alerts.isEmpty)
        // A region with no series at all is stale too.
        let none = Self.evaluate(Self.plan([rule]), [], now: CivilDate(year: 2025, month: 7, day: 1))
        #expect(none.alerts.map(\.key) == [Self.key("mmr")])
    }

    // MARK: hysteresis, identity, as-of

    @Test func forPeriodsMakesAnAlertPendingFirst() throws {
        var rule = Rule(id: "a", plan: "p", indicator: "screening", kind: .fluctuation(FluctuationParameters(absolute: 3)))
        rule.forPeriods = 2
        let once = Self.evaluate(Self.plan([rule]), Self.data("screening", [2022: 80, 2023: 81, 2024: 85]))
        #expect(once.alerts.map(\.state) == [.pending])
        let twice = Self.evaluate(Self.plan([rule]), Self.data("screening", [2022: 80, 2023: 84, 2024: 88]))
        #expect(twice.alerts.map(\.state) == [.firing])
    }

    @Test func fingerprintIsStableAndDependsOnTheWholeKey() {
        let a = Fingerprint.of(rule: "qx-w-health-2-mmr/forecast", key: SeriesKey(indicator: "maternal_mortality_ratio", region: "渠县"))
        #expect(a == Fingerprint.of(rule: "qx-w-health-2-mmr/forecast", key: SeriesKey(indicator: "maternal_mortality_ratio", region: "渠县")))
        #expect(a.count == 16)
        #expect(a != Fingerprint.of(rule: "qx-w-health-2-mmr/forecast", key: SeriesKey(indicator: "maternal_mortality_ratio", region: "渠县", dimensions: ["area": "农村"])))
        #expect(a != Fingerprint.of(rule: "qx-w-health-2-mmr/trajectory", key: SeriesKey(indicator: "maternal_mortality_ratio", region: "渠县")))
        // Pinned: a change here would orphan every alert state the daemon has stored.
        #expect(Fingerprint.of(rule: "r", key: SeriesKey(indicator: "i", region: "x")) == "a20e7ae975cb1fb7", "FNV-1a 64 of r,i,x with 0x1F separators (computed in Python)")
    }

    @Test func asOfEvaluationIgnoresLaterData() {
        let t = Target(comparison: .lessOrEqual, value: .absolute(2), year: 2030, scope: .everyYear)
        let rule = Rule(id: "h", plan: "p", indicator: "hiv", kind: .breach, target: t)
        let obs = Self.data("hiv", [2022: 2.5, 2023: 1.5])
        #expect(Self.evaluate(Self.plan([rule]), obs).alerts.isEmpty)
        #expect(Self.evaluate(Self.plan([rule]), obs, at: .year(2022)).alerts.count == 1)
    }

    @Test func rulesApplyOnlyToMatchingDimensions() {
        let t = Target(comparison: .lessOrEqual, value: .absolute(2), year: 2030, scope: .everyYear)
        let rule = Rule(id: "h", plan: "p", indicator: "hiv", kind: .breach, target: t, selector: ["area": "农村"])
        let obs = Self.data("hiv", [2023: 3], dims: ["area": "城镇"]) + Self.data("hiv", [2023: 1], dims: ["area": "农村"])
        #expect(Self.evaluate(Self.plan([rule]), obs).alerts.isEmpty)
        let obs2 = Self.data("hiv", [2023: 1], dims: ["area": "城镇"]) + Self.data("hiv", [2023: 3], dims: ["area": "农村"])
        #expect(Self.evaluate(Self.plan([rule]), obs2).alerts.map(\.key) == [Self.key("hiv", ["area": "农村"])])
    }
}
