/// One check of one indicator against one plan: the unit warnd evaluates and alerts on.
public struct Rule: Sendable, Hashable, Identifiable {
    /// What the rule encodes: the plan sentence or table row, so every alert traces back to it.
    public struct Source: Sendable, Hashable {
        public var domain: String?
        public var goal: String?
        public var text: String
        public init(domain: String? = nil, goal: String? = nil, text: String) {
            self.domain = domain
            self.goal = goal
            self.text = text
        }
    }

    public var id: String
    public var plan: String
    public var indicator: String
    public var kind: RuleKind
    public var target: Target?
    /// Dimension values a series must have for the rule to apply to it.
    public var selector: [String: String]
    public var severity: Severity
    public var binding: Bool
    public var forPeriods: Int
    public var department: String?
    public var labels: [String: String]
    public var source: Source?
    public var message: MessageTemplate?
    public var location: SourceLocation?

    public init(
        id: String, plan: String, indicator: String, kind: RuleKind, target: Target? = nil,
        selector: [String: String] = [:], severity: Severity = .warning, binding: Bool = false, forPeriods: Int = 1,
        department: String? = nil, labels: [String: String] = [:], source: Source? = nil,
        message: MessageTemplate? = nil, location: SourceLocation? = nil
    ) {
        self.id = id
        self.plan = plan
        self.indicator = indicator
        self.kind = kind
        self.target = target
        self.selector = selector
        self.severity = severity
        self.binding = binding
        self.forPeriods = forPeriods
        self.department = department
        self.labels = labels
        self.source = source
        self.message = message
        self.location = location
    }

    /// Whether the rule applies to a series: same indicator, a region of its plan, matching dimension values.
    public func applies(to key: SeriesKey, regions: [String]) -> Bool {
        guard key.indicator == indicator, regions.contains(key.region) else { return false }
        for (name, value) in selector where key.value(of: name) != value { return false }
        return true
    }
}
