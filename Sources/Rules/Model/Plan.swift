/// One development plan (a county's women's or children's plan) and the rules that encode its targets.
public struct Plan: Sendable, Hashable, Identifiable {
    public var id: String
    public var title: String
    public var regions: [String]
    public var baselineYear: Int
    public var targetYear: Int
    public var document: String?
    public var defaultSeverity: Severity
    public var rules: [Rule]
    public var location: SourceLocation?

    public init(
        id: String, title: String, regions: [String], baselineYear: Int, targetYear: Int, document: String? = nil,
        defaultSeverity: Severity = .warning, rules: [Rule] = [], location: SourceLocation? = nil
    ) {
        self.id = id
        self.title = title
        self.regions = regions
        self.baselineYear = baselineYear
        self.targetYear = targetYear
        self.document = document
        self.defaultSeverity = defaultSeverity
        self.rules = rules
        self.location = location
    }
}
