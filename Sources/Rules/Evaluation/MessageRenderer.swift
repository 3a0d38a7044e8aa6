import Foundation

/// Writes the committee-facing Chinese sentence for an outcome, from the rule's template or the kind's default.
///
/// The defaults read like the sentences of a 监测报告: 孕产妇死亡率（渠县）预计2030年为13.2/10万，未达到≤12/10万的目标，
/// 达标概率31%.
public struct MessageRenderer: Sendable {
    public let indicator: Indicator
    /// The plan's title, its only part a message uses (`{plan}`): an alert renders its message from what it holds.
    public let planTitle: String

    /// The default parts of one `gap` rule's two sentences (not narrowing, too wide), made once for a renderer
    /// that renders many of that rule's alerts (``init(indicator:plan:rule:)``) rather than once per alert.
    private let gapSentences: (rule: Rule, notNarrowing: [MessageTemplate.CompiledPart],
        tooWide: [MessageTemplate.CompiledPart])?
    /// The `{target}` text of that rule when its target is absolute, the same for all its alerts.
    private let absoluteTarget: (rule: Rule, value: Double, text: String)?
    /// ``unitSuffix(_:)`` of the indicator's unit, written after every quantity.
    private let unitText: String

    public init(indicator: Indicator, plan: Plan) {
        self.init(indicator: indicator, planTitle: plan.title, rule: nil)
    }

    /// A renderer for the alerts of mostly one rule (the evaluator's unit of work): what depends only on the rule
    /// is made here, once. Rendering an alert of another rule gives the same text, only without that shortcut.
    init(indicator: Indicator, plan: Plan, rule: Rule) {
        self.init(indicator: indicator, planTitle: plan.title, rule: rule)
    }

    /// The same, from the title alone (what an ``Alert`` holds of its plan).
    init(indicator: Indicator, planTitle: String, rule: Rule?) {
        self.indicator = indicator
        self.planTitle = planTitle
        self.unitText = Self.unitSuffix(indicator.unit)
        if let rule, let t = rule.target, case .absolute(let v) = t.value {
            absoluteTarget = (rule, v, Self.targetText(t, v, unitText: unitText))
        } else {
            absoluteTarget = nil
        }
        if let rule, rule.message == nil, case .gap(let p) = rule.kind {
            gapSentences = (
                rule, Self.compiledGapParts(p, notNarrowing: true), Self.compiledGapParts(p, notNarrowing: false))
        } else {
            gapSentences = nil
        }
    }

    public func render(_ o: Outcome) -> String {
        let parts: [MessageTemplate.CompiledPart]
        if let template = o.rule.message {
            parts = template.compiled
        } else if case .gap(let p) = o.rule.kind {
            let notNarrowing = o.measures.slope.map { $0 >= 0 } == true
            if let g = gapSentences, g.rule == o.rule {
                parts = notNarrowing ? g.notNarrowing : g.tooWide
            } else {
                parts = Self.compiledGapParts(p, notNarrowing: notNarrowing)
            }
        } else {
            parts = MessageRenderer.defaultTemplate(for: o).compiled
        }
        // The loop of MessageTemplate.render(_:) without its closure, which copied the renderer (a plan and an
        // indicator) per message, over placeholders resolved when the template was made. Not reserved up front:
        // a fixed room per message costs memory on half a million of them (a national evaluation peaks near
        // 1 GiB) for little time.
        var out = ""
        for part in parts {
            switch part {
            case .text(let t): out += t
            case .placeholder(let n): out += value(of: n, o) ?? "—"
            }
        }
        return out
    }

    /// The value of every placeholder this outcome can fill.
    public func placeholders(_ o: Outcome) -> [String: String] {
        var v: [String: String] = [:]
        for name in MessageTemplate.placeholders {
            if let x = value(of: name, o) { v[name] = x }
        }
        return v
    }

    /// The value of one placeholder, `nil` when this outcome has none.
    func value(of name: String, _ o: Outcome) -> String? {
        MessageTemplate.Placeholder(name: name).flatMap { value(of: $0, o) }
    }

    /// The same, for a placeholder already resolved.
    func value(of name: MessageTemplate.Placeholder, _ o: Outcome) -> String? {
        switch name {
        case .indicatorName: return indicator.name
        case .indicator: return indicator.id
        case .region: return o.key.region
        case .dimensions:
            var s = ""
            for d in o.key.dimensions { s += "，" + d.value }
            return s
        case .unit: return unitText
        case .plan: return planTitle
        case .rule: return o.rule.id
        case .department: return o.rule.department
        case .period: return o.period.map(Self.chinese)
        case .value: return o.value.map(quantity)
        case .targetYear: return o.rule.target.map { String($0.year) }
        case .target:
            guard let target = o.rule.target, let tv = o.targetValue else { return nil }
            if let a = absoluteTarget, a.value == tv, a.rule == o.rule { return a.text }
            return Self.targetText(target, tv, unitText: unitText)
        case .forecast: return o.forecast?.value.map(quantity)
        case .lower: return o.forecast?.lower.map(quantity)
        case .upper: return o.forecast?.upper.map(quantity)
        case .level: return o.forecast?.level.map(Self.percent)
        case .pMeet: return o.forecast?.pMeet.map(Self.probability)
        case .progressRatio: return o.forecast?.progressRatio.map(Self.number)
        case .status: return o.forecast?.status.chinese
        case .reachYear: return o.forecast?.reachYear.map { String($0) }
        case .change: return o.measures.change.map { c in (c > 0 ? "+" : "") + difference(c) }
        case .gap: return o.measures.gap.map(difference)
        case .slope: return o.measures.slope.map { s in (s > 0 ? "+" : "") + difference(s) }
        case .due: return o.measures.due?.chinese
        case .window: return o.measures.window.map { String($0) }
        case .expected: return o.measures.expected.map(quantity)
        }
    }

