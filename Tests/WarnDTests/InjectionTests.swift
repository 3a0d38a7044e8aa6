import Foundation
import Testing

@testable import WarnD

/// Data-derived strings (dimension values, notes, region names) holding newlines, `=`, control characters, `|` and
/// HTML, through the real daemon under a real journald (`scripts/harness/journald-harness.sh`): one alert stays one
/// journal entry with its field value intact, one table row in `report.md`, one valid JSON object in `active.json`.
@Suite(.serialized) struct InjectionTests {
    /// A dimension value trying to end its journal field and start others, to break a Markdown table and to render.
    static let forging = "农村\nPRIORITY=0\nMESSAGE=forged\nWARND_RULE=x | <b>bold</b><script>alert(1)</script> |"
    static let control = "城镇\u{07}\r\u{1B}[31m=red\u{7F}x"
    static let note = "note\nMESSAGE_ID=00000000000000000000000000000000 | <img src=x onerror=alert(1)>"
    static let region = "测试县\nPRIORITY=0\nMESSAGE=forged region"

    static func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    @Test func hostileStringsCannotForgeJournalFieldsReportRowsOrJSON() throws {
        let work = try Harness.workDirectory()
        defer { if ProcessInfo.processInfo.environment["WARND_KEEP"] == nil { try? FileManager.default.removeItem(at: work) } }
        let rulesDir = work.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rulesDir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: WarnDBinary.fixtures.appendingPathComponent("catalog.yaml"),
            to: rulesDir.appendingPathComponent("indicators.yaml"))
        try JournaldTests.rules.write(to: rulesDir.appendingPathComponent("plan.yaml"), atomically: true, encoding: .utf8)
        try "state_directory: \(work.path)/state\nrules: \(rulesDir.path)\nlog: journal\nsettle: 100ms\npoll_interval: 200ms\n"
            .write(to: work.appendingPathComponent("warnd.yaml"), atomically: true, encoding: .utf8)
        let i = "hiv_mother_to_child_transmission_rate"
        let csv = "indicator,region,period,value,area,note\n"
            + "\(i),测试县,2024,2.6,\(Self.quoted(Self.forging)),\(Self.quoted(Self.note))\n"
            + "\(i),测试县,2024,3.1,\(Self.quoted(Self.control)),\n"
        try csv.write(to: work.appendingPathComponent("hostile.csv"), atomically: true, encoding: .utf8)
        // A dimension *name* (a CSV heading) becomes a journal field name: it must not name another field.
        try "indicator,region,period,value,\(Self.quoted("Zone=1\nPRIORITY=0"))\n\(i),测试县,2024,2.7,a\n"
            .write(to: work.appendingPathComponent("dims.csv"), atomically: true, encoding: .utf8)
        try "indicator,region,period,value\n\(i),\(Self.quoted(Self.region)),2024,2.6\n"
            .write(to: work.appendingPathComponent("region.csv"), atomically: true, encoding: .utf8)
        let script = Harness.daemonScenarioPrologue + """
            "$B" ingest --state-dir "$W/state" "$W/hostile.csv"
            wait_for '[ -n "$(ls "$W/state/archive" 2>/dev/null)" ]'
            "$B" ingest --state-dir "$W/state" "$W/dims.csv"
            wait_for '[ "$(ls "$W/state/archive" 2>/dev/null | wc -l)" -ge 2 ]'
            "$B" ingest --state-dir "$W/state" "$W/region.csv"
            wait_for '[ -f "$W/state/rejected/region.csv.error" ]'
            kill -TERM $pid; wait $pid; echo "warnd exited $?"
            """
        try script.write(to: work.appendingPathComponent("scenario.sh"), atomically: true, encoding: .utf8)
        let dump = work.appendingPathComponent("journal.jsonl")
        let out = try Harness.run("journald-harness.sh", [
            "-o", dump.path, "-t", "warnd", "--timeout", "120", "--",
            "sh", work.appendingPathComponent("scenario.sh").path, work.path, WarnDBinary.path,
        ])
        #expect(!out.stdout.contains("timeout:"), "\(out.stdout)")
        #expect(out.stdout.contains("warnd exited 0"), "\(out.stdout)\(out.stderr)")
        let entries = Harness.entries(dump)

