import Dispatch

/// Evaluates rules over data: a pure function of (rules, data, evaluation time).
///
/// The CLI, the back-test and the daemon all call this; nothing here reads a clock, a file or a database. Each rule
/// is applied to every series of its indicator in its plan's regions that matches its selector, and yields an
/// ``Outcome`` per series; those whose condition holds become ``Alert``s.
public struct Evaluator: Sendable {
    public let ruleSet: RuleSet

    public init(ruleSet: RuleSet) {
        self.ruleSet = ruleSet
    }

    /// Which outcomes a ``Result`` keeps.
    public enum Retention: Sendable {
        /// Every (rule, series) pair looked at, quiet or not (`--explain`, the daemon's incremental path).
        case all
        /// None: each alert carries its own outcome. A national evaluation looks at ≈ 1.7 M pairs, and a caller
        /// that only lists alerts should not hold them all.
        case alerts
    }

    /// Everything one evaluation found.
    public struct Result: Sendable {
        public var time: EvaluationTime
        /// Every applicable (rule, series) pair, in rule order; empty with ``Retention/alerts``.
        public var outcomes: [Outcome]
        /// The pending and firing ones, ordered by ``Alert/ordered(_:_:)``.
        public var alerts: [Alert]
        public var seriesCount: Int
        /// How many (rule, series) pairs were looked at, whether or not their outcomes were kept.
        public var checkCount: Int
        /// How many candidate series keys the rules read from the dataset's index (a rule reads a region's keys of
        /// its indicator, then skips those its selector does not match): what an evaluation costs, and what pins
        /// that an incremental one reads only the touched regions.
        public var examinedCount: Int
        /// Which outcomes ``outcomes`` holds.
        public var retention: Retention = .all
    }

    /// Evaluates every rule, or only the series in `keys` (incremental evaluation after a submission: a `gap`
    /// rule is re-evaluated when either side of its pair is touched, a `stale` rule when its region is).
    ///
    /// The work is split into units of one rule over a run of its plan's regions, run on all cores and joined in
    /// order, so the result is the same as one rule after another — whether a deployment has one plan per county or
    /// one plan listing thousands of them. An incremental evaluation builds units only for the rules that can apply
    /// to a touched key (found through ``RuleSet``'s index by region and indicator) and only over the touched
    /// regions, and finds series through ``Dataset``'s index by indicator and region: it costs what the submission
    /// touched, not what the dataset or the rule set holds.
    public func evaluate(
        _ data: Dataset, at time: EvaluationTime, only keys: Set<SeriesKey>? = nil, keeping retention: Retention = .all
    ) -> Result {
        let units = keys.map { touchedUnits($0) } ?? allUnits()
        var results = run(units, data: data, time: time, keys: keys, retention: retention)
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(results.reduce(0) { $0 + $1.outcomes.count })
        var checks = 0
        var examined = 0
        for u in results.indices {
            outcomes += results[u].outcomes
            results[u].outcomes = []
            checks += results[u].checks
            examined += results[u].examined
        }
        let alerts = ordered(results, units: units)
        return Result(time: time, outcomes: outcomes, alerts: alerts, seriesCount: data.count, checkCount: checks,
            examinedCount: examined, retention: retention)
    }

    // MARK: units of work

    struct RuleRef: Hashable, Comparable, Sendable {
        var plan: Int
        var rule: Int
        static func < (a: RuleRef, b: RuleRef) -> Bool { (a.plan, a.rule) < (b.plan, b.rule) }
    }

    /// One rule over some of its plan's regions, in the order its outcomes come in.
    struct Unit: Sendable {
        var rule: RuleRef
        var regions: ArraySlice<String>
    }

    /// Regions per unit in a full evaluation: enough units for both cores with two plans, few enough that the
    /// per-unit overhead stays small with thousands.
    static let regionsPerUnit = 128

