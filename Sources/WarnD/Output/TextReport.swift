import Rules

/// The terminal listing of `warnd eval`: alerts grouped by severity, each with its Chinese message.
enum TextReport {
    static func render(_ result: Evaluator.Result, ruleSet: RuleSet, asOf: Period?) -> String {
        var out = "warnd eval: \(ruleSet.plans.count) plans, \(ruleSet.ruleCount) rules, \(result.seriesCount) series"
        out += ", as of \(asOf?.description ?? "—"), on \(result.time.now)\n"
        let firing = result.alerts.filter { $0.state == .firing }
        let pending = result.alerts.filter { $0.state == .pending }
        if firing.isEmpty && pending.isEmpty {
            out += "no alerts\n"
            return out
        }
        for severity in Severity.allCases {
            let group = firing.filter { $0.severity == severity }
            guard !group.isEmpty else { continue }
            out += "\n\(severity.chinese) \(severity.rawValue) (\(group.count))\n"
            for a in group { out += line(a) }
        }
        if !pending.isEmpty {
            out += "\n待定 pending (\(pending.count))\n"
            for a in pending { out += line(a) }
        }
        out += "\n\(firing.count) firing, \(pending.count) pending\n"
        return out
    }

    private static func line(_ a: Alert) -> String {
        var s = "  \(a.message)\n"
        s += "    \(a.rule.id) · \(a.plan.id)"
        if let d = a.rule.department { s += " · \(d)" }
        s += " · \(a.id)\n"
        return s
    }
}
