import Testing

@testable import Rules

@Suite struct BacktestTests {
    /// Twelve regions whose breach fires in 2022 and clears in 2023: a report is read and diffed by people, so the
    /// resolved lines must come in the alerts' own order, not the hash order of a dictionary (a new seed per
    /// process: the same command printed them differently from run to run).
    @Test func alertsResolvingAtOneStepAreListedInAlertOrder() {
        let regions = (1...12).map { "县\($0 < 10 ? "0" : "")\($0)" }
        let rule = Rule(id: "mmr/breach", plan: "p", indicator: "mmr", kind: .breach,
            target: Target(comparison: .less, value: .absolute(12), year: 2021, scope: .everyYear), severity: .warning)
        var r = rule
        r.plan = "p"
        let set = RuleSet(catalog: EvaluatorTests.catalog, plans: [
            Plan(id: "p", title: "测试规划", regions: regions, baselineYear: 2020, targetYear: 2030, rules: [r]),
        ])
        var obs: [Observation] = []
        for region in regions.reversed() {
            let key = SeriesKey(indicator: "mmr", region: region)
            for (year, value) in [(2021, 10.0), (2022, 15.0), (2023, 9.0)] {
                obs.append(Observation(key: key, period: .year(year), value: value))
            }
        }
        let report = Backtest(ruleSet: set).run(Dataset(obs), from: .year(2021), to: .year(2023))
        let fired = report.transitions.filter { $0.change == .firing }.map(\.alert.key.region)
        let resolved = report.transitions.filter { $0.change == .resolved }.map(\.alert.key.region)
        #expect(fired == regions)
        #expect(resolved == regions)
        #expect(report.transitions.filter { $0.change == .resolved }.allSatisfy { $0.period == .year(2023) })
    }
}