    /// Every rule over all its regions. A `stale` rule yields one outcome per region in the plan's order; every
    /// other kind one per series in key order, that is by region in string order.
    private func allUnits() -> [Unit] {
        var units: [Unit] = []
        for (i, plan) in ruleSet.plans.enumerated() {
            let sorted = ruleSet.sortedRegions(ofPlan: i)
            for (j, rule) in plan.rules.enumerated() {
                let regions = rule.kind.name == .stale ? plan.regions : sorted
                var start = 0
                repeat {
                    let end = min(start + Self.regionsPerUnit, regions.count)
                    units.append(Unit(rule: RuleRef(plan: i, rule: j), regions: regions[start..<end]))
                    start = end
                } while start < regions.count
            }
        }
        return units
    }

    /// The rules that can apply to the touched keys, each over the touched regions of its plan.
    private func touchedUnits(_ keys: Set<SeriesKey>) -> [Unit] {
        var regionsByIndicator: [String: Set<String>] = [:]
        for k in keys { regionsByIndicator[k.indicator, default: []].insert(k.region) }
        var positions: [RuleRef: [Int]] = [:]
        for (indicator, regions) in regionsByIndicator {
            for region in regions {
                for ref in ruleSet.plans(covering: region) {
                    for j in ruleSet.rules(of: indicator, inPlan: ref.plan) {
                        positions[RuleRef(plan: ref.plan, rule: j), default: []].append(ref.position)
                    }
                }
            }
        }
        return positions.keys.sorted().map { r in
            let plan = ruleSet.plans[r.plan]
            let regions: [String]
            if plan.rules[r.rule].kind.name == .stale {
                regions = positions[r]!.sorted().map { plan.regions[$0] }
            } else {
                regions = Set(positions[r]!.map { plan.regions[$0] }).sorted()
            }
            return Unit(rule: r, regions: regions[...])
        }
    }

    private struct UnitResult: Sendable {
        var outcomes: [Outcome] = []
        /// The holding outcomes with their ids and messages; made ``Alert``s when ordered, so that the units hold
        /// these small triples, not a second copy of every alert's plan and indicator, while the ordered array is
        /// built (the peak of a national evaluation's memory).
        var alerts: [(outcome: Outcome, id: String, message: String)] = []
        var checks = 0
        var examined = 0
    }

