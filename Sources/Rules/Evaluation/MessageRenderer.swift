import Foundation

/// Writes the committee-facing Chinese sentence for an outcome, from the rule's template or the kind's default.
///
/// The defaults read like the sentences of a 监测报告: 孕产妇死亡率（渠县）预计2030年为13.2/10万，未达到≤12/10万的目标，
/// 达标概率31%.
public struct MessageRenderer: Sendable {
    public let indicator: Indicator
    public let plan: Plan

    public init(indicator: Indicator, plan: Plan) {
        self.indicator = indicator
        self.plan = plan
    }

    public func render(_ o: Outcome) -> String {
        let values = placeholders(o)
        if let template = o.rule.message { return template.render(values) }
        return MessageRenderer.defaultTemplate(for: o).render(values)
    }

    /// The value of every placeholder this outcome can fill.
    public func placeholders(_ o: Outcome) -> [String: String] {
        var v: [String: String] = [
            "indicator_name": indicator.name,
            "indicator": indicator.id,
            "region": o.key.region,
            "dimensions": o.key.dimensions.isEmpty ? "" : "，" + o.key.dimensions.map(\.value).joined(separator: "，"),
            "unit": Self.unitSuffix(indicator.unit),
            "plan": plan.title,
            "rule": o.rule.id,
        ]
        if let d = o.rule.department { v["department"] = d }
        if let p = o.period { v["period"] = Self.chinese(p) }
        if let x = o.value { v["value"] = quantity(x) }
        if let target = o.rule.target {
            v["target_year"] = String(target.year)
            if let tv = o.targetValue { v["target"] = targetText(target, tv) }
        }
        if let f = o.forecast {
            if let x = f.value { v["forecast"] = quantity(x) }
            if let x = f.lower { v["lower"] = quantity(x) }
            if let x = f.upper { v["upper"] = quantity(x) }
            if let l = f.level { v["level"] = Self.percent(l) }
            if let p = f.pMeet { v["p_meet"] = Self.probability(p) }
            if let q = f.progressRatio { v["progress_ratio"] = Self.number(q) }
            v["status"] = f.status.chinese
            if let y = f.reachYear { v["reach_year"] = String(y) }
        }
        let m = o.measures
        if let c = m.change { v["change"] = (c > 0 ? "+" : "") + difference(c) }
        if let g = m.gap { v["gap"] = difference(g) }
        if let s = m.slope { v["slope"] = (s > 0 ? "+" : "") + difference(s) }
        if let d = m.due { v["due"] = d.chinese }
        if let w = m.window { v["window"] = String(w) }
        if let e = m.expected { v["expected"] = quantity(e) }
        return v
    }

    static func defaultTemplate(for o: Outcome) -> MessageTemplate {
        let subject = "{indicator_name}（{region}{dimensions}）"
        let text: String
        switch o.rule.kind {
        case .breach:
            text = subject + "{period}为{value}，未达到{target}的目标"
        case .forecast:
            if let f = o.forecast, f.status == .missed {
                text = subject + "{target_year}年为{value}，未实现{target}的目标"
            } else if o.forecast?.reachYear != nil {
                text = subject + "预计{target_year}年为{forecast}，未达到{target}的目标，达标概率{p_meet}，按当前趋势预计{reach_year}年达标"
            } else {
                text = subject + "预计{target_year}年为{forecast}，未达到{target}的目标，达标概率{p_meet}，按当前趋势难以达标"
            }
        case .trajectory:
            text = subject + "{period}为{value}，落后于{target_year}年达到{target}的进度（按进度应为{expected}）"
        case .fluctuation:
            text = subject + "{period}为{value}，较上期年均变化{change}，波动较大"
        case .direction(let p):
            let want = p.up ? "提高" : "下降"
            text = subject + "近{window}期年均变化{slope}，与逐步\(want)的目标方向相反"
        case .gap(let p):
            let phrase = o.measures.slope.map { $0 >= 0 } == true ? "未见缩小" : "超出允许范围"
            text = subject + "\(p.between.0)与\(p.between.1)差距{period}为{gap}，\(phrase)"
        case .stale:
            text = subject + "{period}数据应于{due}前报送，至今未报送"
        }
        // The defaults use only known placeholders.
        return try! MessageTemplate(text)
    }

    /// A number with its unit as Chinese text writes it: 13.2/10万, 95%, 82.3岁.
    func quantity(_ x: Double) -> String { Self.number(x) + Self.unitSuffix(indicator.unit) }

    private func targetText(_ t: Target, _ tv: Double) -> String {
        switch t.comparison {
        case .approximately:
            return quantity(tv) + "左右（±" + Self.number(t.tolerance) + "）"
        default:
            var s = t.comparison.symbol + quantity(tv)
            if case .relative(let change, let base) = t.value {
                s += "（较\(base)年" + (change < 0 ? "下降" : "提高") + Self.percent(abs(change)) + "）"
            }
            return s
        }
    }

    /// A difference of two values: for a percentage it is in percentage points (个百分点), not percent.
    func difference(_ x: Double) -> String {
        indicator.unit == "%" ? Self.number(x) + "个百分点" : quantity(x)
    }

    /// `1/10万` is written after a number as `/10万`; other units follow the number as they are.
    public static func unitSuffix(_ unit: String) -> String {
        unit.hasPrefix("1/") ? String(unit.dropFirst()) : unit
    }

    /// Up to two decimals, trailing zeros dropped: 13.2, 95, 0.05.
    public static func number(_ x: Double) -> String {
        if x.isNaN { return "—" }
        if x.isInfinite { return x > 0 ? "∞" : "-∞" }
        var s = String(format: "%.2f", x)
        while s.contains(".") && (s.hasSuffix("0") || s.hasSuffix(".")) { s.removeLast() }
        return s == "-0" ? "0" : s
    }

    /// A probability as a whole percentage: 0.31 → 31%.
    public static func percent(_ p: Double) -> String {
        String(format: "%.0f%%", p * 100)
    }

    /// A probability for a reader: whole percentages, but never "0%" or "100%" for what is merely unlikely or
    /// likely — the model cannot be that sure.
    public static func probability(_ p: Double) -> String {
        if p > 0 && p < 0.005 { return "<1%" }
        if p < 1 && p > 0.995 { return ">99%" }
        return percent(p)
    }

    public static func chinese(_ p: Period) -> String {
        switch p.granularity {
        case .year: return "\(p.year)年"
        case .quarter: return "\(p.year)年第\(p.sub)季度"
        case .month: return "\(p.year)年\(p.sub)月"
        }
    }
}
