import Yams

/// Reads one rules file (`plan:` header and `rules:` list) into a ``Plan``, checking it against the catalog.
struct PlanLoader {
    let file: String
    let catalog: IndicatorCatalog
    let sink: DiagnosticSink

    static let planKeys = ["id", "title", "regions", "baseline_year", "target_year", "document", "severity"]
    static let ruleKeys = [
        "id", "indicator", "kind", "checks", "target", "where", "binding", "severity", "for_periods", "department",
        "labels", "source", "message",
    ]
    static let checkKeys = ["kind", "id", "severity", "for_periods", "message", "labels"]
    static let targetKeys = ["op", "value", "change", "base_year", "tolerance", "year", "scope"]

    /// The parameters each kind accepts.
    static let parameterKeys: [RuleKind.Name: [String]] = [
        .breach: [],
        .forecast: ["method", "window", "min_points", "level", "min_probability", "cutoffs"],
        .trajectory: ["tolerance"],
        .fluctuation: ["absolute", "relative", "robust_z", "min_changes"],
        .direction: ["direction", "window", "tolerance"],
        .gap: ["dimension", "between", "max", "window", "narrowing"],
        .stale: ["due"],
    ]

    func load(_ root: Node) -> Plan? {
        guard let top = MappingReader(root, file: file, context: "", expected: "a rules file", sink: sink) else {
            return nil
        }
        top.rejectUnknownKeys(allowed: ["plan", "rules"])
        guard let planNode = top.value("plan") else {
            sink.error(top.location, "missing required key 'plan' (the plan these rules encode)")
            return nil
        }
        guard var plan = loadHeader(planNode) else { return nil }
        guard let rulesNode = top.value("rules") else {
            sink.error(top.keyLocation("rules") ?? top.location, "plan '\(plan.id)' has no rules")
            return nil
        }
        guard case .sequence(let items) = rulesNode else {
            sink.error(top.location(of: rulesNode), "'rules' must be a list, found \(rulesNode.kindDescription)")
            return nil
        }
        if items.isEmpty { sink.error(top.location(of: rulesNode), "plan '\(plan.id)' has no rules") }
        for item in items { plan.rules += loadRule(item, plan: plan) }
        return plan
    }

    private func loadHeader(_ node: Node) -> Plan? {
        guard let r = MappingReader(node, file: file, context: "plan: ", expected: "the plan header", sink: sink)
        else { return nil }
        r.rejectUnknownKeys(allowed: Self.planKeys)
        let id = r.string("id", required: true, what: "an id such as qx-women")
        let title = r.string("title", required: true, what: "the plan's Chinese title")
        let regions = r.stringList("regions", required: true)
        let baseline = r.int("baseline_year", required: true, what: "a year")
        let target = r.int("target_year", required: true, what: "a year")
        let document = r.string("document")
        var severity = Severity.warning
        if let s = r.string("severity") {
            if let v = Severity(rawValue: s) { severity = v } else { badSeverity(s, at: r.value("severity")!, r) }
        }
        if let id, !isPlanID(id) {
            sink.error(r.location(of: r.value("id")!), "plan id '\(id)' must be lowercase ASCII letters, digits and '-'")
        }
        if let regions, regions.isEmpty {
            sink.error(r.location(of: r.value("regions")!), "plan: 'regions' must name at least one region")
        }
        if let baseline, !Period.validYears.contains(baseline) {
            sink.error(r.location(of: r.value("baseline_year")!), "plan: baseline year \(baseline) is not a plausible year")
        }
        if let target, !Period.validYears.contains(target) {
            // Checked like the baseline: 99999 would otherwise load, and every forecast would aim at it.
            sink.error(r.location(of: r.value("target_year")!), "plan: target year \(target) is not a plausible year")
        } else if let baseline, let target, target <= baseline {
            sink.error(r.location(of: r.value("target_year")!),
                "plan: target year \(target) is not after the baseline year \(baseline)")
        }
        guard let id, let title, let regions, let baseline, let target else { return nil }
        return Plan(id: id, title: title, regions: regions, baselineYear: baseline, targetYear: target,
            document: document, defaultSeverity: severity, location: r.location)
    }

    private func badSeverity(_ s: String, at node: Node, _ r: MappingReader) {
        sink.error(r.location(of: node), "\(r.context)severity must be critical, warning or info, found '\(s)'"
            + Suggestion.hint(for: s, among: Severity.allCases.map(\.rawValue)))
    }

