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
        /// Every (rule, series) pair looked at, quiet or not, each with the points it used (`--explain`).
        case all
        /// Every pair looked at, without the points: what the daemon's incremental path needs to resolve the alerts
        /// of the pairs it judged again.
        case outcomes
        /// None: each alert carries its own outcome, without the points. A national evaluation looks at ≈ 1.7 M
        /// pairs, and a caller that only lists alerts should not hold them all.
        case alerts

        /// Whether quiet outcomes are kept.
        public var keepsOutcomes: Bool { self != .alerts }
        /// Whether each outcome keeps a copy of the points it used. Only an explanation shows them, and at national
        /// scale the copies were ≈ 240 bytes of each of 518 674 alerts the daemon holds.
        public var keepsPoints: Bool { self == .all }
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
        let alerts = ordered(&results, units: units)
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
        /// The unit's alerts, in the order its outcomes came in, without their plan and indicator (the same for
        /// the whole unit, ``summary`` and ``indicator``): the units hold these small triples, not a second copy of
        /// every alert's plan and indicator, while the ordered array is built (the peak of a national evaluation's
        /// memory). Held in a buffer of their own that the join moves them out of (``ordered(_:units:)``):
        /// copying half a million of them and then releasing the units' copies was most of the serial end of a
        /// national evaluation.
        var alerts = AlertBuffer()
        /// The plan and indicator of the unit's alerts, one object for all of them.
        var context: Alert.Context?
        /// Whether ``alerts`` are in key order (so a run of units of one rule needs no sort to be ordered).
        var alertsInKeyOrder = true
        var checks = 0
        var examined = 0
    }

    /// A holding outcome with its id and its message's digest, an ``Alert`` but for its context.
    struct PendingAlert {
        var outcome: Outcome
        var fingerprint: UInt64
        var messageDigest: Int
    }

    /// Alerts in memory the join owns: initialized by the unit that made them, moved out (and the memory freed)
    /// exactly once by ``ordered(_:units:)``.
    struct AlertBuffer: @unchecked Sendable {
        var base: UnsafeMutablePointer<PendingAlert>?
        var count = 0

        func key(_ i: Int) -> SeriesKey { base![i].outcome.key }
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
        var result = UnitResult()
        // The unit's alerts share it; its renderer makes each message once here, for the digest, and again whenever
        // the alert is written.
        let context = Alert.Context(plan: plan.summary, indicator: indicator, rule: rule)
        let prefix = Fingerprint.RulePrefix(rule.id)
        // The alerts are moved into a scratch buffer as they come (regrown by doubling, a bitwise move), then into
        // one of their exact size; the quiet outcomes are dropped at once unless kept: no outcome is copied.
        var capacity = 0
        var scratch: UnsafeMutablePointer<PendingAlert>?
        var n = 0
        var lastKey: SeriesKey?
        var kept: [Outcome] = []
        var examined = 0
        var checks = 0
        var inKeyOrder = true
        judge(rule, plan: plan, indicator: indicator, regions: unit.regions, data: data, time: time, only: keys,
            keepingPoints: retention.keepsPoints, examined: &examined) { (o: consuming Outcome) in
            checks += 1
            if retention.keepsOutcomes { kept.append(copy o) }
            guard o.state != nil else { return }
            if let k = lastKey, inKeyOrder, o.key < k { inKeyOrder = false }
            lastKey = o.key
            if n == capacity {
                let grown = UnsafeMutablePointer<PendingAlert>.allocate(capacity: max(16, 2 * capacity))
                if let old = scratch {
                    grown.moveInitialize(from: old, count: n)
                    old.deallocate()
                }
                scratch = grown
                capacity = max(16, 2 * capacity)
            }
            // `o.id`, with the rule's part of the hash fed once per unit.
            let fingerprint = Fingerprint.value(rule: prefix, key: o.key)
            let digest = AlertTracker.Record.digest(context.renderer.render(o))
            (scratch! + n).initialize(to: PendingAlert(outcome: o, fingerprint: fingerprint, messageDigest: digest))
            n += 1
        }
        if let scratch {
            let base = UnsafeMutablePointer<PendingAlert>.allocate(capacity: n)
            base.moveInitialize(from: scratch, count: n)
            scratch.deallocate()
            result.alerts = AlertBuffer(base: base, count: n)
            result.context = context
        }
        result.outcomes = kept
        result.checks = checks
        result.examined = examined
        result.alertsInKeyOrder = inKeyOrder
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
    /// would give), each moved once out of its unit's buffer, on all cores.
    ///
    /// The units of one rule cover its regions in string order and each yields its alerts in key order, so the
    /// units of a rank joined in unit order are usually ordered already: that is checked (each unit checked its
    /// own alerts, here only where two units meet) and only a rank that is not gets sorted, on (unit, alert)
    /// index pairs by series key.
    private func ordered(_ results: inout [UnitResult], units: [Unit]) -> [Alert] {
        let ranks = ruleRanks(units)
        // The units by rank, ties in unit order.
        let byRank = units.indices.sorted { (ranks[units[$0].rule]!, $0) < (ranks[units[$1].rule]!, $1) }
        // Where each alert goes: runs of a unit's alerts moved to consecutive places.
        var runs: [(unit: Int32, from: Int32, count: Int32, to: Int)] = []
        var total = 0
        var g = 0
        while g < byRank.count {
            let rank = ranks[units[byRank[g]].rule]!
            var end = g
            while end < byRank.count, ranks[units[byRank[end]].rule]! == rank { end += 1 }
            var inOrder = true
            var previous: (unit: Int, alert: Int)?
            for u in byRank[g..<end] where results[u].alerts.count > 0 {
                if !results[u].alertsInKeyOrder { inOrder = false }
                if let p = previous, results[u].alerts.key(0) < results[p.unit].alerts.key(p.alert) { inOrder = false }
                previous = (u, results[u].alerts.count - 1)
                if !inOrder { break }
            }
            if inOrder {
                for u in byRank[g..<end] where results[u].alerts.count > 0 {
                    runs.append((Int32(u), 0, Int32(results[u].alerts.count), total))
                    total += results[u].alerts.count
                }
            } else {
                var order: [(key: SeriesKey, unit: Int32, alert: Int32)] = []
                for u in byRank[g..<end].sorted() {
                    for a in 0..<results[u].alerts.count { order.append((results[u].alerts.key(a), Int32(u), Int32(a))) }
                }
                order.sort { x, y in
                    if x.key != y.key { return x.key < y.key }
                    return (x.unit, x.alert) < (y.unit, y.alert)
                }
                for o in order {
                    runs.append((o.unit, o.alert, 1, total))
                    total += 1
                }
            }
            g = end
        }
        let buffers = results.map(\.alerts)
        let contexts = results.map(\.context)
        for u in results.indices { results[u].alerts = AlertBuffer() }
        let allRuns = runs
        return [Alert](unsafeUninitializedCapacity: total) { out, count in
            nonisolated(unsafe) let destination = out
            let chunks = allRuns.count < 64 ? 1 : 16
            let work = { @Sendable (c: Int) in
                for r in allRuns[(allRuns.count * c / chunks)..<(allRuns.count * (c + 1) / chunks)] {
                    let u = Int(r.unit)
                    let from = buffers[u].base! + Int(r.from)
                    let to = destination.baseAddress! + r.to
                    // A unit with alerts has its context.
                    let context = contexts[u]!
                    for i in 0..<Int(r.count) {
                        let a = (from + i).move()
                        (to + i).initialize(to: Alert(fingerprint: a.fingerprint, outcome: a.outcome, context: context,
                            messageDigest: a.messageDigest))
                    }
                }
            }
            if chunks == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: chunks, execute: work) }
            // Freed once all are moved. (Freeing each unit's buffer as soon as its last run was moved was tried in
            // the fifth round: the peak did not move, the memory staying in the allocator's arenas.)
            for b in buffers { b.base?.deallocate() }
            count = total
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
        return Alert(outcome: outcome, plan: plan.summary, indicator: indicator)
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
        var out: [Outcome] = []
        judge(rule, plan: plan, indicator: indicator, regions: regions, data: data, time: time, only: keys,
            examined: &examined) { out.append($0) }
        return out
    }

    /// The same outcomes, each handed to `emit` as it is found (which may keep it or drop it) instead of
    /// gathered: a full evaluation keeps only the alerts of 1.7 M outcomes, and gathering them all first copied
    /// each one out again.
    func judge(
        _ rule: Rule, plan: Plan, indicator: Indicator, regions: ArraySlice<String>, data: Dataset,
        time: EvaluationTime, only keys: Set<SeriesKey>?, keepingPoints: Bool = true, examined: inout Int,
        _ emit: (consuming Outcome) -> Void
    ) {
        let byRegion = data.keys(of: rule.indicator)
        if byRegion.isEmpty, rule.kind.name != .stale { return }
        let judge = SeriesJudge(rule: rule, plan: plan, indicator: indicator, time: time, keepsPoints: keepingPoints)
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
                emit(judge.stale(merged, p))
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
                    emit(judge.withHysteresis(gapSeries) { judge.gap($0, p, asOf: $1) })
                }
            }
        default:
            for region in regions {
                let inRegion = byRegion[region] ?? []
                examined += inRegion.count
                for key in inRegion where rule.matchesSelector(key) {
                    if let keys, !keys.contains(key) { continue }
                    emit(judge.withHysteresis(data.series[key]!) { judge.judge($0, asOf: $1) })
                }
            }
        }
    }
}
