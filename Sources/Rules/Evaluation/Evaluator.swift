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

    /// Everything one evaluation found.
    public struct Result: Sendable {
        public var time: EvaluationTime
        /// Every applicable (rule, series) pair, in rule order.
        public var outcomes: [Outcome]
        /// The pending and firing ones, ordered by ``Alert/ordered(_:_:)``.
        public var alerts: [Alert]
        public var seriesCount: Int
    }

    /// Evaluates every rule, or only the series in `keys` (incremental evaluation after a submission: a `gap`
    /// rule is re-evaluated when either side of its pair is touched, a `stale` rule when its region is).
    ///
    /// Plans are evaluated concurrently (on all cores) and their outcomes joined in plan order, so the result is the
    /// same as one plan after another. A rule's candidate series are looked up by indicator and region, not by
    /// scanning every region's series of the indicator: with thousands of county plans, that scan made a full
    /// evaluation grow with the square of the number of counties.
    public func evaluate(_ data: Dataset, at time: EvaluationTime, only keys: Set<SeriesKey>? = nil) -> Result {
        let index = CandidateIndex(data)
        let plans = ruleSet.plans
        var perPlan = [(outcomes: [Outcome], alerts: [Alert])](repeating: ([], []), count: plans.count)
        let work = { @Sendable (i: Int) -> (outcomes: [Outcome], alerts: [Alert]) in
            var outcomes: [Outcome] = []
            for rule in plans[i].rules {
                outcomes += self.outcomes(of: rule, plan: plans[i], data: data, time: time, only: keys, index: index)
            }
            return (outcomes, outcomes.compactMap { self.alert(for: $0, plan: plans[i]) })
        }
        if plans.count > 1 {
            perPlan.withUnsafeMutableBufferPointer { buffer in
                nonisolated(unsafe) let out = buffer
                DispatchQueue.concurrentPerform(iterations: plans.count) { i in out[i] = work(i) }
            }
        } else if plans.count == 1 {
            perPlan[0] = work(0)
        }
        let outcomes = perPlan.flatMap(\.outcomes)
        let alerts = perPlan.flatMap(\.alerts).sorted(by: Alert.ordered)
        return Result(time: time, outcomes: outcomes, alerts: alerts, seriesCount: data.count)
    }

    /// Series keys by indicator and region, built once per evaluation.
    struct CandidateIndex: Sendable {
        var keys: [String: [String: [SeriesKey]]] = [:]
        init(_ data: Dataset) {
            for (indicator, set) in data.byIndicator {
                var byRegion: [String: [SeriesKey]] = [:]
                for k in set { byRegion[k.region, default: []].append(k) }
                keys[indicator] = byRegion
            }
        }
        func candidates(_ indicator: String, regions: [String]) -> [SeriesKey] {
            guard let byRegion = keys[indicator] else { return [] }
            var out: [SeriesKey] = []
            for r in Set(regions) { out += byRegion[r] ?? [] }
            return out
        }
    }

    /// Turns a holding outcome into an alert with its Chinese message.
    public func alert(for outcome: Outcome) -> Alert? {
        guard outcome.state != nil, let plan = ruleSet.plan(outcome.rule.plan) else { return nil }
        return alert(for: outcome, plan: plan)
    }

    /// The same, given the outcome's plan: ``RuleSet/plan(_:)`` searches the plans one by one, which with one
    /// alert per few series and thousands of plans made a national evaluation quadratic.
    func alert(for outcome: Outcome, plan: Plan) -> Alert? {
        guard outcome.state != nil, let indicator = ruleSet.catalog[outcome.rule.indicator] else { return nil }
        let message = MessageRenderer(indicator: indicator, plan: plan).render(outcome)
        return Alert(id: outcome.id, outcome: outcome, plan: plan.summary, indicator: indicator, message: message)
    }

    /// The outcomes of one rule over the data.
    public func outcomes(
        of rule: Rule, plan: Plan, data: Dataset, time: EvaluationTime, only keys: Set<SeriesKey>? = nil
    ) -> [Outcome] {
        outcomes(of: rule, plan: plan, data: data, time: time, only: keys, index: nil)
    }

    func outcomes(
        of rule: Rule, plan: Plan, data: Dataset, time: EvaluationTime, only keys: Set<SeriesKey>?,
        index: CandidateIndex?
    ) -> [Outcome] {
        guard let indicator = ruleSet.catalog[rule.indicator] else { return [] }
        let applicable: [SeriesKey]
        if let index {
            applicable = index.candidates(rule.indicator, regions: plan.regions)
                .filter { rule.applies(to: $0, regions: plan.regions) }
        } else {
            applicable = Array((data.byIndicator[rule.indicator] ?? []).filter { rule.applies(to: $0, regions: plan.regions) })
        }
        let judge = SeriesJudge(rule: rule, plan: plan, indicator: indicator, time: time)
        switch rule.kind {
        case .stale(let p):
            let candidates = applicable
            // One outcome per region: the indicator's data for the region is late, however many breakdowns it has.
            var out: [Outcome] = []
            for region in plan.regions {
                if let keys, !keys.contains(where: { $0.indicator == rule.indicator && $0.region == region }) { continue }
                let key = SeriesKey(indicator: rule.indicator, region: region, dimensions: rule.selector)
                // Breakdowns first, in key order, the region's own series (the alert's key) last: where both have a
                // period, the reported value is the total's, and always the same one.
                var merged = Series(key: key)
                let inRegion = candidates.filter { $0.region == region }.sorted { ($0 == key ? 1 : 0, $0) < ($1 == key ? 1 : 0, $1) }
                for k in inRegion {
                    for pt in data.series[k]!.points { merged.set(pt.value, at: pt.period) }
                }
                out.append(judge.stale(merged, p))
            }
            return out
        case .gap(let p):
            let candidates = applicable
            var out: [Outcome] = []
            let sides = candidates.filter { $0.value(of: p.dimension) == p.between.0 }.sorted()
            for a in sides {
                let pairKey = a.removing(dimension: p.dimension)
                var bDims = a.dimensionMap
                bDims[p.dimension] = p.between.1
                let b = SeriesKey(indicator: a.indicator, region: a.region, dimensions: bDims)
                if let keys, !keys.contains(a), !keys.contains(b) { continue }
                guard let sa = data.series[a], let sb = data.series[b] else { continue }
                var gaps: [Series.Point] = []
                for pt in sa.points { if let vb = sb.value(at: pt.period) { gaps.append(.init(period: pt.period, value: abs(pt.value - vb))) } }
                let gapSeries = Series(key: pairKey, points: gaps)
                out.append(judge.withHysteresis(gapSeries) { judge.gap($0, p, asOf: $1) })
            }
            return out
        default:
            return applicable.sorted().compactMap { key -> Outcome? in
                if let keys, !keys.contains(key) { return nil }
                let s = data.series[key]!
                return judge.withHysteresis(s) { judge.judge($0, asOf: $1) }
            }
        }
    }
}
