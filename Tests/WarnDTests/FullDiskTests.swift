import Foundation
import Testing

/// The state directory on a 2 MiB tmpfs (private mount namespace, root only: `scripts/harness/fulldisk-harness.sh`)
/// filled to the last block, then a data file dropped: ingestion fails cleanly (the file stays in the inbox, nothing
/// is stored, the error is logged), the daemon stays up, and once space is freed it takes the file by itself.
@Suite(.serialized) struct FullDiskTests {
    @Test func fullStateDirectoryFailsCleanlyAndRecoversByItself() throws {
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

        try Harness.run("fulldisk-harness.sh", [work.path, WarnDBinary.path, data.path])
        let text = (try? String(contentsOf: work.appendingPathComponent("result.txt"), encoding: .utf8)) ?? ""
        var r: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            r[String(parts[0])] = parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : ""
        }
        let log = (try? String(contentsOf: work.appendingPathComponent("stderr.log"), encoding: .utf8)) ?? ""
        let context = "\(text)\n--- stderr ---\n\(log.suffix(4000))"

        #expect(r["avail_kb_when_full"] == "0", "the tmpfs was not full\n\(context)")
        #expect(r["alive_when_full"] == "yes", "\(context)")
        #expect(r["inbox_when_full"] == "data.csv", "\(context)")
        #expect((r["archive_when_full"] ?? "x").isEmpty, "\(context)")
        #expect(r["submissions_when_full"] == "0", "\(context)")
        #expect(log.contains("could not process data.csv"), "no error logged\n\(context)")
        #expect(log.lowercased().contains("full") || log.contains("SQLITE_FULL") || log.contains("No space"),
            "the error does not say the disk is full\n\(context)")
        #expect(r["alive_after"] == "yes", "\(context)")
        #expect((r["inbox_after"] ?? "x").isEmpty, "\(context)")
        #expect(r["archive_after"]?.hasSuffix("-data.csv") == true, "\(context)")
        #expect(r["submissions_after"] == "1/1500", "\(context)")
        #expect(r["integrity_after"] == "ok", "\(context)")
    }
}