    /// Runs the units on all cores, in batches of about equal size (counted in regions), results in unit order.
    private func run(
        _ units: [Unit], data: Dataset, time: EvaluationTime, keys: Set<SeriesKey>?, retention: Retention
    ) -> [UnitResult] {
        var results = [UnitResult](repeating: UnitResult(), count: units.count)
        let total = units.reduce(0) { $0 + $1.regions.count }
        // Small jobs (an incremental evaluation of one county) run inline: no thread hop for a few rules.
        let batchCount = total < 256 ? 1 : min(units.count, 64)
        var bounds = [0]
        var cost = 0
        for (u, unit) in units.enumerated() {
            cost += unit.regions.count
            if cost * batchCount >= total * bounds.count, u + 1 < units.count { bounds.append(u + 1) }
        }
        bounds.append(units.count)
        let batches = bounds
        results.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer
            let work = { @Sendable (b: Int) in
                for u in batches[b]..<batches[b + 1] {
                    out[u] = self.run(units[u], data: data, time: time, keys: keys, retention: retention)
                }
            }
            if batches.count == 2 {
                work(0)
            } else {
                DispatchQueue.concurrentPerform(iterations: batches.count - 1, execute: work)
            }
        }
        return results
    }

    private func run(_ unit: Unit, data: Dataset, time: EvaluationTime, keys: Set<SeriesKey>?, retention: Retention)
        -> UnitResult
    {
        let plan = ruleSet.plans[unit.rule.plan]
        let rule = plan.rules[unit.rule.rule]
        guard let indicator = ruleSet.catalog[rule.indicator] else { return UnitResult() }
        var examined = 0
        let outcomes = self.outcomes(of: rule, plan: plan, indicator: indicator, regions: unit.regions, data: data,
            time: time, only: keys, examined: &examined)
        var result = UnitResult(checks: outcomes.count, examined: examined)
        let renderer = MessageRenderer(indicator: indicator, plan: plan)
        for o in outcomes where o.state != nil {
            result.alerts.append((o, o.id, renderer.render(o)))
        }
        if retention == .all { result.outcomes = outcomes }
        return result
    }

    // MARK: ordering

    /// Each rule's rank in ``Alert/ordered(_:_:)`` order of (severity, plan id, rule id); equal triples share one.
    private func ruleRanks(_ units: [Unit]) -> [RuleRef: Int] {
        var refs = Array(Set(units.map(\.rule)))
        func triple(_ r: RuleRef) -> (Severity, String, String) {
            let rule = ruleSet.plans[r.plan].rules[r.rule]
            return (rule.severity, ruleSet.plans[r.plan].id, rule.id)
        }
        let triples = Dictionary(uniqueKeysWithValues: refs.map { ($0, triple($0)) })
        refs.sort { triples[$0]! < triples[$1]! }
        var ranks: [RuleRef: Int] = [:]
        var rank = 0
        for (n, r) in refs.enumerated() {
            if n > 0, triples[refs[n - 1]]! < triples[r]! { rank += 1 }
            ranks[r] = rank
        }
        return ranks
    }

    /// The units' alerts in ``Alert/ordered(_:_:)`` order, ties in unit order (as a stable sort of them joined
    /// would give), copied once: the order is found on (unit, alert) index pairs and small keys — the rule's rank,
    /// then the series key — instead of moving whole alerts and comparing plan and rule ids.
    private func ordered(_ results: [UnitResult], units: [Unit]) -> [Alert] {
        let ranks = ruleRanks(units)
        var order: [(rank: Int, unit: Int32, alert: Int32)] = []
        order.reserveCapacity(results.reduce(0) { $0 + $1.alerts.count })
        for (u, r) in results.enumerated() {
            let rank = ranks[units[u].rule]!
            for a in r.alerts.indices { order.append((rank, Int32(u), Int32(a))) }
        }
        order.sort { x, y in
            if x.rank != y.rank { return x.rank < y.rank }
            let kx = results[Int(x.unit)].alerts[Int(x.alert)].outcome.key
            let ky = results[Int(y.unit)].alerts[Int(y.alert)].outcome.key
            if kx != ky { return kx < ky }
            return (x.unit, x.alert) < (y.unit, y.alert)
        }
        // Each unit's plan summary and indicator, made once (a unit with alerts has its indicator in the catalog).
        var summaries: [Plan.Summary?] = Array(repeating: nil, count: units.count)
        var indicators: [Indicator?] = Array(repeating: nil, count: units.count)
        for (u, r) in results.enumerated() where !r.alerts.isEmpty {
            let plan = ruleSet.plans[units[u].rule.plan]
            summaries[u] = plan.summary
            indicators[u] = ruleSet.catalog[plan.rules[units[u].rule.rule].indicator]
        }
        return order.map {
            let u = Int($0.unit)
            let a = results[u].alerts[Int($0.alert)]
            return Alert(id: a.id, outcome: a.outcome, plan: summaries[u]!, indicator: indicators[u]!, message: a.message)
        }
    }

    // MARK: alerts

    /// Turns a holding outcome into an alert with its Chinese message.
    public func alert(for outcome: Outcome) -> Alert? {
        guard outcome.state != nil, let plan = ruleSet.plan(outcome.rule.plan) else { return nil }
        return alert(for: outcome, plan: plan)
    }

    /// The same, given the outcome's plan (no lookup).
    func alert(for outcome: Outcome, plan: Plan) -> Alert? {
        guard outcome.state != nil, let indicator = ruleSet.catalog[outcome.rule.indicator] else { return nil }
        let message = MessageRenderer(indicator: indicator, plan: plan).render(outcome)
        return Alert(id: outcome.id, outcome: outcome, plan: plan.summary, indicator: indicator, message: message)
    }

    // MARK: outcomes

    /// The outcomes of one rule over the data.
    public func outcomes(
        of rule: Rule, plan: Plan, data: Dataset, time: EvaluationTime, only keys: Set<SeriesKey>? = nil
    ) -> [Outcome] {
        guard let indicator = ruleSet.catalog[rule.indicator] else { return [] }
        var regions = rule.kind.name == .stale ? plan.regions : Set(plan.regions).sorted()
        if let keys, rule.kind.name == .stale {
            let touched = Set(keys.filter { $0.indicator == rule.indicator }.map(\.region))
            regions = regions.filter(touched.contains)
        }
        var examined = 0
        return outcomes(of: rule, plan: plan, indicator: indicator, regions: regions[...], data: data, time: time,
            only: keys, examined: &examined)
    }

    /// The outcomes of one rule over some of its plan's regions: for `stale`, one per region in the order given;
    /// for the other kinds, one per applicable series (or `gap` pair) in key order, given the regions in string
    /// order.
    func outcomes(
        of rule: Rule, plan: Plan, indicator: Indicator, regions: ArraySlice<String>, data: Dataset,
        time: EvaluationTime, only keys: Set<SeriesKey>?, examined: inout Int
    ) -> [Outcome] {
        let byRegion = data.keys(of: rule.indicator)
        if byRegion.isEmpty, rule.kind.name != .stale { return [] }
        let judge = SeriesJudge(rule: rule, plan: plan, indicator: indicator, time: time)
        var out: [Outcome] = []
        switch rule.kind {
        case .stale(let p):
            // One outcome per region: the indicator's data for the region is late, however many breakdowns it has.
            // (An incremental evaluation passes only the regions a key of the indicator touched.)
            for region in regions {
                let key = SeriesKey(indicator: rule.indicator, region: region, dimensions: rule.selector)
                // Breakdowns first, in key order, the region's own series (the alert's key) last: where both have a
                // period, the reported value is the total's, and always the same one.
                var merged = Series(key: key)
                var own: Series?
                let inRegion = byRegion[region] ?? []
                examined += inRegion.count
                for k in inRegion where rule.matchesSelector(k) {
                    if k == key {
                        own = data.series[k]!
                        continue
                    }
                    for pt in data.series[k]!.points { merged.set(pt.value, at: pt.period) }
                }
                if let own {
                    if merged.points.isEmpty {
                        merged = Series(key: key, points: own.points)
                    } else {
                        for pt in own.points { merged.set(pt.value, at: pt.period) }
                    }
                }
                out.append(judge.stale(merged, p))
            }
        case .gap(let p):
            for region in regions {
                let inRegion = byRegion[region] ?? []
                examined += inRegion.count
                for a in inRegion where a.value(of: p.dimension) == p.between.0 && rule.matchesSelector(a) {
                    var bDims = a.dimensionMap
                    bDims[p.dimension] = p.between.1
                    let b = SeriesKey(indicator: a.indicator, region: a.region, dimensions: bDims)
                    if let keys, !keys.contains(a), !keys.contains(b) { continue }
                    guard let sa = data.series[a], let sb = data.series[b] else { continue }
                    var gaps: [Series.Point] = []
                    for pt in sa.points { if let vb = sb.value(at: pt.period) { gaps.append(.init(period: pt.period, value: abs(pt.value - vb))) } }
                    let gapSeries = Series(key: a.removing(dimension: p.dimension), points: gaps)
                    out.append(judge.withHysteresis(gapSeries) { judge.gap($0, p, asOf: $1) })
                }
            }
        default:
            for region in regions {
                let inRegion = byRegion[region] ?? []
                examined += inRegion.count
                for key in inRegion where rule.matchesSelector(key) {
                    if let keys, !keys.contains(key) { continue }
                    out.append(judge.withHysteresis(data.series[key]!) { judge.judge($0, asOf: $1) })
                }
            }
        }
        return out
    }
}
