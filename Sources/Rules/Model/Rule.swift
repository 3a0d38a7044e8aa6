/// One check of one indicator against one plan: the unit warnd evaluates and alerts on.
///
/// A value type backed by one immutable-once-shared class instance (copy-on-write): every ``Outcome`` and
/// ``Alert`` carries its rule, and a national evaluation makes millions of them. Copying a plain struct of a dozen
/// strings, dictionaries and enums retained and released each field per copy (issue 4's profile); copying this one
/// retains a single pointer. The API is that of the plain struct: every property can still be set, which copies the
/// storage first when it is shared.
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

    /// The fields. Mutated only while uniquely referenced (``mutate(_:)``), so sharing it across threads is safe.
    private final class Storage: @unchecked Sendable {
        var id: String
        var plan: String
        var indicator: String
        var kind: RuleKind
        var target: Target?
        var selector: [String: String]
        var severity: Severity
        var binding: Bool
        var forPeriods: Int
        var department: String?
        var labels: [String: String]
        var source: Source?
        var message: MessageTemplate?
        var location: SourceLocation?

        init(
            id: String, plan: String, indicator: String, kind: RuleKind, target: Target?, selector: [String: String],
            severity: Severity, binding: Bool, forPeriods: Int, department: String?, labels: [String: String],
            source: Source?, message: MessageTemplate?, location: SourceLocation?
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

        func copy() -> Storage {
            Storage(id: id, plan: plan, indicator: indicator, kind: kind, target: target, selector: selector,
                severity: severity, binding: binding, forPeriods: forPeriods, department: department, labels: labels,
                source: source, message: message, location: location)
        }
    }

    private var storage: Storage

    private mutating func mutate(_ change: (Storage) -> Void) {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        change(storage)
    }

    public var id: String {
        get { storage.id }
        set { mutate { $0.id = newValue } }
    }
    public var plan: String {
        get { storage.plan }
        set { mutate { $0.plan = newValue } }
    }
    public var indicator: String {
        get { storage.indicator }
        set { mutate { $0.indicator = newValue } }
    }
    public var kind: RuleKind {
        get { storage.kind }
        set { mutate { $0.kind = newValue } }
    }
    public var target: Target? {
        get { storage.target }
        set { mutate { $0.target = newValue } }
    }
    /// Dimension values a series must have for the rule to apply to it.
    public var selector: [String: String] {
        get { storage.selector }
        set { mutate { $0.selector = newValue } }
    }
    public var severity: Severity {
        get { storage.severity }
        set { mutate { $0.severity = newValue } }
    }
    public var binding: Bool {
        get { storage.binding }
        set { mutate { $0.binding = newValue } }
    }
    public var forPeriods: Int {
        get { storage.forPeriods }
        set { mutate { $0.forPeriods = newValue } }
    }
    public var department: String? {
        get { storage.department }
        set { mutate { $0.department = newValue } }
    }
    public var labels: [String: String] {
        get { storage.labels }
        set { mutate { $0.labels = newValue } }
    }
    public var source: Source? {
        get { storage.source }
        set { mutate { $0.source = newValue } }
    }
    public var message: MessageTemplate? {
        get { storage.message }
        set { mutate { $0.message = newValue } }
    }
    public var location: SourceLocation? {
        get { storage.location }
        set { mutate { $0.location = newValue } }
    }

    public init(
        id: String, plan: String, indicator: String, kind: RuleKind, target: Target? = nil,
        selector: [String: String] = [:], severity: Severity = .warning, binding: Bool = false, forPeriods: Int = 1,
        department: String? = nil, labels: [String: String] = [:], source: Source? = nil,
        message: MessageTemplate? = nil, location: SourceLocation? = nil
    ) {
        storage = Storage(id: id, plan: plan, indicator: indicator, kind: kind, target: target, selector: selector,
            severity: severity, binding: binding, forPeriods: forPeriods, department: department, labels: labels,
            source: source, message: message, location: location)
    }

    public static func == (a: Rule, b: Rule) -> Bool {
        if a.storage === b.storage { return true }
        let x = a.storage, y = b.storage
        return x.id == y.id && x.plan == y.plan && x.indicator == y.indicator && x.kind == y.kind
            && x.target == y.target && x.selector == y.selector && x.severity == y.severity && x.binding == y.binding
            && x.forPeriods == y.forPeriods && x.department == y.department && x.labels == y.labels
            && x.source == y.source && x.message == y.message && x.location == y.location
    }

    /// Hashes the identity only (id and plan): equal rules have equal ids, and hashing every field of every rule
    /// in a set of outcomes is what this type exists to avoid.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.id)
        hasher.combine(storage.plan)
    }

    /// Whether the rule applies to a series: same indicator, a region of its plan, matching dimension values.
    public func applies(to key: SeriesKey, regions: [String]) -> Bool {
        guard key.indicator == indicator, regions.contains(key.region) else { return false }
        return matchesSelector(key)
    }

    /// Whether a series has the dimension values the rule selects (indicator and region not checked).
    public func matchesSelector(_ key: SeriesKey) -> Bool {
        for (name, value) in storage.selector where key.value(of: name) != value { return false }
        return true
    }
}
