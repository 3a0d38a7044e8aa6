/// Everything loaded from a rules directory: the catalog and the plans, validated together.
///
/// A rule set is only ever built whole: the loader returns one when there is no error at all, which is what lets
/// the daemon swap a reloaded set in atomically and keep the old one otherwise.
public struct RuleSet: Sendable {
    public var catalog: IndicatorCatalog
    public var plans: [Plan] {
        didSet { index = Index(plans) }
    }
    /// Plans and rules by id: the daemon and the report look them up once per alert, and a linear search over the
    /// thousands of plans of a national deployment (issue 4) made that quadratic.
    private var index: Index

    private struct Index: Sendable {
        var plans: [String: Int] = [:]
        var rules: [String: (plan: Int, rule: Int)] = [:]
        /// region → every (plan, position in its `regions`) naming it.
        var regionPlans: [String: [RegionRef]] = [:]
        /// Per plan: indicator → the indices of its rules of that indicator, in plan order.
        var planRules: [[String: [Int]]] = []
        /// Per plan: its distinct regions in string order (the order of a rule's outcomes over series keys).
        var sortedRegions: [[String]] = []
        init(_ plans: [Plan]) {
            planRules.reserveCapacity(plans.count)
            sortedRegions.reserveCapacity(plans.count)
            for (i, p) in plans.enumerated() {
                if self.plans[p.id] == nil { self.plans[p.id] = i }
                var byIndicator: [String: [Int]] = [:]
                for (j, r) in p.rules.enumerated() {
                    if self.rules[r.id] == nil { self.rules[r.id] = (i, j) }
                    byIndicator[r.indicator, default: []].append(j)
                }
                planRules.append(byIndicator)
                for (k, region) in p.regions.enumerated() {
                    regionPlans[region, default: []].append(RegionRef(plan: i, position: k))
                }
                sortedRegions.append(Set(p.regions).sorted())
            }
        }
    }

    /// One place a region is named: plan `plan`'s `regions[position]`.
    public struct RegionRef: Sendable, Hashable {
        public var plan: Int
        public var position: Int
    }

    public init(catalog: IndicatorCatalog, plans: [Plan]) {
        self.catalog = catalog
        self.plans = plans
        self.index = Index(plans)
    }

    public var rules: [Rule] { plans.flatMap(\.rules) }

    public var ruleCount: Int { plans.reduce(0) { $0 + $1.rules.count } }

    public func plan(_ id: String) -> Plan? { index.plans[id].map { plans[$0] } }

    public func rule(_ id: String) -> (Plan, Rule)? {
        guard let (i, j) = index.rules[id] else { return nil }
        return (plans[i], plans[i].rules[j])
    }

    /// Where plans name a region (plan index and position in its `regions`), in plan order.
    public func plans(covering region: String) -> [RegionRef] { index.regionPlans[region] ?? [] }

    /// The indices (in `plans[plan].rules`) of a plan's rules of an indicator, in plan order.
    public func rules(of indicator: String, inPlan plan: Int) -> [Int] { index.planRules[plan][indicator] ?? [] }

    /// A plan's distinct regions in string order.
    public func sortedRegions(ofPlan plan: Int) -> [String] { index.sortedRegions[plan] }

    /// Every region any plan covers.
    public var regions: Set<String> { Set(index.regionPlans.keys) }
}