    /// The built-in sentences, parsed once: parsing one per alert was a visible share of a national evaluation.
    private enum Defaults {
        static let subject: [MessageTemplate.Part] = [
            .placeholder("indicator_name"), .text("（"), .placeholder("region"), .placeholder("dimensions"), .text("）"),
        ]
        static func make(_ rest: String) -> MessageTemplate {
            // The defaults use only known placeholders.
            try! MessageTemplate("{indicator_name}（{region}{dimensions}）" + rest)
        }
        static let breach = make("{period}为{value}，未达到{target}的目标")
        static let forecastMissed = make("{target_year}年为{value}，未实现{target}的目标")
        static let forecastReach = make("预计{target_year}年为{forecast}，未达到{target}的目标，达标概率{p_meet}，按当前趋势预计{reach_year}年达标")
        static let forecastNoReach = make("预计{target_year}年为{forecast}，未达到{target}的目标，达标概率{p_meet}，按当前趋势难以达标")
        static let trajectory = make("{period}为{value}，落后于{target_year}年达到{target}的进度（按进度应为{expected}）")
        static let fluctuation = make("{period}为{value}，较上期年均变化{change}，波动较大")
        static let directionUp = make("近{window}期年均变化{slope}，与逐步提高的目标方向相反")
        static let directionDown = make("近{window}期年均变化{slope}，与逐步下降的目标方向相反")
        static let stale = make("{period}数据应于{due}前报送，至今未报送")
    }

    static func defaultTemplate(for o: Outcome) -> MessageTemplate {
        switch o.rule.kind {
        case .breach:
            return Defaults.breach
        case .forecast:
            if let f = o.forecast, f.status == .missed { return Defaults.forecastMissed }
            return o.forecast?.reachYear != nil ? Defaults.forecastReach : Defaults.forecastNoReach
        case .trajectory:
            return Defaults.trajectory
        case .fluctuation:
            return Defaults.fluctuation
        case .direction(let p):
            return p.up ? Defaults.directionUp : Defaults.directionDown
        case .gap(let p):
            return MessageTemplate(parts: gapParts(p, notNarrowing: o.measures.slope.map { $0 >= 0 } == true))
        case .stale:
            return Defaults.stale
        }
    }

    /// The default sentence of a `gap` rule: the sides' names are the rule's own text, not placeholders, so it is
    /// built from parts, never parsed (and ``render(_:)`` uses these parts without making a template of them).
    static func gapParts(_ p: GapParameters, notNarrowing: Bool) -> [MessageTemplate.Part] {
        Defaults.subject + [
            .text("\(p.between.0)与\(p.between.1)差距"), .placeholder("period"), .text("为"), .placeholder("gap"),
            .text("，" + (notNarrowing ? "未见缩小" : "超出允许范围")),
        ]
    }

    static func compiledGapParts(_ p: GapParameters, notNarrowing: Bool) -> [MessageTemplate.CompiledPart] {
        MessageTemplate.compile(gapParts(p, notNarrowing: notNarrowing))
    }

    /// A number with its unit as Chinese text writes it: 13.2/10万, 95%, 82.3岁.
    func quantity(_ x: Double) -> String { Self.number(x) + unitText }

    private static func targetText(_ t: Target, _ tv: Double, unitText: String) -> String {
        switch t.comparison {
        case .approximately:
            return number(tv) + unitText + "左右（±" + number(t.tolerance) + "）"
        default:
            var s = t.comparison.symbol + number(tv) + unitText
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
        // Most values are far from a rounding boundary: integer arithmetic gives `%.2f`'s digits without
        // Foundation's formatter, which was a third of a national evaluation (every alert's message has numbers).
        if let hundredths = roundedUnambiguously(x * 100) {
            let n = hundredths.magnitude
            if n == 0 { return "0" }
            var s = x < 0 ? "-" : ""
            s += String(n / 100)
            let f = n % 100
            if f != 0 { s += f % 10 == 0 ? "." + String(f / 10) : (f < 10 ? ".0" : ".") + String(f) }
            return s
        }
        var s = String(format: "%.2f", x)
        while s.contains(".") && (s.hasSuffix("0") || s.hasSuffix(".")) { s.removeLast() }
        return s == "-0" ? "0" : s
    }

    /// A probability as a whole percentage: 0.31 → 31%.
    public static func percent(_ p: Double) -> String {
        if p >= 0, let n = roundedUnambiguously(p * 100) { return String(n) + "%" }
        return String(format: "%.0f%%", p * 100)
    }

    /// `y` rounded to the nearest integer, when that is certainly what `printf` gives for the exact product `y`
    /// was computed from: `nil` near a .5 boundary, where the product's own rounding error (≤ 1 ulp) or `printf`'s
    /// ties-to-even could decide, and for huge values — the callers then ask `String(format:)`.
    static func roundedUnambiguously(_ y: Double) -> Int? {
        guard abs(y) < 1e12 else { return nil }
        let r = y.rounded()
        let tolerance = Swift.max(1e-9, abs(y) * 1e-13)
        guard abs(abs(y - r) - 0.5) > tolerance else { return nil }
        return Int(r)
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
        case .year: return String(p.year) + "年"
        case .quarter: return "\(p.year)年第\(p.sub)季度"
        case .month: return "\(p.year)年\(p.sub)月"
        }
    }
}