    private func loadRule(_ node: Node, plan: Plan) -> [Rule] {
        guard let first = MappingReader(node, file: file, context: "rule: ", expected: "a rule", sink: sink) else {
            return []
        }
        let id = first.string("id", required: true, what: "a rule id")
        let ctx = id.map { "rule \"\($0)\": " } ?? "rule: "
        let r = MappingReader(node, file: file, context: ctx, expected: "a rule", sink: sink)!
        let kindNode = r.value("kind")
        let kindName = kindNode.flatMap { parseKindName($0, r) }
        var allowed = Self.ruleKeys
        if let kindName { allowed += Self.parameterKeys[kindName]! }
        r.rejectUnknownKeys(allowed: allowed)
        if let id, !isRuleID(id) {
            sink.error(r.location(of: r.value("id")!), "rule id '\(id)' may use only ASCII letters, digits, '_', '.' and '-'")
        }

        var indicator: Indicator?
        if let ind = r.string("indicator", required: true, what: "an indicator id from the catalog") {
            indicator = catalog[ind]
            if indicator == nil && catalog.count > 0 {
                sink.error(r.location(of: r.value("indicator")!),
                    "\(ctx)unknown indicator '\(ind)'\(Suggestion.hint(for: ind, among: catalog.order))")
            }
        }
        let target = r.value("target").flatMap { loadTarget($0, plan: plan, context: ctx) }
        let binding = r.bool("binding") ?? false
        var ruleSeverity: Severity?
        if let s = r.string("severity") {
            ruleSeverity = Severity(rawValue: s)
            if ruleSeverity == nil { badSeverity(s, at: r.value("severity")!, r) }
        }
        let forPeriods = r.int("for_periods").flatMap { checkPositive($0, "for_periods", r) } ?? 1
        let department = r.string("department")
        let labels = r.stringMap("labels") ?? [:]
        let selector = r.stringMap("where") ?? [:]
        let source = r.value("source").flatMap { loadSource($0, context: ctx) }
        let message = loadMessage(r)

        let hasChecks = r.value("checks") != nil
        if kindNode != nil && hasChecks {
            sink.error(r.keyLocation("checks")!, "\(ctx)give either 'kind' or 'checks', not both")
            return []
        }
        if kindNode == nil && !hasChecks {
            sink.error(r.location, "\(ctx)missing 'kind' (one check) or 'checks' (a list of checks)")
            return []
        }

        struct Spec {
            var id: String
            var kindName: RuleKind.Name
            var reader: MappingReader
            var severity: Severity?
            var forPeriods: Int
            var message: MessageTemplate?
            var labels: [String: String]
            var location: SourceLocation
        }
        var specs: [Spec] = []
        if let kindName, let id {
            specs.append(Spec(id: id, kindName: kindName, reader: r, severity: ruleSeverity, forPeriods: forPeriods,
                message: message, labels: labels, location: r.location(of: r.value("id")!)))
        } else if let checks = r.value("checks") {
            guard case .sequence(let items) = checks, !items.isEmpty else {
                sink.error(r.location(of: checks), "\(ctx)'checks' must be a non-empty list of checks")
                return []
            }
            var kindsSeen: [RuleKind.Name: Int] = [:]
            for item in items {
                let quiet = MappingReader(item, file: file, context: ctx, expected: "a check", sink: DiagnosticSink())
                if let k = quiet?.value("kind").flatMap({ parseKindName($0, nil) }), quiet?.value("id") == nil {
                    kindsSeen[k, default: 0] += 1
                }
            }
            for item in items {
                guard let c = MappingReader(item, file: file, context: ctx, expected: "a check", sink: sink) else {
                    continue
                }
                guard let kn = c.value("kind") else {
                    sink.error(c.location, "\(ctx)check is missing 'kind'")
                    continue
                }
                guard let name = parseKindName(kn, c) else { continue }
                let checkID = c.string("id")
                let cctx = "rule \"\(id ?? "?")/\(checkID ?? name.rawValue)\": "
                let cr = MappingReader(item, file: file, context: cctx, expected: "a check", sink: sink)!
                cr.rejectUnknownKeys(allowed: Self.checkKeys + Self.parameterKeys[name]!)
                if checkID == nil, kindsSeen[name, default: 0] > 1 {
                    sink.error(cr.location(of: kn),
                        "\(ctx)two checks of kind '\(name.rawValue)': give each an 'id' so their rule ids differ")
                }
                if let checkID, !isRuleID(checkID) {
                    sink.error(cr.location(of: cr.value("id")!), "\(cctx)check id may use only ASCII letters, digits, '_', '.' and '-'")
                }
                var sev = ruleSeverity
                if let s = cr.string("severity") {
                    sev = Severity(rawValue: s)
                    if sev == nil { badSeverity(s, at: cr.value("severity")!, cr) }
                }
                let fp = cr.int("for_periods").flatMap { checkPositive($0, "for_periods", cr) } ?? forPeriods
                let msg = loadMessage(cr) ?? message
                let lbl = labels.merging(cr.stringMap("labels") ?? [:]) { _, new in new }
                guard let id else { continue }
                specs.append(Spec(id: "\(id)/\(checkID ?? name.rawValue)", kindName: name, reader: cr, severity: sev,
                    forPeriods: fp, message: msg, labels: lbl, location: cr.location))
            }
        }

        var rules: [Rule] = []
        for spec in specs {
            guard let kind = loadKind(spec.kindName, spec.reader, indicator: indicator, target: target, plan: plan)
            else { continue }
            if spec.kindName.needsTarget && target == nil && r.value("target") == nil {
                sink.error(spec.location, "\(spec.reader.context)kind '\(spec.kindName.rawValue)' needs a 'target'")
                continue
            }
            if spec.kindName == .trajectory, let t = target, t.scope == .everyYear {
                sink.error(spec.location,
                    "\(spec.reader.context)'trajectory' needs a by-year target; a keep-within target is checked by 'breach'")
                continue
            }
            guard let indicator, let source else { continue }
            let defaultSeverity: Severity =
                binding && spec.kindName.needsTarget ? .critical : plan.defaultSeverity
            rules.append(Rule(
                id: spec.id, plan: plan.id, indicator: indicator.id, kind: kind,
                target: target,
                selector: selector, severity: spec.severity ?? defaultSeverity, binding: binding,
                forPeriods: spec.forPeriods, department: department, labels: spec.labels, source: source,
                message: spec.message, location: spec.location))
        }
        if source == nil && r.value("source") == nil {
            sink.error(r.location, "\(ctx)missing required key 'source' (the plan sentence the rule encodes: text, goal, domain)")
        }
        return rules
    }

