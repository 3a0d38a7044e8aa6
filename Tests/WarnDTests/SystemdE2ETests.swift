import Foundation
import Testing

@testable import WarnD

/// The shipped unit, run by a real systemd booted as PID 1 of a private namespace
/// (`scripts/harness/systemd-e2e-harness.sh`), driven with `systemctl` and read back with `journalctl`, as ops would.
@Suite(.serialized) struct SystemdE2ETests {
    static let h = "systemd-e2e-harness.sh"

    /// A booted namespace with warnd.service installed and test rules in /etc/warnd/rules.
    struct Namespace {
        let work: URL
        var ns: String { work.appendingPathComponent("ns").path }

        init() throws {
            work = try Harness.workDirectory()
            let rules = work.appendingPathComponent("rules")
            try FileManager.default.createDirectory(at: rules, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: WarnDBinary.fixtures.appendingPathComponent("catalog.yaml"),
                to: rules.appendingPathComponent("indicators.yaml"))
            try JournaldTests.rules.write(to: rules.appendingPathComponent("plan.yaml"), atomically: true, encoding: .utf8)
            try "indicator,region,period,value\nhiv_mother_to_child_transmission_rate,测试县,2023,1.5\nhiv_mother_to_child_transmission_rate,测试县,2024,2.6\n"
                .write(to: work.appendingPathComponent("fire.csv"), atomically: true, encoding: .utf8)
            try "indicator,region,period,value\nhiv_mother_to_child_transmission_rate,测试县,2024,abc\n"
                .write(to: work.appendingPathComponent("bad.csv"), atomically: true, encoding: .utf8)
            try Harness.run(h, [
                "boot", ns, "--unit", "deploy/systemd/warnd.service", "--binary", WarnDBinary.path + ":/usr/local/bin/warnd",
                "--sysusers", "deploy/systemd/warnd.sysusers", "--tmpfiles", "deploy/systemd/warnd.tmpfiles",
                "--catalog", "deploy/systemd/warnd.catalog", "--file", "\(rules.path):/etc/warnd/rules",
            ])
        }

        @discardableResult
        func exec(_ args: String..., allowFailure: Bool = false) throws -> WarnDBinary.Output {
            try Harness.run(SystemdE2ETests.h, ["exec", ns, "--"] + args, allowFailure: allowFailure)
        }

        func show(_ property: String) throws -> String {
            try exec("systemctl", "show", "-P", property, "warnd.service").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        func journal() throws -> [[String: Any]] {
            let out = try exec("journalctl", "-u", "warnd.service", "-o", "json", "--no-pager")
            return out.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }

        /// Polls until `condition` holds (deadline 60 s): conditions, never fixed sleeps.
        func eventually(_ what: String, _ condition: () throws -> Bool) throws {
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                if try condition() { return }
                usleep(200_000)
            }
            Issue.record("timed out waiting for: \(what)")
        }

        func stop() {
            _ = try? Harness.run(SystemdE2ETests.h, ["stop", ns])
            try? FileManager.default.removeItem(at: work)
        }
    }

