/// Everything loaded from a rules directory: the catalog and the plans, validated together.
///
/// A rule set is only ever built whole: the loader returns one when there is no error at all, which is what lets
/// the daemon swap a reloaded set in atomically and keep the old one otherwise.
public struct RuleSet: Sendable {
    public var catalog: IndicatorCatalog
    public var plans: [Plan]

    public init(catalog: IndicatorCatalog, plans: [Plan]) {
        self.catalog = catalog
        self.plans = plans
    }

    public var rules: [Rule] { plans.flatMap(\.rules) }

    public var ruleCount: Int { plans.reduce(0) { $0 + $1.rules.count } }

    public func plan(_ id: String) -> Plan? { plans.first { $0.id == id } }

    public func rule(_ id: String) -> (Plan, Rule)? {
        for p in plans { if let r = p.rules.first(where: { $0.id == id }) { return (p, r) } }
        return nil
    }

    /// Every region any plan covers.
    public var regions: Set<String> { Set(plans.flatMap(\.regions)) }
}