        // Journal: nothing forged, each alert one entry, the values intact in their own fields.
        #expect(!entries.contains { $0.field("PRIORITY") == "0" }, "a forged PRIORITY=0 entry")
        #expect(!entries.contains { ($0.field("MESSAGE") ?? "").hasPrefix("forged") }, "a forged MESSAGE")
        #expect(!entries.contains { $0.field("MESSAGE_ID") == "00000000000000000000000000000000" })
        #expect(!entries.contains { $0.field("WARND_RULE") == "x" })
        let firing = entries.filter { $0.field("MESSAGE_ID") == MessageID.alertFiring && $0.field("WARND_RULE") == "t-hiv" }
        #expect(firing.count == 3, "one entry per alert: \(firing.map { $0.field("WARND_DIM_AREA") ?? "-" })")
        #expect(firing.filter { $0.field("WARND_DIM_AREA") == Self.forging }.count == 1)
        #expect(firing.filter { $0.field("WARND_DIM_AREA") == Self.control }.count == 1)
        let named = firing.filter { $0.field("WARND_DIM_ZONE_1_PRIORITY_0") == "a" }
        #expect(named.count == 1, "the dimension name becomes one sanitised field name")
        #expect(named.first?.field("PRIORITY") == "2")
        let rejected = try #require(entries.first { $0.field("MESSAGE_ID") == MessageID.fileRejected })
        #expect(rejected.field("WARND_FILE") == "region.csv")
        #expect(rejected.field("PRIORITY") == "4")
        #expect(rejected.field("WARND_REASON")?.contains(Self.region) == true, "the region must reach the journal intact")

        // The .error file beside the rejected file: one reason, one line.
        let state = work.appendingPathComponent("state")
        let error = try String(contentsOf: state.appendingPathComponent("rejected/region.csv.error"), encoding: .utf8)
        #expect(error.split(separator: "\n").count == 2, "\(error)")
        #expect(!error.split(separator: "\n").contains { $0.hasPrefix("PRIORITY=") || $0.hasPrefix("MESSAGE=") })

        // active.json: valid JSON, the values round-trip exactly.
        let activeData = try Data(contentsOf: state.appendingPathComponent("alerts/active.json"))
        let active = try #require(try JSONSerialization.jsonObject(with: activeData) as? [String: Any])
        let alerts = try #require(active["alerts"] as? [[String: Any]])
        #expect(alerts.count == 3)
        func strings(_ v: Any) -> [String] {
            if let s = v as? String { return [s] }
            if let a = v as? [Any] { return a.flatMap(strings) }
            if let d = v as? [String: Any] { return d.values.flatMap(strings) }
            return []
        }
        let all = alerts.flatMap(strings)
        #expect(all.contains(Self.forging), "the forging value did not round-trip through active.json")
        #expect(all.contains(Self.control), "the control-character value did not round-trip through active.json")

        // report.md: one table row per alert, each with exactly the table's 8 cells, no live HTML.
        let report = try String(contentsOf: state.appendingPathComponent("alerts/report.md"), encoding: .utf8)
        let rows = report.split(separator: "\n", omittingEmptySubsequences: false).filter { $0.hasPrefix("| 艾滋病母婴传播率") }
        #expect(rows.count == 3, "\(report)")
        for row in rows {
            var cells = 0
            var escaped = false
            for c in row {
                if c == "|" && !escaped { cells += 1 }
                escaped = c == "\\" && !escaped
            }
            #expect(cells == 9, "a row with \(cells - 1) cells: \(row)")
        }
        #expect(!report.contains("<b>") && !report.contains("<script") && !report.contains("<img"), "\(report)")
        #expect(!report.contains("\u{1B}") && !report.contains("\u{07}"))
        let lines = report.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(!lines.contains { $0.hasPrefix("PRIORITY=") || $0.hasPrefix("MESSAGE=") }, "a value broke out of its row")
    }
}
