import Foundation
import Rules

/// The JSON form of alerts (`warnd eval --format json`, `active.json`), as documented in `docs/alerts.md`.
///
/// Numbers are rounded to 6 decimals so that files diff cleanly and do not show binary noise
/// (13.200000000000001); keys are sorted for the same reason.
enum AlertJSON {
    struct Document: Encodable {
        var evaluatedAt: String
        var at: String?
        var counts: Counts
        var alerts: [AlertObject]

        enum CodingKeys: String, CodingKey {
            case evaluatedAt = "evaluated_at", at, counts, alerts
        }
    }

    struct Counts: Encodable {
        var critical = 0
        var warning = 0
        var info = 0
        var pending = 0
    }

    struct TargetObject: Codable {
        var op: String
        var value: Double?
        var year: Int
        var scope: String
        var tolerance: Double?
        var change: Double?
        var baseYear: Int?

        enum CodingKeys: String, CodingKey {
            case op, value, year, scope, tolerance, change, baseYear = "base_year"
        }
    }

    struct ForecastObject: Codable {
        var method: String
        var year: Int
        var value: Double?
        var lower: Double?
        var upper: Double?
        var level: Double?
        var pMeet: Double?
        var progressRatio: Double?
        var status: String
        var reachYear: Int?
        var shortfall: Double?
        var reason: String?

        enum CodingKeys: String, CodingKey {
            case method, year, value, lower, upper, level, pMeet = "p_meet", progressRatio = "progress_ratio", status,
                reachYear = "reach_year", shortfall, reason
        }
    }

    struct MeasuresObject: Encodable {
        var change: Double?
        var relativeChange: Double?
        var robustZ: Double?
        var slope: Double?
        var gap: Double?
        var expected: Double?
        var due: String?
        var window: Int?

        enum CodingKeys: String, CodingKey {
            case change, relativeChange = "relative_change", robustZ = "robust_z", slope, gap, expected, due, window
        }

        var isEmpty: Bool {
            change == nil && relativeChange == nil && robustZ == nil && slope == nil && gap == nil && expected == nil
                && due == nil
        }
    }

    struct SourceObject: Encodable {
        var domain: String?
        var goal: String?
        var text: String
    }

    struct AlertObject: Encodable {
        var id: String
        var rule: String
        var kind: String
        var severity: String
        var state: String
        var plan: String
        var planTitle: String
        var indicator: String
        var indicatorName: String
        var unit: String
        var region: String
        var dimensions: [String: String]
        var period: String?
        var value: Double?
        var target: TargetObject?
        var forecast: ForecastObject?
        var measures: MeasuresObject?
        var message: String
        var department: String?
        var labels: [String: String]
        var source: SourceObject?

        enum CodingKeys: String, CodingKey {
            case id, rule, kind, severity, state, plan, planTitle = "plan_title", indicator,
                indicatorName = "indicator_name", unit, region, dimensions, period, value, target, forecast, measures,
                message, department, labels, source
        }
    }

    static func round(_ x: Double?) -> Double? {
        guard let x, x.isFinite else { return nil }
        return (x * 1e6).rounded() / 1e6
    }

    static func object(_ a: Alert) -> AlertObject {
        let o = a.outcome
        var target: TargetObject?
        if let t = a.rule.target {
            var obj = TargetObject(op: t.comparison.rawValue, value: round(o.targetValue), year: t.year,
                scope: t.scope.rawValue)
            if t.comparison == .approximately { obj.tolerance = round(t.tolerance) }
            if case .relative(let change, let base) = t.value {
                obj.change = round(change)
                obj.baseYear = base
            }
            target = obj
        }
        let forecast = o.forecast.map { f in
            ForecastObject(method: f.method.rawValue, year: f.year, value: round(f.value), lower: round(f.lower),
                upper: round(f.upper), level: round(f.level), pMeet: round(f.pMeet),
                progressRatio: round(f.progressRatio), status: f.status.rawValue, reachYear: f.reachYear,
                shortfall: round(f.shortfall), reason: f.reason)
        }
        let m = o.measures
        let measures = MeasuresObject(change: round(m.change), relativeChange: round(m.relativeChange),
            robustZ: round(m.robustZ), slope: round(m.slope), gap: round(m.gap), expected: round(m.expected),
            due: m.due?.description, window: m.window)
        return AlertObject(
            id: a.id, rule: a.rule.id, kind: a.rule.kind.name.rawValue, severity: a.severity.rawValue,
            state: a.state.rawValue, plan: a.plan.id, planTitle: a.plan.title, indicator: a.indicator.id,
            indicatorName: a.indicator.name, unit: a.indicator.unit, region: a.key.region,
            dimensions: a.key.dimensionMap, period: o.period?.description, value: round(o.value), target: target,
            forecast: forecast, measures: measures.isEmpty ? nil : measures, message: a.message,
            department: a.rule.department, labels: a.rule.labels,
            source: a.rule.source.map { SourceObject(domain: $0.domain, goal: $0.goal, text: $0.text) })
    }

    static func document(_ alerts: [Alert], evaluatedAt: String, at: Period?) -> Document {
        Document(evaluatedAt: evaluatedAt, at: at?.description, counts: counts(alerts), alerts: alerts.map(object))
    }

    /// Firing alerts by severity, and the pending ones.
    static func counts(_ alerts: [Alert]) -> Counts {
        var counts = Counts()
        for a in alerts {
            if a.state == .pending {
                counts.pending += 1
                continue
            }
            switch a.severity {
            case .critical: counts.critical += 1
            case .warning: counts.warning += 1
            case .info: counts.info += 1
            }
        }
        return counts
    }

    static func encode(_ value: some Encodable, pretty: Bool = true) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return try! encoder.encode(value)
    }
}
