import Foundation
import Testing

@testable import WarnD

/// warnd against a real systemd-journald (a private one per test, `scripts/harness/journald-harness.sh`), read back
/// with `journalctl -o json` as an operator would.
@Suite(.serialized) struct JournaldTests {
    /// The daemon tests' rules: a binding keep-within target (breach) and a forecast.
    static let rules = DaemonFixture.rules

    /// Runs the daemon under a private journald through a scenario, and returns the entries it logged.
    static func scenario() throws -> (entries: [[String: Any]], x: String, work: URL) {
        let work = try Harness.workDirectory()
        let rulesDir = work.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rulesDir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: WarnDBinary.fixtures.appendingPathComponent("catalog.yaml"),
            to: rulesDir.appendingPathComponent("indicators.yaml"))
        try rules.write(to: rulesDir.appendingPathComponent("plan.yaml"), atomically: true, encoding: .utf8)
        try "state_directory: \(work.path)/state\nrules: \(rulesDir.path)\nlog: journal\nsettle: 100ms\npoll_interval: 1s\n"
            .write(to: work.appendingPathComponent("warnd.yaml"), atomically: true, encoding: .utf8)
        let csv = """
            indicator,region,period,value,area
            hiv_mother_to_child_transmission_rate,测试县,2023,1.5,
            hiv_mother_to_child_transmission_rate,测试县,2024,2.6,
            hiv_mother_to_child_transmission_rate,测试县,2024,3.1,农村
            maternal_mortality_ratio,测试县,2020,20,
            maternal_mortality_ratio,测试县,2021,19.6,
            maternal_mortality_ratio,测试县,2022,19.0,
            maternal_mortality_ratio,测试县,2023,18.8,
            maternal_mortality_ratio,测试县,2024,18.2,

            """
        try csv.write(to: work.appendingPathComponent("fire.csv"), atomically: true, encoding: .utf8)
        try "indicator,region,period,value\nhiv_mother_to_child_transmission_rate,测试县,2024,abc\n"
            .write(to: work.appendingPathComponent("bad.csv"), atomically: true, encoding: .utf8)
        // The scenario: start, ingest a file that fires, a bad file, a refused reload, a good reload, stop.
        let script = Harness.daemonScenarioPrologue + """
            "$B" ingest --state-dir "$W/state" "$W/fire.csv"
            wait_for '[ -n "$(ls "$W/state/archive" 2>/dev/null)" ]'
            "$B" ingest --state-dir "$W/state" "$W/bad.csv"
            wait_for '[ -f "$W/state/rejected/bad.csv.error" ]'
            sed -i 's/kind: breach/kind: breech/' "$W/rules/plan.yaml"
            "$B" reload --pid $pid --config "$W/warnd.yaml" && echo "UNEXPECTED: reload succeeded"
            sed -i 's/kind: breech/kind: breach/' "$W/rules/plan.yaml"
            "$B" reload --pid $pid --config "$W/warnd.yaml" || echo "UNEXPECTED: reload failed"
            kill -TERM $pid; wait $pid; echo "warnd exited $?"
            """
        try script.write(to: work.appendingPathComponent("scenario.sh"), atomically: true, encoding: .utf8)
        let dump = work.appendingPathComponent("journal.jsonl")
        let out = try Harness.run("journald-harness.sh", [
            "-o", dump.path, "-t", "warnd", "--catalog", "deploy/systemd/warnd.catalog", "--timeout", "120", "--",
            "sh", work.appendingPathComponent("scenario.sh").path, work.path, WarnDBinary.path,
        ])
        #expect(!out.stdout.contains("UNEXPECTED"), "\(out.stdout)")
        #expect(!out.stdout.contains("timeout:"), "\(out.stdout)")
        #expect(out.stdout.contains("warnd exited 0"), "\(out.stdout)\(out.stderr)")
        let x = (try? String(contentsOf: URL(fileURLWithPath: dump.path + ".x.txt"), encoding: .utf8)) ?? ""
        return (Harness.entries(dump), x, work)
    }

    @Test func alertTransitionsAreStructuredJournalEntries() throws {
        let (entries, x, work) = try Self.scenario()
        defer { if ProcessInfo.processInfo.environment["WARND_KEEP"] == nil { try? FileManager.default.removeItem(at: work) } }
        let firing = entries.filter { $0.field("MESSAGE_ID") == MessageID.alertFiring }
        let hiv = try #require(firing.first { $0.field("WARND_RULE") == "t-hiv" && $0.field("WARND_DIM_AREA") == nil })
        #expect(hiv.field("MESSAGE") == "艾滋病母婴传播率（测试县）2024年为2.6%，未达到≤2%的目标")
        #expect(hiv.field("PRIORITY") == "2", "critical → 2")
        #expect(hiv.field("SYSLOG_IDENTIFIER") == "warnd")
        #expect(hiv.field("WARND_KIND") == "breach")
        #expect(hiv.field("WARND_SEVERITY") == "critical")
        #expect(hiv.field("WARND_STATE") == "firing")
        #expect(hiv.field("WARND_PLAN") == "t-women")
        #expect(hiv.field("WARND_INDICATOR") == "hiv_mother_to_child_transmission_rate")
        #expect(hiv.field("WARND_REGION") == "测试县")
        #expect(hiv.field("WARND_PERIOD") == "2024")
        #expect(hiv.field("WARND_VALUE") == "2.6")
        #expect(hiv.field("WARND_TARGET") == "<=2 every year")
        #expect(hiv.field("WARND_DEPARTMENT") == "县卫生健康局")
        #expect(hiv.field("WARND_ALERT_ID")?.count == 16)
        // Each entry names its event's line in events.jsonl; the file's order is the journal's.
        let seqs = entries.compactMap { $0.field("WARND_EVENT_SEQ").flatMap { Int($0) } }
        #expect(seqs == Array(1...firing.count), "\(seqs)")
        // The rural breakdown is its own alert, its dimension a field of its own.
        #expect(firing.contains { $0.field("WARND_RULE") == "t-hiv" && $0.field("WARND_DIM_AREA") == "农村" })
        let forecast = try #require(firing.first { $0.field("WARND_RULE") == "t-mmr/forecast" })
        #expect(forecast.field("PRIORITY") == "4", "warning → 4")
        #expect(forecast.field("WARND_FORECAST") == "15.6")
        #expect(forecast.field("WARND_P_MEET") == "0.0005")
        #expect(forecast.field("MESSAGE")?.hasPrefix("孕产妇死亡率（测试县）预计2030年为15.6/10万，未达到≤12/10万的目标") == true)
        // journalctl -x shows the catalog's explanation of the message id, with the alert's own id filled in.
        #expect(x.contains("艾滋病母婴传播率（测试县）2024年为2.6%，未达到≤2%的目标\n░░ Subject: An early-warning alert (预警) started firing"))
        #expect(x.contains("journalctl -u warnd WARND_ALERT_ID=\(hiv.field("WARND_ALERT_ID")!)"))
    }

    @Test func fileOutcomesReloadsAndLifecycleAreLogged() throws {
        let (entries, _, work) = try Self.scenario()
        defer { try? FileManager.default.removeItem(at: work) }
        func with(_ id: String) -> [[String: Any]] { entries.filter { $0.field("MESSAGE_ID") == id } }
        let accepted = try #require(with(MessageID.fileAccepted).first)
        #expect(accepted.field("WARND_FILE") == "fire.csv" && accepted.field("WARND_ROWS") == "8")
        let rejected = try #require(with(MessageID.fileRejected).first)
        #expect(rejected.field("WARND_FILE") == "bad.csv")
        #expect(rejected.field("WARND_REASON") == "bad.csv:2:48: error: expected a decimal number, found 'abc'")
        #expect(rejected.field("PRIORITY") == "4")
        let failed = try #require(with(MessageID.reloadFailed).first)
        #expect(failed.field("WARND_RULES_LINE") == "14" && failed.field("WARND_RULES_COLUMN") == "11")
        #expect(failed.field("PRIORITY") == "3")
        #expect(failed.field("MESSAGE")?.contains("unknown kind 'breech' (did you mean 'breach'?)") == true)
        #expect(with(MessageID.rulesLoaded).count == 2, "at start and after the good reload")
        #expect(with(MessageID.started).count == 1)
        #expect(with(MessageID.evaluationFinished).count >= 3)
        // Reloads with unchanged rules announce nothing again.
        #expect(with(MessageID.alertFiring).count == 3)
    }
}
