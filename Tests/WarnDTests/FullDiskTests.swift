import Foundation
import Testing

@testable import WarnD

/// The state directory on a 2 MiB tmpfs (private mount namespace, root only: `scripts/harness/fulldisk-harness.sh`)
/// filled to the last block, then a data file dropped: ingestion fails cleanly (the file stays in the inbox, nothing
/// is stored), the error reaches the journal (a private journald, `scripts/harness/journald-harness.sh`, read back
/// with `journalctl -o json`), the daemon stays up, and once space is freed it takes the file by itself.
@Suite(.serialized) struct FullDiskTests {
    @Test func fullStateDirectoryFailsCleanlyLogsToTheJournalAndRecoversByItself() throws {
        let work = try Harness.workDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let rules = work.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rules, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: WarnDBinary.fixtures.appendingPathComponent("catalog.yaml"),
            to: rules.appendingPathComponent("indicators.yaml"))
        try DaemonFixture.rules.write(to: rules.appendingPathComponent("plan.yaml"), atomically: true, encoding: .utf8)
        try "settle: 100ms\npoll_interval: 200ms\n".write(to: work.appendingPathComponent("warnd.yaml"),
            atomically: true, encoding: .utf8)
        // Big enough that its transaction cannot fit in pages the WAL already has.
        var csv = "indicator,region,period,batch,value\n"
        for s in 0..<150 {
            for year in 2015...2024 { csv += "hiv_mother_to_child_transmission_rate,测试县,\(year),s\(s),1.\(s % 10)\n" }
        }
        let data = work.appendingPathComponent("data.csv")
        try csv.write(to: data, atomically: true, encoding: .utf8)

        let dump = work.appendingPathComponent("journal.jsonl")
        try Harness.run("journald-harness.sh", ["-o", dump.path, "-t", "warnd", "--timeout", "120", "--",
            "/bin/bash", Harness.dir.appendingPathComponent("fulldisk-harness.sh").path,
            work.path, WarnDBinary.path, data.path, "journal"])
        let text = (try? String(contentsOf: work.appendingPathComponent("result.txt"), encoding: .utf8)) ?? ""
        var r: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            r[String(parts[0])] = parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : ""
        }
        let entries = Harness.entries(dump)
        let log = (try? String(contentsOf: work.appendingPathComponent("stderr.log"), encoding: .utf8)) ?? ""
        let context = "\(text)\n--- journal ---\n\(entries.compactMap { $0.field("MESSAGE") }.joined(separator: "\n").suffix(4000))"
            + "\n--- stderr ---\n\(log.suffix(2000))"

        #expect(r["avail_kb_when_full"] == "0", "the tmpfs was not full\n\(context)")
        #expect(r["alive_when_full"] == "yes", "\(context)")
        #expect(r["inbox_when_full"] == "data.csv", "\(context)")
        #expect((r["archive_when_full"] ?? "x").isEmpty, "\(context)")
        #expect(r["submissions_when_full"] == "0", "\(context)")
        // The failure, as an operator finds it: `journalctl -u warnd MESSAGE_ID=<ingestFailed>`.
        let failures = entries.filter { $0.field("MESSAGE_ID") == MessageID.ingestFailed }
        let failure = try #require(failures.first, "no ingest failure in the journal\n\(context)")
        #expect(failure.field("WARND_FILE") == "data.csv", "\(context)")
        #expect(failure.field("PRIORITY") == "3", "logged as an error")
        let reason = failure.field("WARND_REASON") ?? ""
        #expect(reason.contains("database or disk is full") || reason.contains("SQLITE_FULL"),
            "the reason does not say the disk is full: \(reason)")
        #expect(failure.field("MESSAGE")?.contains("could not process data.csv") == true)
        #expect(failure.field("MESSAGE")?.contains("it stays in the inbox") == true)
        // The recovery reaches the journal too: the same file accepted, with all its rows.
        let accepted = entries.filter { $0.field("MESSAGE_ID") == MessageID.fileAccepted }
        #expect(accepted.count == 1 && accepted.first?.field("WARND_FILE") == "data.csv"
            && accepted.first?.field("WARND_ROWS") == "1500", "\(context)")
        #expect(r["alive_after"] == "yes", "\(context)")
        #expect((r["inbox_after"] ?? "x").isEmpty, "\(context)")
        #expect(r["archive_after"]?.hasSuffix("-data.csv") == true, "\(context)")
        #expect(r["submissions_after"] == "1/1500", "\(context)")
        #expect(r["integrity_after"] == "ok", "\(context)")
    }
}
