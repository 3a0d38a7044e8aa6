import Foundation
import Rules

/// `FROM..TO` of `--backtest`.
struct BacktestRange {
    var from: Period
    var to: Period

    init?(_ text: String) {
        let parts = text.components(separatedBy: "..")
        guard parts.count == 2, let f = Period(parts[0]), let t = Period(parts[1]), f <= t else { return nil }
        from = f
        to = t
    }
}

extension Backtest {
    func run(_ data: Dataset, range: BacktestRange) -> Report { run(data, from: range.from, to: range.to) }
}

extension Backtest.Report {
    func text() -> String {
        var out = "backtest \(steps.first?.description ?? "—")..\(steps.last?.description ?? "—"): "
        out += "\(steps.count) periods, \(rules.count) rules, \(transitions.count) transitions\n\n"
        for t in transitions {
            let state = t.change.rawValue.uppercased().padding(toLength: 9, withPad: " ", startingAt: 0)
            out += "\(t.period)  \(state) \(t.alert.severity.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) "
            out += "\(t.alert.rule.id)  \(t.alert.key)\n    \(t.alert.message)\n"
        }
        let noisy = rules.filter { $0.fired > 0 }
        out += "\nby rule (fired / resolved / periods firing of \(steps.count)):\n"
        if noisy.isEmpty { out += "  no rule fired\n" }
        for r in noisy.sorted(by: { ($0.fired, $0.rule) > ($1.fired, $1.rule) }) {
            out += "  \(r.rule)  \(r.fired) / \(r.resolved) / \(r.periodsFiring)\n"
        }
        out += "\n\(firingAtEnd) alerts firing after the last period\n"
        return out
    }

    func json() -> String {
        struct TransitionObject: Encodable {
            var period: String
            var change: String
            var alert: AlertJSON.AlertObject
        }
        struct RuleObject: Encodable {
            var rule: String
            var fired: Int
            var resolved: Int
            var periodsFiring: Int
            enum CodingKeys: String, CodingKey { case rule, fired, resolved, periodsFiring = "periods_firing" }
        }
        struct Doc: Encodable {
            var periods: [String]
            var transitions: [TransitionObject]
            var rules: [RuleObject]
            var firingAtEnd: Int
            enum CodingKeys: String, CodingKey { case periods, transitions, rules, firingAtEnd = "firing_at_end" }
        }
        let doc = Doc(periods: steps.map(\.description),
            transitions: transitions.map { TransitionObject(period: $0.period.description, change: $0.change.rawValue, alert: AlertJSON.object($0.alert)) },
            rules: rules.map { RuleObject(rule: $0.rule, fired: $0.fired, resolved: $0.resolved, periodsFiring: $0.periodsFiring) },
            firingAtEnd: firingAtEnd)
        return String(decoding: AlertJSON.encode(doc), as: UTF8.self) + "\n"
    }
}
