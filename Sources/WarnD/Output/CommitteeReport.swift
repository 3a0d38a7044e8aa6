import Rules

/// `report.md`: the 动态化预警 report for the committee (妇儿工委), in Chinese.
///
/// Committee staff read it as it is or paste it into their own report, so every data-derived string is escaped:
/// a region name holding `|` or a newline cannot break a table, and HTML in a note cannot render.
struct CommitteeReport {
    struct Resolved: Sendable {
        var at: String
        var rule: String
        var message: String
        var region: String
        var indicatorName: String
    }

    var generatedAt: String
    var asOf: Period?
    var lastFile: String?
    var submissions: Int
    /// In ``Alert/ordered(_:_:)`` order (the daemon passes positions in its regions' lists, not copies).
    var alerts: OrderedAlerts
    var resolved: [Resolved]
    var ruleSet: RuleSet

    func render() -> String {
        var all = ""
        render { all += $0 }
        return all
    }

    /// The report handed to `write` a piece at a time (about a megabyte each): at national scale it is ≈ 75 MB, and
    /// built whole and then copied to bytes it took ≈ 250 MB at the peak of each rewrite.
    func render(write: (String) -> Void) {
        var out = "# 妇女儿童发展规划监测动态化预警报告\n\n"
        func flushIfLarge() {
            if out.utf8.count >= 1 << 20 {
                write(out)
                out = ""
            }
        }
        out += "- 生成时间：\(Self.cell(generatedAt))\n"
        out += "- 数据截至：\(asOf.map(MessageRenderer.chinese) ?? "暂无数据")\n"
        out += "- 已接收数据文件：\(submissions) 个"
        if let lastFile { out += "（最近：\(Self.cell(lastFile))）" }
        out += "\n- 监测规则：\(ruleSet.plans.count) 个规划，\(ruleSet.ruleCount) 条规则\n\n"

        let firing = alerts.indices.filter { alerts[$0].state == .firing }
        out += "## 预警概况\n\n| 级别 | 数量 |\n| --- | --- |\n"
        for s in Severity.allCases { out += "| \(s.chinese) | \(firing.filter { alerts[$0].severity == s }.count) |\n" }
        let pending = alerts.count - firing.count
        if pending > 0 { out += "| 待定（尚未持续足够期数） | \(pending) |\n" }
        out += "\n"

        if firing.isEmpty { out += "当前没有预警。\n\n" }
        // Grouped once: filtering all alerts per plan is quadratic with one plan per county.
        let byPlan = Dictionary(grouping: firing) { alerts[$0].plan.id }
        for plan in ruleSet.plans {
            guard let planAlerts = byPlan[plan.id], !planAlerts.isEmpty else { continue }
            out += "## \(Self.cell(plan.title))\n\n"
            let byDomain = Dictionary(grouping: planAlerts) { domain(of: alerts[$0]) }
            for d in byDomain.keys.sorted() {
                out += "### \(Self.cell(d))\n\n"
                out += "| 指标 | 地区 | 最新值 | 目标 | 预测/区间 | 达标概率 | 状态 | 责任单位 |\n"
                out += "| --- | --- | --- | --- | --- | --- | --- | --- |\n"
                for i in byDomain[d]!.sorted(by: { Alert.ordered(alerts[$0], alerts[$1]) }) {
                    out += Self.row(alerts[i], ruleSet: ruleSet)
                    flushIfLarge()
                }
                out += "\n"
            }
        }
        out += "## 自上次报告以来已解除的预警\n\n"
        if resolved.isEmpty {
            out += "无。\n"
        } else {
            out += "| 解除时间 | 指标 | 地区 | 规则 | 最后的预警内容 |\n| --- | --- | --- | --- | --- |\n"
            for r in resolved {
                out += "| \(Self.cell(r.at)) | \(Self.cell(r.indicatorName)) | \(Self.cell(r.region)) | \(Self.cell(r.rule)) | \(Self.cell(r.message)) |\n"
                flushIfLarge()
            }
        }
        out += "\n---\n本报告由 warnd 根据监测数据自动生成；各项预警的依据见 active.json 中的 source 字段。\n"
        write(out)
    }

    private func domain(of a: Alert) -> String {
        a.rule.labels["domain"] ?? a.rule.source?.domain ?? a.indicator.domain ?? "其他"
    }

    /// One firing alert's table row.
    static func row(_ a: Alert, ruleSet: RuleSet) -> String {
        let r = MessageRenderer(indicator: a.indicator, plan: ruleSet.plan(a.plan.id) ?? Plan(id: a.plan.id, title: a.plan.title, regions: [], baselineYear: a.plan.baselineYear, targetYear: a.plan.targetYear))
        let values = r.placeholders(a.outcome)
        let name = a.indicator.name + (a.key.dimensions.isEmpty ? "" : "（" + a.key.dimensions.map(\.value).joined(separator: "，") + "）")
        var latest = [values["value"], values["period"].map { "（\($0)）" }].compactMap { $0 }.joined()
        if case .stale = a.rule.kind, let p = values["period"] { latest = "\(p)未报送" }
        let target = [values["target"], a.rule.target.map { $0.scope == .everyYear ? "（每年）" : "（\($0.year)年）" }]
            .compactMap { $0 }.joined()
        var forecast = "—"
        var probability = "—"
        var status = a.rule.kind.name.chinese
        if let f = a.outcome.forecast {
            forecast = values["forecast"] ?? "—"
            if let lo = values["lower"], let hi = values["upper"] { forecast += "（\(lo)～\(hi)）" }
            probability = values["p_meet"] ?? "—"
            status = f.status.chinese
        }
        let cells = [name, a.key.region, latest.isEmpty ? "—" : latest, target.isEmpty ? "—" : target, forecast,
            probability, status, a.rule.department ?? "—"]
        return "| " + cells.map(Self.cell).joined(separator: " | ") + " |\n"
    }

    /// A table cell: no line breaks, `|` escaped, HTML neutralised, control characters dropped.
    static func cell(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "|": out += "\\|"
            case "\n", "\r", "\t": out += " "
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\\": out += "\\\\"
            case "`": out += "\\`"
            default:
                if ch.value < 0x20 || ch.value == 0x7F || (0x80..<0xA0).contains(ch.value) { continue }
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
