import Testing

@testable import Rules

/// How the evaluator splits and restricts its work (issue 4): a full evaluation split into units of (rule, run of
/// regions) over both cores gives the same outcomes and alerts as rule after rule, and an incremental one gives
/// exactly the full one's outcomes for the touched keys, reading only the touched regions.
@Suite struct EvaluatorIncrementalTests {
    static let catalog = IndicatorCatalog([
        Indicator(id: "mmr", name: "孕产妇死亡率", unit: "1/10万", better: .down, bounds: 0...100_000),
        Indicator(id: "screening", name: "宫颈癌筛查率", unit: "%", better: .up, bounds: 0...100),
    ])

    /// More regions than one unit of work holds, so every rule is split.
    static let regions = (1...300).map { "县" + String(1000 + $0) }
    static let now = CivilDate(year: 2025, month: 7, day: 1)

    /// Two plans listing every region (the shared layout) and one plan per region for a few (the per-county
    /// layout), with a rule of each shape: one series, a selector, a gap pair and a stale region.
    static var ruleSet: RuleSet {
        func rules(_ plan: String) -> [Rule] {
            [
                Rule(id: "\(plan)-breach", plan: plan, indicator: "mmr", kind: .breach,
                    target: Target(comparison: .lessOrEqual, value: .absolute(15), year: 2030, scope: .everyYear),
                    severity: .critical),
                Rule(id: "\(plan)-rural", plan: plan, indicator: "screening",
                    kind: .fluctuation(FluctuationParameters(absolute: 4)), selector: ["area": "农村"], severity: .info),
                Rule(id: "\(plan)-gap", plan: plan, indicator: "screening",
                    kind: .gap(GapParameters(dimension: "area", between: ("城镇", "农村"), max: 6))),
                Rule(id: "\(plan)-stale", plan: plan, indicator: "mmr", kind: .stale(StaleParameters())),
            ]
        }
        var plans = [
            Plan(id: "b-women", title: "妇女", regions: regions, baselineYear: 2020, targetYear: 2030, rules: rules("b-women")),
            Plan(id: "a-children", title: "儿童", regions: regions.reversed(), baselineYear: 2020, targetYear: 2030,
                rules: rules("a-children")),
        ]
        for r in regions.prefix(5) {
            plans.append(Plan(id: "c-\(r)", title: r, regions: [r], baselineYear: 2020, targetYear: 2030, rules: rules("c-\(r)")))
        }
        return RuleSet(catalog: catalog, plans: plans)
    }

    /// Deterministic values that make some rules fire in some regions and not in others; some regions lack a
    /// breakdown or the latest year.
    static var observations: [Observation] {
        var out: [Observation] = []
        for (n, r) in regions.enumerated() {
            let lastYear = n % 7 == 0 ? 2023 : 2024
            for y in 2020...lastYear {
                let v = 10 + Double((n * 7 + y * 3) % 11)
                out.append(Observation(key: SeriesKey(indicator: "mmr", region: r), period: .year(y), value: v))
                out.append(Observation(key: SeriesKey(indicator: "screening", region: r, dimensions: ["area": "城镇"]),
                    period: .year(y), value: 80 + Double((n + y) % 5)))
                if n % 5 != 0 {
                    out.append(Observation(key: SeriesKey(indicator: "screening", region: r, dimensions: ["area": "农村"]),
                        period: .year(y), value: 70 + Double((n * y) % 9)))
                }
            }
        }
        return out
    }

    static func evaluate(_ data: Dataset, only keys: Set<SeriesKey>? = nil) -> Evaluator.Result {
        Evaluator(ruleSet: ruleSet).evaluate(data, at: EvaluationTime(now: now), only: keys)
    }

