import Yams

/// A rule unit-test file (`warnd test`), in the manner of `promtool test rules`: input series, evaluation points
/// and the exact alerts expected at each.
///
/// ```yaml
/// rules: [../rules]                 # relative to this file
/// tests:
///   - name: 孕产妇死亡率下降太慢
///     input:
///       - series: 'maternal_mortality_ratio{region=渠县}'
///         values: {2018: 20, 2019: 19.5, 2020: 19, 2021: 18.6}
///     evaluations:
///       - at: 2021
///         now: 2022-07-01
///         only_rules: [qx-w-health-2-mmr]      # optional: compare only these rules (or ids before '/')
///         alerts:
///           - rule: qx-w-health-2-mmr/forecast
///             series: 'maternal_mortality_ratio{region=渠县}'
///             state: firing                      # optional, default firing
///             status: acceleration_needed        # optional: the forecast status
/// ```
public struct RuleTestFile: Sendable {
    public struct ExpectedAlert: Sendable, Hashable {
        public var rule: String
        public var key: SeriesKey
        public var state: Outcome.State
        public var status: ForecastResult.Status?
        public var location: SourceLocation
    }

    public struct Evaluation: Sendable {
        public var time: EvaluationTime
        public var onlyRules: [String]?
        public var alerts: [ExpectedAlert]
        public var location: SourceLocation
    }

    public struct Case: Sendable {
        public var name: String
        public var observations: [Observation]
        public var evaluations: [Evaluation]
        public var location: SourceLocation
    }

    public var file: String
    /// The rules paths as written (relative to the test file).
    public var rules: [String]
    public var cases: [Case]

    public static func parse(_ bytes: [UInt8], file: String) -> Result<RuleTestFile, RulesLoadError> {
        let doc: YAMLDocument
        switch YAMLDocument.parse(bytes, file: file) {
        case .failure(let e): return .failure(e)
        case .success(let d): doc = d
        }
        let sink = DiagnosticSink()
        guard let root = doc.root,
            let top = MappingReader(root, file: file, context: "", expected: "a test file", sink: sink)
        else {
            if doc.root == nil { sink.error(SourceLocation(file: file, line: 1, column: 1), "empty test file") }
            return .failure(RulesLoadError(sink.diagnostics))
        }
        top.rejectUnknownKeys(allowed: ["rules", "tests"])
        let rules = top.stringList("rules", required: true) ?? []
        var cases: [Case] = []
        if let tests = top.value("tests") {
            if case .sequence(let items) = tests {
                for item in items { if let c = parseCase(item, file: file, sink: sink) { cases.append(c) } }
            } else {
                sink.error(top.location(of: tests), "'tests' must be a list of test cases")
            }
        } else {
            sink.error(top.location, "missing required key 'tests'")
        }
        if sink.hasErrors { return .failure(RulesLoadError(sink.diagnostics)) }
        return .success(RuleTestFile(file: file, rules: rules, cases: cases))
    }

    private static func parseCase(_ node: Node, file: String, sink: DiagnosticSink) -> Case? {
        guard let r = MappingReader(node, file: file, context: "test: ", expected: "a test case", sink: sink) else {
            return nil
        }
        r.rejectUnknownKeys(allowed: ["name", "input", "evaluations"])
        let name = r.string("name", required: true) ?? "?"
        var observations: [Observation] = []
        if let input = r.value("input") {
            guard case .sequence(let items) = input else {
                sink.error(r.location(of: input), "test \"\(name)\": 'input' must be a list of series")
                return nil
            }
            for item in items {
                guard let s = MappingReader(item, file: file, context: "test \"\(name)\": ", expected: "an input series", sink: sink)
                else { continue }
                s.rejectUnknownKeys(allowed: ["series", "values"])
                guard let spelling = s.string("series", required: true, what: "a series like 'indicator{region=渠县}'") else { continue }
                guard let key = SeriesKey(spelling: spelling) else {
                    sink.error(s.location(of: s.value("series")!),
                        "test \"\(name)\": expected a series like 'maternal_mortality_ratio{region=渠县,area=农村}', found '\(spelling)'")
                    continue
                }
                guard let values = s.value("values") else {
                    sink.error(s.location, "test \"\(name)\": missing required key 'values'")
                    continue
                }
                observations += parseValues(values, key: key, file: file, context: "test \"\(name)\": ", sink: sink)
            }
        }
        var evaluations: [Evaluation] = []
        if let evs = r.value("evaluations"), case .sequence(let items) = evs {
            for item in items {
                if let e = parseEvaluation(item, file: file, name: name, sink: sink) { evaluations.append(e) }
            }
        } else {
            sink.error(r.location, "test \"\(name)\": 'evaluations' must be a list")
        }
        return Case(name: name, observations: observations, evaluations: evaluations, location: r.location)
    }