    @Test func theUnitRunsReloadsRestartsAndStopsUnderSystemd() throws {
        let n = try Namespace()
        defer { n.stop() }

        // Start: Type=notify reaches active with a human STATUS=.
        try n.exec("systemctl", "start", "warnd.service")
        #expect(try n.show("ActiveState") == "active")
        // journald's rate limit is off for warnd: a burst of transitions (first start after an import) is not dropped.
        #expect(try n.show("LogRateLimitIntervalUSec") == "0")
        #expect(try n.show("StatusText").hasPrefix("2 rules, 0 series; firing: 0 critical, 0 warning, 0 info"))
        let pid = try n.show("MainPID")

        // A CSV handed to the inbox: firing entry with its fields, active.json updated.
        try n.exec("/usr/local/bin/warnd", "ingest", "--state-dir", "/var/lib/warnd", n.work.appendingPathComponent("fire.csv").path)
        try n.eventually("the firing entry") {
            try n.journal().contains { $0.field("MESSAGE_ID") == MessageID.alertFiring }
        }
        let firing = try #require(try n.journal().first { $0.field("MESSAGE_ID") == MessageID.alertFiring })
        #expect(firing.field("MESSAGE") == "艾滋病母婴传播率（测试县）2024年为2.6%，未达到≤2%的目标")
        #expect(firing.field("PRIORITY") == "2")
        #expect(firing.field("WARND_RULE") == "t-hiv" && firing.field("WARND_SEVERITY") == "critical")
        #expect(firing.field("WARND_DEPARTMENT") == "县卫生健康局" && firing.field("WARND_VALUE") == "2.6")
        #expect(firing.field("_SYSTEMD_UNIT") == "warnd.service")
        // The region file is written before the file is archived; active.json follows in the background.
        #expect(try n.exec("cat", "/var/lib/warnd/alerts/regions/测试县.json").stdout.contains("\"rule\" : \"t-hiv\""))
        try n.eventually("active.json updated") {
            try n.exec("cat", "/var/lib/warnd/alerts/active.json").stdout.contains("\"rule\" : \"t-hiv\"")
        }
        #expect(try n.show("StatusText").contains("firing: 1 critical"))

        // A bad CSV: set aside with its reasons, an entry says so, the service stays up.
        try n.exec("/usr/local/bin/warnd", "ingest", "--state-dir", "/var/lib/warnd", n.work.appendingPathComponent("bad.csv").path)
        try n.eventually("bad.csv rejected") {
            try n.exec("test", "-f", "/var/lib/warnd/rejected/bad.csv.error", allowFailure: true).status == 0
        }
        #expect(try n.exec("cat", "/var/lib/warnd/rejected/bad.csv.error").stdout.contains("bad.csv:2:48: error: expected a decimal number, found 'abc'"))
        #expect(try n.journal().contains { $0.field("MESSAGE_ID") == MessageID.fileRejected })
        #expect(try n.show("ActiveState") == "active")

        // A broken rules file: `systemctl reload` fails, the old rules keep running, the error has line and column.
        try n.exec("sed", "-i", "s/kind: breach/kind: breech/", "/etc/warnd/rules/plan.yaml")
        let refused = try n.exec("systemctl", "reload", "warnd.service", allowFailure: true)
        #expect(refused.status != 0)
        #expect(try n.show("ActiveState") == "active")
        #expect(try n.show("MainPID") == pid)
        #expect(try n.show("StatusText").contains("RELOAD FAILED (1 error)"))
        let reloadError = try #require(try n.journal().first { $0.field("MESSAGE_ID") == MessageID.reloadFailed })
        #expect(reloadError.field("WARND_RULES_LINE") == "14" && reloadError.field("WARND_RULES_COLUMN") == "11")
        #expect(try n.journal().contains { ($0.field("MESSAGE") ?? "").contains("/etc/warnd/rules/plan.yaml:14:11: error: rule \"t-hiv\": unknown kind 'breech'") && $0.field("_COMM") == "warnd" })
        // The old rules still evaluate: the alert is still firing.
        #expect(try n.exec("cat", "/var/lib/warnd/alerts/active.json").stdout.contains("\"rule\" : \"t-hiv\""))

        // Fixed rules: the reload succeeds and applies.
        try n.exec("sed", "-i", "s/kind: breech/kind: breach/", "/etc/warnd/rules/plan.yaml")
        #expect(try n.exec("systemctl", "reload", "warnd.service").status == 0)
        #expect(!(try n.show("StatusText").contains("RELOAD FAILED")))

        // A restart announces nothing again.
        let before = try n.journal().filter { $0.field("MESSAGE_ID") == MessageID.alertFiring }.count
        try n.exec("systemctl", "restart", "warnd.service")
        #expect(try n.show("ActiveState") == "active")
        #expect(try n.journal().filter { $0.field("MESSAGE_ID") == MessageID.alertFiring }.count == before)

        // The watchdog: with WatchdogSec=2s the daemon pings at half that; systemd records each ping and never kills it.
        try n.exec("mkdir", "-p", "/run/systemd/system/warnd.service.d")
        try n.exec("sh", "-c", "printf '[Service]\\nWatchdogSec=2s\\n' > /run/systemd/system/warnd.service.d/watchdog.conf")
        try n.exec("systemctl", "daemon-reload")
        try n.exec("systemctl", "restart", "warnd.service")
        let restartsBefore = try n.show("NRestarts")
        let firstPing = try n.show("WatchdogTimestampMonotonic")
        var pings = Set([firstPing])
        try n.eventually("three watchdog pings") {
            pings.insert(try n.show("WatchdogTimestampMonotonic"))
            return pings.count >= 3
        }
        #expect(try n.show("NRestarts") == restartsBefore)
        #expect(try n.show("ActiveState") == "active")
        #expect(!(try n.journal().contains { ($0.field("MESSAGE") ?? "").contains("Watchdog timeout") }))

        // The sandbox: the daemon can write its state directory and nothing else.
        let mainPID = try n.show("MainPID")
        let denied = try n.exec("nsenter", "-t", mainPID, "-m", "--", "sh", "-c", "touch /etc/warnd-probe", allowFailure: true)
        #expect(denied.status != 0 && denied.stderr.contains("Read-only file system"))
        let home = try n.exec("nsenter", "-t", mainPID, "-m", "--", "sh", "-c", "touch /usr/local/warnd-probe", allowFailure: true)
        #expect(home.status != 0)
        #expect(try n.exec("nsenter", "-t", mainPID, "-m", "--", "sh", "-c", "touch /var/lib/warnd/probe && rm /var/lib/warnd/probe").status == 0)

        // The security rating.
        let security = try n.exec("systemd-analyze", "security", "--no-pager", "warnd.service").stdout
        let line = try #require(security.split(separator: "\n").last { $0.contains("Overall exposure level") })
        // "→ Overall exposure level for warnd.service: 0.2 SAFE :-}"
        let after = try #require(line.components(separatedBy: "warnd.service:").last)
        let score = try #require(after.split(separator: " ").first.flatMap { Double($0) })
        #expect(score <= 1.5, "\(line)")

        // Stop: a clean exit.
        try n.exec("systemctl", "stop", "warnd.service")
        #expect(try n.show("ActiveState") == "inactive")
        #expect(try n.show("Result") == "success")
        #expect(try n.journal().contains { $0.field("MESSAGE") == "warnd stopped" })
    }
}
