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
        init(_ plans: [Plan]) {
            for (i, p) in plans.enumerated() {
                if self.plans[p.id] == nil { self.plans[p.id] = i }
                for (j, r) in p.rules.enumerated() where self.rules[r.id] == nil { self.rules[r.id] = (i, j) }
            }
        }
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

    /// Every region any plan covers.
    public var regions: Set<String> { Set(plans.flatMap(\.regions)) }
}
