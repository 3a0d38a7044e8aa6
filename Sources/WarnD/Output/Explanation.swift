import Rules

/// `warnd eval --explain RULE`: what a rule saw and computed for each series, firing or not.
///
/// A tuner deciding whether a threshold is right needs the numbers behind the verdict, including for the series
/// where the rule stayed quiet.
struct Explanation {
    let ruleSet: RuleSet

    /// `nil` when no rule has that id (or id prefix before `/`).
    func render(_ result: Evaluator.Result, rule id: String) -> String? {
        let rules = ruleSet.rules.filter { $0.id == id || $0.id.hasPrefix(id + "/") }
        guard !rules.isEmpty else { return nil }
        var out = ""
        for rule in rules {
            out += header(rule)
            let outcomes = result.outcomes.filter { $0.rule.id == rule.id }
            if outcomes.isEmpty { out += "  no series of \(rule.indicator) in the plan's regions\n" }
            for o in outcomes { out += series(o, rule: rule) }
            out += "\n"
        }
        return out
    }

    private func n(_ x: Double?) -> String { x.map(MessageRenderer.number) ?? "—" }

    private func header(_ rule: Rule) -> String {
        var s = "rule \(rule.id) (\(rule.kind.name.rawValue), \(rule.severity.rawValue)) — plan \(rule.plan)\n"
        if let src = rule.source {
            s += "  source: \([src.domain, src.goal.map { "目标\($0)" }].compactMap { $0 }.joined(separator: " ")): \(src.text)\n"
        }
        if let t = rule.target {
            let value: String
            switch t.value {
            case .absolute(let v): value = n(v)
            case .relative(let c, let b): value = "\(n(c * 100))% of the \(b) value"
            }
            s += "  target: \(t.comparison.symbol) \(value)\(t.comparison == .approximately ? " ± \(n(t.tolerance))" : "")"
            s += " by \(t.year) (\(t.scope.rawValue))\n"
        }
        if !rule.selector.isEmpty {
            s += "  where: \(rule.selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))\n"
        }
        if rule.forPeriods > 1 { s += "  for_periods: \(rule.forPeriods)\n" }
        return s
    }

    private func series(_ o: Outcome, rule: Rule) -> String {
        let state = o.state.map { $0.rawValue.uppercased() } ?? "inactive"
        var s = "  series \(o.key): \(state)\n"
        if !o.points.isEmpty {
            s += "    points: " + o.points.map { "\($0.period) \(n($0.value))" }.joined(separator: " · ") + "\n"
        }
        if let tv = o.targetValue { s += "    target value: \(n(tv))\n" }
        if let f = o.forecast {
            if let slope = f.slope {
                s += f.method == .linear
                    ? "    fit: slope \(n(slope)) per year, fitted \(o.period.map { "\($0)" } ?? "latest") \(n(f.intercept.map { $0 + slope * (o.points.last?.t ?? 0) })), s = \(n(f.residualStandardError))\n"
                    : "    growth: \(n(slope * 100))% a year\n"
            }
            s += "    forecast \(f.year): \(n(f.value))"
            if let lo = f.lower, let hi = f.upper, let l = f.level {
                s += "  \(MessageRenderer.percent(l)) interval [\(n(lo)), \(n(hi))]"
            }
            s += "  p_meet \(f.pMeet.map(MessageRenderer.probability) ?? "—")"
            s += "  progress ratio \(n(f.progressRatio))  status \(f.status.rawValue)"
            if let r = f.reachYear { s += "  reach \(r)" }
            if let sf = f.shortfall { s += "  shortfall \(n(sf))" }
            s += "\n"
        }
        let m = o.measures
        var parts: [String] = []
        if let c = m.change { parts.append("change \(n(c))/yr") }
        if let r = m.relativeChange { parts.append("relative \(n(r * 100))%") }
        if let z = m.robustZ { parts.append("robust z \(n(z))") }
        if let sl = m.slope { parts.append("slope \(n(sl))/yr") }
        if let g = m.gap { parts.append("gap \(n(g))") }
        if let e = m.expected { parts.append("expected on the path \(n(e))") }
        if let d = m.due { parts.append("due \(d)") }
        if !parts.isEmpty { s += "    " + parts.joined(separator: ", ") + "\n" }
        if let note = o.note { s += "    note: \(note)\n" }
        if let a = Evaluator(ruleSet: ruleSet).alert(for: o) { s += "    message: \(a.message)\n" }
        return s
    }
}
