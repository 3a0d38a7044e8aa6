import Foundation
import Logging
import Rules

/// The journal entry of one alert transition: Chinese `MESSAGE`, priority by severity (a resolution: notice), and
/// `WARND_*` fields for `journalctl` filters (`docs/operations.md`).
///
/// Made from a transition as it is recorded, or from its stored event: the transitions `warnd import` records, and
/// those of a daemon that stopped before sending them, are sent by the next start from the store. Both must give
/// the same entry, so the numbers are taken as the event's JSON holds them (rounded to 6 decimals, `AlertJSON`).
struct AlertAnnouncement: Sendable, Equatable {
    var level: Logger.Level
    var message: String
    var fields: [String: String]

    /// `seq`: the sequence number of the transition's event.
    init(_ t: AlertTracker.Transition, seq: Int64, ruleSet: RuleSet) {
        let r = t.record
        var p = Payload(id: r.id, rule: r.rule, severity: r.severity.rawValue, plan: r.plan, indicator: r.key.indicator,
            region: r.key.region, dimensions: r.key.dimensionMap, message: r.message ?? "")
        if let a = t.alert {
            let o = a.outcome
            p.kind = a.rule.kind.name.rawValue
            p.period = o.period?.description
            p.value = AlertJSON.round(o.value)
            if let target = a.rule.target {
                p.target = .init(op: target.comparison.rawValue, value: AlertJSON.round(o.targetValue), year: target.year,
                    scope: target.scope.rawValue)
            }
            if let f = o.forecast {
                p.forecast = .init(method: f.method.rawValue, year: f.year, value: AlertJSON.round(f.value),
                    pMeet: AlertJSON.round(f.pMeet), status: f.status.rawValue)
            }
            p.department = a.rule.department
        }
        self.init(p, change: t.change.rawValue, seq: seq, ruleSet: ruleSet)
    }

    /// From a stored event (its payload is the alert's JSON: ``AlertRecording/payload(_:)``).
    init(_ e: Store.Event, ruleSet: RuleSet) throws {
        let p = try JSONDecoder().decode(Payload.self, from: Data(e.payload.utf8))
        self.init(p, change: e.change, seq: e.seq, ruleSet: ruleSet)
    }

    private init(_ p: Payload, change: String, seq: Int64, ruleSet: RuleSet) {
        let firing = change == AlertTracker.Transition.Change.firing.rawValue
        var f: [String: String] = [
            "MESSAGE_ID": "\(firing ? MessageID.alertFiring : MessageID.alertResolved)",
            "alert_id": p.id, "rule": p.rule, "severity": p.severity, "state": change, "plan": p.plan,
            "indicator": p.indicator, "region": p.region, "event_seq": "\(seq)",
        ]
        for (name, value) in p.dimensions ?? [:] { f["dim_\(name)"] = value }
        if let k = p.kind { f["kind"] = k }
        if let period = p.period { f["period"] = period }
        if let v = p.value { f["value"] = MessageRenderer.number(v) }
        if let t = p.target, let v = t.value {
            f["target"] = "\(t.op)\(MessageRenderer.number(v)) \(t.scope == Target.Scope.everyYear.rawValue ? "every year" : "by \(t.year)")"
        }
        if let fc = p.forecast {
            if let v = fc.value { f["forecast"] = MessageRenderer.number(v) }
            if let pm = fc.pMeet { f["p_meet"] = String(format: "%.4f", pm) }
            f["status"] = fc.status
        }
        if let d = p.department { f["department"] = d }
        // A resolution's event holds no rule details: the rule's kind and department as now loaded.
        if let rule = ruleSet.rule(p.rule)?.1 {
            f["kind"] = f["kind"] ?? rule.kind.name.rawValue
            if let d = rule.department { f["department"] = f["department"] ?? d }
        }
        fields = f
        if firing {
            level = p.severity == Severity.critical.rawValue ? .critical : p.severity == Severity.warning.rawValue ? .warning : .info
            message = p.message
        } else {
            level = .notice
            message = "已解除：\(p.message)"
        }
    }

    func send(to logger: Logger) {
        logger.log(level: level, "\(message)", metadata: fields.mapValues { .string($0) })
    }

    /// What an entry is made of, as the event's JSON names it (the rest of the alert object is ignored).
    private struct Payload: Decodable {
        var id: String
        var rule: String
        var severity: String
        var plan: String
        var indicator: String
        var region: String
        var dimensions: [String: String]?
        var message: String
        var kind: String?
        var period: String?
        var value: Double?
        /// Decoded with the types that encode them, so the two cannot drift apart.
        var target: AlertJSON.TargetObject?
        var forecast: AlertJSON.ForecastObject?
        var department: String?

        init(id: String, rule: String, severity: String, plan: String, indicator: String, region: String,
            dimensions: [String: String], message: String)
        {
            (self.id, self.rule, self.severity, self.plan) = (id, rule, severity, plan)
            (self.indicator, self.region, self.dimensions, self.message) = (indicator, region, dimensions, message)
        }
    }
}