    @Test func splitFullEvaluationEqualsRuleAfterRule() {
        let set = Self.ruleSet
        let data = Dataset(Self.observations)
        let evaluator = Evaluator(ruleSet: set)
        let time = EvaluationTime(now: Self.now)
        var outcomes: [Outcome] = []
        for plan in set.plans {
            for rule in plan.rules { outcomes += evaluator.outcomes(of: rule, plan: plan, data: data, time: time) }
        }
        let alerts = outcomes.compactMap { evaluator.alert(for: $0) }.sorted(by: Alert.ordered)
        let result = evaluator.evaluate(data, at: time)
        #expect(result.outcomes.count > 2 * Self.regions.count * 4 - 600, "every rule over every region")
        #expect(result.outcomes == outcomes ? true : false)
        #expect(result.alerts == alerts ? true : false)
        // Each alert holds its fingerprint as a number and its message's digest, not their texts: both as made.
        #expect(result.alerts.allSatisfy { $0.id == $0.outcome.id && $0.id.utf8.count == 16 })
        #expect(result.alerts.allSatisfy { $0.messageDigest == AlertTracker.Record.digest($0.message) })
        #expect(Set(result.alerts.map { $0.rule.kind.name }) == [.breach, .fluctuation, .gap, .stale],
            "every kind fires somewhere, or the comparison proves little")
        #expect(result.alerts.allSatisfy { !$0.outcome.points.isEmpty }, "an explanation shows the points used")
        // The same alerts without the points each used (only an explanation shows them).
        let withoutPoints = alerts.map { a in
            var a = a
            a.outcome.points = []
            return a
        }
        let lean = evaluator.evaluate(data, at: time, keeping: .alerts)
        #expect(lean.alerts == withoutPoints ? true : false)
        #expect(lean.outcomes.isEmpty, "each alert carries its outcome")
        #expect(lean.checkCount == outcomes.count)
        let judged = evaluator.evaluate(data, at: time, keeping: .outcomes)
        #expect(judged.alerts == withoutPoints ? true : false)
        #expect(judged.outcomes == outcomes.map { o in
            var o = o
            o.points = []
            return o
        } ? true : false, "every pair judged, without its points")
    }

    /// The full evaluation's outcomes that an incremental evaluation of `keys` must redo: a series' own rules, a
    /// gap pair with either side touched, a stale region with any series of the indicator touched.
    static func restricted(_ result: Evaluator.Result, to keys: Set<SeriesKey>) -> [Outcome] {
        result.outcomes.filter { o in
            switch o.rule.kind {
            case .stale:
                return keys.contains { $0.indicator == o.key.indicator && $0.region == o.key.region }
            case .gap(let p):
                return keys.contains { k in
                    k.indicator == o.key.indicator && k.region == o.key.region
                        && [p.between.0, p.between.1].contains(k.value(of: p.dimension) ?? "")
                        && k.removing(dimension: p.dimension) == o.key
                }
            default:
                return keys.contains(o.key)
            }
        }
    }

    @Test(arguments: [
        [SeriesKey(indicator: "mmr", region: "县1003")],
        [SeriesKey(indicator: "screening", region: "县1002", dimensions: ["area": "城镇"])],
        [SeriesKey(indicator: "screening", region: "县1200", dimensions: ["area": "农村"]),
            SeriesKey(indicator: "mmr", region: "县1001"), SeriesKey(indicator: "mmr", region: "县1299")],
        // A key no series has yet: its stale rules still look at the region.
        [SeriesKey(indicator: "mmr", region: "县1004", dimensions: ["area": "农村"])],
    ])
    func incrementalEvaluationEqualsTheFullOneRestrictedToTheTouchedKeys(_ touched: [SeriesKey]) {
        let data = Dataset(Self.observations)
        let keys = Set(touched)
        let full = Self.evaluate(data)
        let incremental = Self.evaluate(data, only: keys)
        let expected = Self.restricted(full, to: keys)
        #expect(!expected.isEmpty)
        #expect(incremental.outcomes == expected)
        let ids = Set(expected.map(\.id))
        #expect(incremental.alerts == full.alerts.filter { ids.contains($0.id) })
    }

    @Test func incrementalEvaluationReadsOnlyTheTouchedRegions() {
        let data = Dataset(Self.observations)
        let touched = SeriesKey(indicator: "screening", region: "县1002", dimensions: ["area": "农村"])
        let result = Self.evaluate(data, only: [touched])
        // 县1002 is in both shared plans and has its own plan: 3 plans × 2 rules of `screening` (the fluctuation
        // and the gap), each reading the region's 2 screening series — and nothing of the other 299 regions.
        #expect(result.examinedCount == 3 * 2 * 2)
        #expect(result.outcomes.map(\.rule.id) == [
            "b-women-rural", "b-women-gap", "a-children-rural", "a-children-gap", "c-县1002-rural", "c-县1002-gap",
        ])
        // A region only the shared plans list: 2 plans × the breach and the stale rule, 1 series each.
        let mmr = Self.evaluate(data, only: [SeriesKey(indicator: "mmr", region: "县1100")])
        #expect(mmr.examinedCount == 2 * 2 * 1)
        #expect(Self.evaluate(data).examinedCount > 100 * mmr.examinedCount)
    }

    /// The daemon finds changes, stores them, then commits them: finding must change nothing (a failed store write
    /// keeps the old state), and committing must end exactly where `apply` does.
    @Test func changesLeaveTheTrackerAsItWasAndCommitEndsWhereApplyDoes() throws {
        var data = Dataset(Self.observations)
        var applied = AlertTracker()
        _ = applied.apply(Self.evaluate(data), complete: true, now: "t0")
        var committed = applied
        for region in ["县1001", "县1002"] {
            data.apply(Observation(key: SeriesKey(indicator: "mmr", region: region), period: .year(2024), value: 10))
        }
        let result = Self.evaluate(data)
        let before = committed.records
        let found = committed.changes(result, complete: true, now: "t1")
        #expect(committed.records == before)
        #expect(!found.changed.isEmpty && !found.transitions.isEmpty)
        committed.commit(found.changed)
        let viaApply = applied.apply(result, complete: true, now: "t1")
        #expect(committed.records == applied.records)
        #expect(viaApply.transitions == found.transitions)
    }

    @Test func incrementalTrackingResolvesOnlyThePairsLookedAt() throws {
        var data = Dataset(Self.observations)
        var tracker = AlertTracker()
        _ = tracker.apply(Self.evaluate(data), complete: true, now: "t0")
        let breach = { (region: String) in Fingerprint.of(rule: "b-women-breach", key: SeriesKey(indicator: "mmr", region: region)) }
        // 县1001 and 县1002 breach ≤ 15 in their latest year; both get a good value, but only 县1001's file arrives.
        for region in ["县1001", "县1002"] { #expect(tracker.records[breach(region)]?.state == .firing) }
        for region in ["县1001", "县1002"] {
            data.apply(Observation(key: SeriesKey(indicator: "mmr", region: region), period: .year(2024), value: 10))
        }
        let touched: Set = [SeriesKey(indicator: "mmr", region: "县1001")]
        let (transitions, _) = tracker.apply(Self.evaluate(data, only: touched), complete: false, now: "t1")
        #expect(tracker.records[breach("县1001")]?.state == .resolved)
        #expect(tracker.records[breach("县1002")]?.state == .firing, "not looked at: unchanged until its own file")
        #expect(transitions.allSatisfy { $0.record.key.region == "县1001" })
        #expect(transitions.contains { $0.record.id == breach("县1001") && $0.change == .resolved })
    }

    /// The tracker keeps each message's digest, not the message: an evaluation that finds the same alerts changes
    /// nothing, one whose message changed stores it (keeping `since`, announcing nothing), and a resolution
    /// carries no message (its caller reads the stored one).
    @Test func trackerKeepsMessageDigestsAndStoresAChangedMessageUnannounced() throws {
        var data = Dataset(Self.observations)
        var tracker = AlertTracker()
        let first = Self.evaluate(data)
        let applied = tracker.apply(first, complete: true, now: "t0")
        #expect(!first.alerts.isEmpty)
        #expect(applied.transitions.allSatisfy { $0.record.message == $0.alert?.message && $0.record.message != nil })
        #expect(tracker.records.values.allSatisfy { $0.message == nil }, "no message kept")
        for a in first.alerts {
            #expect(tracker.records[a.id]?.messageDigest == AlertTracker.Record.digest(a.message))
        }
        #expect(tracker.changes(Self.evaluate(data), complete: true, now: "t1").changed.isEmpty)

        var reworded = first
        let i = try #require(reworded.alerts.firstIndex { $0.state == .firing })
        // A new wording of the rule's message (a template of plain text renders as itself).
        let wording = reworded.alerts[i].message + "（改）"
        reworded.alerts[i].outcome.rule.message = try MessageTemplate(wording)
        #expect(reworded.alerts[i].message == wording)
        #expect(reworded.alerts[i].messageDigest == AlertTracker.Record.digest(wording), "the digest follows the outcome")
        let found = tracker.changes(reworded, complete: true, now: "t1")
        #expect(found.transitions.isEmpty, "a new wording is not a new alert")
        #expect(found.changed.map(\.id) == [reworded.alerts[i].id])
        #expect(found.changed.first?.message == reworded.alerts[i].message)
        #expect(found.changed.first?.since == "t0")
        tracker.commit(found.changed)
        #expect(tracker.records[reworded.alerts[i].id]?.message == nil)
        #expect(tracker.records[reworded.alerts[i].id]?.messageDigest == AlertTracker.Record.digest(reworded.alerts[i].message))

        let key = SeriesKey(indicator: "mmr", region: "县1001")
        data.apply(Observation(key: key, period: .year(2024), value: 10))
        let resolved = tracker.changes(Self.evaluate(data, only: [key]), complete: false, now: "t2").transitions
        let r = try #require(resolved.first { $0.change == .resolved })
        #expect(r.record.message == nil && r.alert == nil, "the tracker has no message to give")
    }

    @Test func latestPeriodFollowsEveryApply() {
        var data = Dataset()
        #expect(data.latestPeriod == nil)
        let a = SeriesKey(indicator: "mmr", region: "县1001")
        let b = SeriesKey(indicator: "mmr", region: "县1002")
        data.apply(Observation(key: a, period: .year(2023), value: 12))
        data.apply(Observation(key: b, period: .year(2024), value: 11))
        data.apply(Observation(key: a, period: .quarter(2024, 2), value: 3))
        #expect(data.latestPeriod == .quarter(2024, 2))
        #expect(data.periods == [.year(2023), .year(2024), .quarter(2024, 2)])
        // A revision to "not reported" removes the point; the latest period falls back to the next one with a value.
        data.apply(Observation(key: a, period: .quarter(2024, 2), value: nil))
        #expect(data.latestPeriod == .year(2024))
        data.apply(Observation(key: b, period: .year(2024), value: 10))
        data.apply(Observation(key: b, period: .year(2024), value: nil))
        #expect(data.latestPeriod == .year(2023))
        #expect(data.periods == [.year(2023)])
        // The same as walking every point.
        let walked = Set(data.series.values.flatMap { $0.points.map(\.period) }).sorted()
        #expect(data.periods == walked)
        #expect(data.keys(of: "mmr", in: "县1002") == [b], "a series whose points were all revised away keeps its key")
    }

    /// The store's bulk load inserts whole series; the dataset must be the one applying every point would build:
    /// same series, same per-region key index, same periods and latest period, also when a series is replaced.
    @Test func insertingWholeSeriesEqualsApplyingTheirPoints() {
        let keys = [
            SeriesKey(indicator: "mmr", region: "县1002"), SeriesKey(indicator: "mmr", region: "县1001"),
            SeriesKey(indicator: "mmr", region: "县1001", dimensions: ["area": "农村"]),
            SeriesKey(indicator: "imr", region: "县1001"),
        ]
        let periods: [Period] = [.year(2022), .year(2023), .quarter(2024, 1), .year(2024)]
        var applied = Dataset()
        var inserted = Dataset()
        for (i, key) in keys.enumerated() {
            let points = periods.prefix(i + 1).enumerated().map { Series.Point(period: $0.element, value: Double(10 * i + $0.offset)) }
            for p in points { applied.apply(Observation(key: key, period: p.period, value: p.value)) }
            inserted.insert(Series(key: key, points: points.reversed()))
        }
        // A later whole series replaces the earlier one, as later observations revise earlier ones.
        let revised = [Series.Point(period: .year(2021), value: 7)]
        inserted.insert(Series(key: keys[3], points: revised))
        for p in periods.prefix(4) { applied.apply(Observation(key: keys[3], period: p, value: nil)) }
        applied.apply(Observation(key: keys[3], period: .year(2021), value: 7))
        #expect(inserted.series == applied.series)
        #expect(inserted.periods == applied.periods)
        #expect(inserted.latestPeriod == applied.latestPeriod)
        #expect(inserted.latestPeriod == .quarter(2024, 1))
        for indicator in ["mmr", "imr"] { #expect(inserted.keys(of: indicator) == applied.keys(of: indicator)) }
        #expect(inserted.keys(of: "mmr", in: "县1001") == [keys[1], keys[2]])
    }
}
