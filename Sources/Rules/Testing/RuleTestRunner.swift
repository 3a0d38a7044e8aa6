/// Runs a ``RuleTestFile`` against a rule set and reports, per evaluation, the alerts missing and unexpected.
public struct RuleTestRunner: Sendable {
    public let ruleSet: RuleSet

    public init(ruleSet: RuleSet) {
        self.ruleSet = ruleSet
    }

    public struct Failure: Sendable, CustomStringConvertible {
        public var testName: String
        public var location: SourceLocation
        public var at: Period?
        public var missing: [String]
        public var unexpected: [String]
        public var unknownRules: [String]

        /// A readable diff: `-` expected but not produced, `+` produced but not expected.
        public var description: String {
            var s = "\(location): FAIL \"\(testName)\" at \(at?.description ?? "all data"):\n"
            for r in unknownRules { s += "  ! no rule '\(r)' in the rules under test\n" }
            for m in missing { s += "  - \(m)\n" }
            for u in unexpected { s += "  + \(u)\n" }
            return s
        }
    }

    public struct Summary: Sendable {
        public var evaluations = 0
        public var failures: [Failure] = []
    }

    public func run(_ file: RuleTestFile) -> Summary {
        let evaluator = Evaluator(ruleSet: ruleSet)
        var summary = Summary()
        let ruleIDs = Set(ruleSet.rules.map(\.id))
        for c in file.cases {
            let data = Dataset(c.observations)
            for e in c.evaluations {
                summary.evaluations += 1
                let result = evaluator.evaluate(data, at: e.time)
                func selected(_ rule: String) -> Bool {
                    guard let only = e.onlyRules else { return true }
                    return only.contains { rule == $0 || rule.hasPrefix($0 + "/") }
                }
                func line(_ rule: String, _ key: SeriesKey, _ state: Outcome.State, _ status: ForecastResult.Status?) -> String {
                    "\(rule) \(key) \(state.rawValue)" + (status.map { " status=\($0.rawValue)" } ?? "")
                }
                let actual = result.alerts.filter { selected($0.rule.id) }
                var expectedLines = Set<String>()
                var unknown: [String] = []
                for x in e.alerts {
                    if !ruleIDs.contains(x.rule) { unknown.append(x.rule) }
                    expectedLines.insert(line(x.rule, x.key, x.state, x.status))
                }
                // An expectation without a status matches whatever the status is.
                var actualLines = Set<String>()
                for a in actual {
                    let wantsStatus = e.alerts.contains { $0.rule == a.rule.id && $0.key == a.key && $0.status != nil }
                    actualLines.insert(line(a.rule.id, a.key, a.state, wantsStatus ? a.outcome.forecast?.status : nil))
                }
                let missing = expectedLines.subtracting(actualLines).sorted()
                let unexpected = actualLines.subtracting(expectedLines).sorted()
                if !missing.isEmpty || !unexpected.isEmpty || !unknown.isEmpty {
                    summary.failures.append(Failure(testName: c.name, location: e.location, at: e.time.at,
                        missing: missing, unexpected: unexpected, unknownRules: unknown))
                }
            }
        }
        return summary
    }
}