    /// `{2018: 20, 2019: ~}` or `"2018:20 2019:18.5"`; `~`/null means "not reported".
    private static func parseValues(_ node: Node, key: SeriesKey, file: String, context: String, sink: DiagnosticSink) -> [Observation] {
        var out: [Observation] = []
        let loc = YAMLDocument.location(of: node, file: file)
        func add(_ p: String, _ v: String?, _ at: SourceLocation) {
            guard let period = Period(p) else {
                sink.error(at, "\(context)expected a period like 2024, found '\(p)'")
                return
            }
            var value: Double?
            if let v {
                guard let d = Double(v), d.isFinite else {
                    sink.error(at, "\(context)expected a number for \(p), found '\(v)'")
                    return
                }
                value = d
            }
            out.append(Observation(key: key, period: period, value: value, location: at))
        }
        switch node {
        case .mapping(let m):
            for (k, v) in m {
                guard case .scalar(let ks) = k else { continue }
                let at = YAMLDocument.location(of: v, file: file)
                if v.isNull { add(ks.string, nil, at) } else if case .scalar(let vs) = v { add(ks.string, vs.string, at) }
                else { sink.error(at, "\(context)expected a number for \(ks.string)") }
            }
        case .scalar(let s):
            for token in s.string.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
                let kv = token.split(separator: ":", maxSplits: 1)
                guard kv.count == 2 else {
                    sink.error(loc, "\(context)expected 'period:value' pairs, found '\(token)'")
                    continue
                }
                add(String(kv[0]), kv[1] == "~" ? nil : String(kv[1]), loc)
            }
        default:
            sink.error(loc, "\(context)'values' must map periods to numbers")
        }
        return out
    }

    private static func parseEvaluation(_ node: Node, file: String, name: String, sink: DiagnosticSink) -> Evaluation? {
        let ctx = "test \"\(name)\": "
        guard let r = MappingReader(node, file: file, context: ctx, expected: "an evaluation", sink: sink) else { return nil }
        r.rejectUnknownKeys(allowed: ["at", "now", "only_rules", "alerts"])
        var at: Period?
        if let a = r.string("at") {
            at = Period(a)
            if at == nil { sink.error(r.location(of: r.value("at")!), "\(ctx)'at' must be a period like 2024, found '\(a)'") }
        }
        var now = CivilDate(year: (at?.year ?? 2030) + 1, month: 12, day: 31)
        if let n = r.string("now") {
            if let d = CivilDate(n) { now = d } else { sink.error(r.location(of: r.value("now")!), "\(ctx)'now' must be a day like 2025-07-01, found '\(n)'") }
        }
        var alerts: [ExpectedAlert] = []
        if let list = r.value("alerts") {
            guard case .sequence(let items) = list else {
                sink.error(r.location(of: list), "\(ctx)'alerts' must be a list (write [] for none)")
                return nil
            }
            for item in items {
                guard let a = MappingReader(item, file: file, context: ctx, expected: "an expected alert", sink: sink) else { continue }
                a.rejectUnknownKeys(allowed: ["rule", "series", "state", "status"])
                guard let rule = a.string("rule", required: true), let spelling = a.string("series", required: true) else { continue }
                guard let key = SeriesKey(spelling: spelling) else {
                    sink.error(a.location(of: a.value("series")!), "\(ctx)expected a series like 'indicator{region=渠县}', found '\(spelling)'")
                    continue
                }
                var state = Outcome.State.firing
                if let s = a.string("state") {
                    if let v = Outcome.State(rawValue: s) { state = v } else { sink.error(a.location(of: a.value("state")!), "\(ctx)'state' must be firing or pending, found '\(s)'") }
                }
                var status: ForecastResult.Status?
                if let s = a.string("status") {
                    status = ForecastResult.Status(rawValue: s)
                    if status == nil {
                        sink.error(a.location(of: a.value("status")!), "\(ctx)unknown forecast status '\(s)'"
                            + Suggestion.hint(for: s, among: ForecastResult.Status.allCases.map(\.rawValue)))
                    }
                }
                alerts.append(ExpectedAlert(rule: rule, key: key, state: state, status: status, location: a.location))
            }
        } else {
            sink.error(r.location, "\(ctx)missing required key 'alerts' (write [] to expect none)")
        }
        return Evaluation(time: EvaluationTime(at: at, now: now), onlyRules: r.stringList("only_rules"), alerts: alerts, location: r.location)
    }
}