    private func parseKindName(_ node: Node, _ r: MappingReader?) -> RuleKind.Name? {
        guard case .scalar(let s) = node, let name = RuleKind.Name(rawValue: s.string) else {
            if let r {
                let found = node.valueDescription
                let hint = { if case .scalar(let s) = node { return Suggestion.hint(for: s.string, among: RuleKind.Name.allCases.map(\.rawValue)) } else { return "" } }()
                sink.error(r.location(of: node), "\(r.context)unknown kind \(found)\(hint); expected one of "
                    + RuleKind.Name.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return nil
        }
        return name
    }

    private func checkPositive(_ v: Int, _ key: String, _ r: MappingReader) -> Int? {
        if v >= 1 { return v }
        sink.error(r.location(of: r.value(key)!), "\(r.context)'\(key)' must be at least 1, found \(v)")
        return nil
    }

    private func loadMessage(_ r: MappingReader) -> MessageTemplate? {
        guard let text = r.string("message") else { return nil }
        do {
            return try MessageTemplate(text)
        } catch {
            let loc = r.location(of: r.value("message")!)
            switch error {
            case .unknownPlaceholder(let name, _):
                sink.error(loc, "\(r.context)unknown placeholder '{\(name)}' in message"
                    + Suggestion.hint(for: name, among: MessageTemplate.placeholders))
            case .unclosedBrace:
                sink.error(loc, "\(r.context)unclosed '{' in message (write '{{' for a literal brace)")
            }
            return nil
        }
    }

    private func loadSource(_ node: Node, context: String) -> Rule.Source? {
        guard let r = MappingReader(node, file: file, context: context + "source: ", expected: "a source", sink: sink)
        else { return nil }
        r.rejectUnknownKeys(allowed: ["text", "goal", "domain"])
        guard let text = r.string("text", required: true, what: "the plan's exact wording") else { return nil }
        return Rule.Source(domain: r.string("domain"), goal: r.string("goal"), text: text)
    }

    private func loadTarget(_ node: Node, plan: Plan, context: String) -> Target? {
        guard let r = MappingReader(node, file: file, context: context + "target: ", expected: "a target", sink: sink)
        else { return nil }
        r.rejectUnknownKeys(allowed: Self.targetKeys)
        var comparison: Comparison?
        if let op = r.string("op", required: true, what: "one of <, <=, >, >=, ≈") {
            comparison = Comparison(spelling: op)
            if comparison == nil {
                sink.error(r.location(of: r.value("op")!),
                    "\(r.context)'op' must be one of <, <=, >, >=, ≈ (or ~), found '\(op)'")
            }
        }
        let value = r.double("value")
        var change: Double?
        if let c = r.value("change") {
            if let d = c.plainNumber {
                change = d
            } else if case .scalar(let s) = c, s.string.hasSuffix("%"), let d = Double(s.string.dropLast()), d.isFinite {
                change = d / 100
            } else {
                sink.error(r.location(of: c), "\(r.context)'change' must be a fraction like -0.20 or a percentage like -20%, found \(c.valueDescription)")
            }
        }
        if r.has("value") == r.has("change") {
            sink.error(r.location, "\(r.context)give exactly one of 'value' (an absolute target) or 'change' (relative to base_year)")
        }
        if r.has("base_year") && !r.has("change") {
            sink.error(r.keyLocation("base_year")!, "\(r.context)'base_year' only applies to a 'change' target")
        }
        let baseYear = r.int("base_year", what: "a year") ?? plan.baselineYear
        // Only a base year the rule gives: the plan's own baseline after its target year is the plan's error, said
        // once at the plan (a fuzzed plan with baseline year 9868 crashed here, unwrapping a 'base_year' not given).
        if change != nil, let node = r.value("base_year"), baseYear > plan.targetYear {
            sink.error(r.location(of: node), "\(r.context)base year \(baseYear) is after the plan's target year \(plan.targetYear)")
        }
        let year = r.int("year", what: "a year") ?? plan.targetYear
        if let yNode = r.value("year"), year < plan.baselineYear {
            sink.error(r.location(of: yNode), "\(r.context)target year \(year) is before the plan's baseline year \(plan.baselineYear)")
        }
        var scope = Target.Scope.byYear
        if let s = r.string("scope") {
            if let v = Target.Scope(rawValue: s) {
                scope = v
            } else {
                sink.error(r.location(of: r.value("scope")!), "\(r.context)'scope' must be by_year or every_year, found '\(s)'"
                    + Suggestion.hint(for: s, among: Target.Scope.allCases.map(\.rawValue)))
            }
        }
        let tolerance = r.double("tolerance")
        if comparison == .approximately {
            if tolerance == nil && !r.has("tolerance") {
                sink.error(r.location, "\(r.context)an '≈' target needs a 'tolerance' (the ± band, e.g. 2 for 45%左右)")
            } else if let tolerance, tolerance <= 0 {
                sink.error(r.location(of: r.value("tolerance")!), "\(r.context)'tolerance' must be positive")
            }
        } else if comparison != nil, r.has("tolerance") {
            sink.error(r.keyLocation("tolerance")!, "\(r.context)'tolerance' only applies to an '≈' target")
        }
        guard let comparison else { return nil }
        let v: Target.Value
        if let value { v = .absolute(value) } else if let change { v = .relative(change: change, baseYear: baseYear) } else { return nil }
        return Target(comparison: comparison, value: v, tolerance: tolerance ?? 0, year: year, scope: scope)
    }

    private func loadKind(
        _ name: RuleKind.Name, _ r: MappingReader, indicator: Indicator?, target: Target?, plan: Plan
    ) -> RuleKind? {
        let before = sink.diagnostics.count
        func positive(_ key: String) -> Double? {
            guard let v = r.double(key) else { return nil }
            if v <= 0 { sink.error(r.location(of: r.value(key)!), "\(r.context)'\(key)' must be positive, found \(v)") }
            return v
        }
        func nonNegative(_ key: String) -> Double? {
            guard let v = r.double(key) else { return nil }
            if v < 0 { sink.error(r.location(of: r.value(key)!), "\(r.context)'\(key)' must not be negative, found \(v)") }
            return v
        }
        func window(_ key: String, min: Int) -> Int? {
            guard let w = r.int(key) else { return nil }
            if w < min { sink.error(r.location(of: r.value(key)!), "\(r.context)'\(key)' must be at least \(min), found \(w)") }
            return w
        }
        let kind: RuleKind
        switch name {
        case .breach:
            kind = .breach
        case .forecast:
            var p = ForecastParameters()
            if let m = r.string("method") {
                if let method = ForecastParameters.Method(rawValue: m) {
                    p.method = method
                } else {
                    sink.error(r.location(of: r.value("method")!), "\(r.context)'method' must be linear or cagr, found '\(m)'"
                        + Suggestion.hint(for: m, among: ["linear", "cagr"]))
                }
            }
            p.minPoints = window("min_points", min: p.method == .linear ? 3 : 2) ?? (p.method == .linear ? 3 : 2)
            p.window = window("window", min: p.minPoints)
            if let l = r.double("level") {
                if l > 0 && l < 1 { p.level = l } else { sink.error(r.location(of: r.value("level")!), "\(r.context)'level' must be between 0 and 1 (e.g. 0.8), found \(l)") }
            }
            if let m = r.double("min_probability") {
                if m > 0 && m <= 1 { p.minProbability = m } else { sink.error(r.location(of: r.value("min_probability")!), "\(r.context)'min_probability' must be in (0, 1], found \(m)") }
            }
            if let c = r.value("cutoffs"), let cr = MappingReader(c, file: file, context: r.context + "cutoffs: ", expected: "cut-offs", sink: sink) {
                cr.rejectUnknownKeys(allowed: ["on_track", "acceleration_needed"])
                p.onTrackCutoff = cr.double("on_track") ?? p.onTrackCutoff
                p.accelerationCutoff = cr.double("acceleration_needed") ?? p.accelerationCutoff
                if !(0 < p.accelerationCutoff && p.accelerationCutoff < p.onTrackCutoff) {
                    sink.error(cr.location, "\(cr.context)need 0 < acceleration_needed < on_track")
                }
            }
            kind = .forecast(p)
        case .trajectory:
            kind = .trajectory(tolerance: nonNegative("tolerance") ?? 0.1)
        case .fluctuation:
            let p = FluctuationParameters(absolute: positive("absolute"), relative: positive("relative"),
                robustZ: positive("robust_z"), minChanges: window("min_changes", min: 2) ?? 4)
            if p.absolute == nil && p.relative == nil && p.robustZ == nil && !r.has("absolute") && !r.has("relative")
                && !r.has("robust_z")
            {
                sink.error(r.location, "\(r.context)'fluctuation' needs at least one of 'absolute', 'relative', 'robust_z'")
            }
            kind = .fluctuation(p)
        case .direction:
            var up: Bool?
            if let d = r.string("direction") {
                switch d {
                case "up": up = true
                case "down": up = false
                default:
                    sink.error(r.location(of: r.value("direction")!), "\(r.context)'direction' must be up or down, found '\(d)'")
                }
            } else if let indicator {
                switch indicator.better {
                case .up: up = true
                case .down: up = false
                case .none:
                    sink.error(r.location, "\(r.context)indicator '\(indicator.id)' has no better direction; give 'direction: up' or 'down'")
                }
            }
            let p = DirectionParameters(up: up ?? true, window: window("window", min: 2) ?? 3,
                tolerance: nonNegative("tolerance") ?? 0)
            kind = .direction(p)
        case .gap:
            let dim = r.string("dimension", required: true, what: "a dimension name such as area")
            var pair: (String, String)?
            if let b = r.stringList("between", required: true) {
                if b.count == 2 && b[0] != b[1] {
                    pair = (b[0], b[1])
                } else {
                    sink.error(r.location(of: r.value("between")!), "\(r.context)'between' must name two different values, e.g. [城镇, 农村]")
                }
            }
            let p = GapParameters(dimension: dim ?? "", between: pair ?? ("", ""), max: positive("max"),
                window: window("window", min: 2) ?? 3, narrowing: r.bool("narrowing") ?? true)
            kind = .gap(p)
        case .stale:
            var p = StaleParameters()
            if let due = r.string("due") {
                let parts = due.split(separator: "-")
                if parts.count == 2, let m = Int(parts[0]), let d = Int(parts[1]), (1...12).contains(m),
                    (1...daysIn(month: m)).contains(d)
                {
                    p = StaleParameters(dueMonth: m, dueDay: d)
                } else {
                    sink.error(r.location(of: r.value("due")!), "\(r.context)'due' must be a month and day like \"06-30\", found '\(due)'")
                }
            }
            kind = .stale(p)
        }
        return sink.diagnostics.count == before ? kind : nil
    }

    private func daysIn(month: Int) -> Int {
        switch month {
        case 2: return 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private func isPlanID(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D }
    }

    private func isRuleID(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D
                || $0 == 0x5F || $0 == 0x2E
        }
    }
}
