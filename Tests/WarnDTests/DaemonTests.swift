import Foundation
import Logging
import Rules
import Testing

@testable import WarnD

/// Log entries captured in memory (tests never bootstrap the logging system).
final class LogCapture: @unchecked Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let lock = NSLock()
    private var _entries: [Entry] = []

    var entries: [Entry] { lock.withLock { _entries } }

    func with(_ id: String) -> [Entry] { entries.filter { $0.metadata["MESSAGE_ID"] == id } }

    var logger: Logger {
        Logger(label: "test") { _ in Handler(capture: self) }
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        var metadataProvider: Logger.MetadataProvider?
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let m = (event.metadata ?? [:]).mapValues { JournalLogHandler.flatten($0) }
            capture.lock.withLock {
                capture._entries.append(Entry(level: event.level, message: event.message.description, metadata: m))
            }
        }
    }
}

/// A state directory with rules, for one daemon test.
struct DaemonFixture {
    let dir: TemporaryDirectory
    let rulesDir: URL
    let config: DaemonConfiguration
    let log = LogCapture()

    static let rules = """
        plan:
          id: t-women
          title: 测试县妇女发展规划（2021—2030年）
          regions: [测试县]
          baseline_year: 2020
          target_year: 2030
        rules:
          - id: t-hiv
            indicator: hiv_mother_to_child_transmission_rate
            target: {op: "<=", value: 2, scope: every_year}
            binding: true
            department: 县卫生健康局
            source: {domain: 妇女与健康, goal: "5", text: 艾滋病母婴传播率保持在2%以下}
            kind: breach
          - id: t-mmr
            indicator: maternal_mortality_ratio
            target: {op: "<=", value: 12}
            department: 县卫生健康局
            source: {domain: 妇女与健康, goal: "2", text: 孕产妇死亡率下降到12/10万以下}
            checks:
              - kind: forecast

        """

    init(rules: String = DaemonFixture.rules) throws {
        dir = try TemporaryDirectory()
        rulesDir = dir.url.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rulesDir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: WarnDBinary.fixtures.appendingPathComponent("catalog.yaml"),
            to: rulesDir.appendingPathComponent("indicators.yaml"))
        try rules.write(to: rulesDir.appendingPathComponent("plan.yaml"), atomically: true, encoding: .utf8)
        var c = DaemonConfiguration.defaults(environment: ["STATE_DIRECTORY": dir.url.appendingPathComponent("state").path])
        c.rules = [rulesDir.path]
        config = c
    }

    func daemon() throws -> WarnDaemon {
        let set = try RulesLoader.load(paths: config.rules).get()
        return try WarnDaemon(config: config, ruleSet: set, logger: log.logger,
            today: { CivilDate(year: 2025, month: 3, day: 1) })
    }

    static func submission(_ name: String, _ text: String) -> Submission {
        let bytes = Array(text.utf8)
        return Submission(name: name, bytes: bytes, sha256: SHA256.hex(bytes))
    }

    /// A daemon that started, took `hiv.csv` (``DaemonTests/breachCSV``, which fires) and stopped cleanly: where a
    /// restart test starts from.
    func stoppedAfterTheBreach() async throws {
        let d = try daemon()
        try await d.start()
        _ = await d.handle(Self.submission("hiv.csv", DaemonTests.breachCSV))
        await d.shutdown()
    }

    var events: [[String: Any]] {
        let path = config.alertsDirectory + "/events.jsonl"
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    var active: [String: Any] {
        let data = FileManager.default.contents(atPath: config.alertsDirectory + "/active.json") ?? Data()
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }
}

@Suite struct DaemonTests {
    static let breachCSV = """
        indicator,region,period,value
        hiv_mother_to_child_transmission_rate,测试县,2023,1.5
        hiv_mother_to_child_transmission_rate,测试县,2024,2.6

        """
    /// ``breachCSV``'s 2024 value revised to within the target: its alert resolves.
    static let revisionCSV = "indicator,region,period,value\nhiv_mother_to_child_transmission_rate,测试县,2024,1.9\n"

    @Test func acceptedFileIsStoredAndFiresAlerts() async throws {
        let f = try DaemonFixture()
        let d = try f.daemon()
        try await d.start()
        let result = await d.handle(DaemonFixture.submission("hiv.csv", Self.breachCSV))
        #expect(result == .accepted(rows: 2, series: 1))
        let key = SeriesKey(indicator: "hiv_mother_to_child_transmission_rate", region: "测试县")
        let prov = try #require(try d.store.provenance(of: key, period: .year(2024)))
        #expect(prov.value == 2.6 && prov.submission == "hiv.csv")
        let events = f.events
        #expect(events.count == 1)
        #expect(events.first?["change"] as? String == "firing")
        #expect((events.first?["alert"] as? [String: Any])?["rule"] as? String == "t-hiv")
        let firing = f.log.with(MessageID.alertFiring)
        #expect(firing.count == 1)
        #expect(firing.first?.level == .critical)
        #expect(firing.first?.message == "艾滋病母婴传播率（测试县）2024年为2.6%，未达到≤2%的目标")
        #expect(firing.first?.metadata["indicator"] == "hiv_mother_to_child_transmission_rate")
        #expect(firing.first?.metadata["department"] == "县卫生健康局")
        await d.flushAlertFiles()
        let alerts = try #require(f.active["alerts"] as? [[String: Any]])
        #expect(alerts.map { $0["rule"] as? String } == ["t-hiv"])
        let report = try String(contentsOfFile: f.config.alertsDirectory + "/report.md", encoding: .utf8)
        #expect(report.contains("| 艾滋病母婴传播率 | 测试县 | 2.6%（2024年） | ≤2%（每年） | — | — | 未达标 | 县卫生健康局 |"))
    }

    @Test func badFileIsRejectedWithEveryReasonAndStoresNothing() async throws {
        let f = try DaemonFixture()
        let d = try f.daemon()
        try await d.start()
        let bad = """
            indicator,region,period,value
            hiv_mother_to_child_transmission_rate,测试县,2023,1.5
            hiv_mother_to_child_transmision_rate,测试县,2024,2.6
            hiv_mother_to_child_transmission_rate,测试县,2025,abc

            """
        let result = await d.handle(DaemonFixture.submission("bad.csv", bad))
        #expect(result == .rejected(reasons: [
            "bad.csv:3:1: error: unknown indicator 'hiv_mother_to_child_transmision_rate' (did you mean 'hiv_mother_to_child_transmission_rate'?)",
            "bad.csv:4:48: error: expected a decimal number, found 'abc'",
        ]))
        #expect(try d.store.counts().observations == 0, "all rows or none")
    }

    @Test func identicalFileIsRecognisedAndNotStoredTwice() async throws {
        let f = try DaemonFixture()
        let d = try f.daemon()
        try await d.start()
        _ = await d.handle(DaemonFixture.submission("a.csv", Self.breachCSV))
        let again = await d.handle(DaemonFixture.submission("b.csv", Self.breachCSV))
        #expect(again == .duplicate(of: "a.csv"))
        #expect(try d.store.counts().submissions == 1)
    }

    @Test func revisionReplacesTheValueKeepsProvenanceAndResolvesTheAlert() async throws {
        let f = try DaemonFixture()
        let d = try f.daemon()
        try await d.start()
        _ = await d.handle(DaemonFixture.submission("first.csv", Self.breachCSV))
        #expect(await d.handle(DaemonFixture.submission("revision.csv", Self.revisionCSV)) == .accepted(rows: 1, series: 1))
        let key = SeriesKey(indicator: "hiv_mother_to_child_transmission_rate", region: "测试县")
        let prov = try #require(try d.store.provenance(of: key, period: .year(2024)))
        #expect(prov.value == 1.9 && prov.submission == "revision.csv")
        #expect(f.events.map { $0["change"] as? String } == ["firing", "resolved"])
        #expect(f.log.with(MessageID.alertResolved).first?.level == .notice)
        await d.flushAlertFiles()
        #expect((f.active["alerts"] as? [Any])?.isEmpty == true)
        let report = try String(contentsOfFile: f.config.alertsDirectory + "/report.md", encoding: .utf8)
        #expect(report.contains("## 自上次报告以来已解除的预警"))
        #expect(report.contains("| 艾滋病母婴传播率 | 测试县 | t-hiv |"))
    }

    /// The tracker keeps no messages: a resolution is announced, logged and reported with the message its alert
    /// last fired with, read back from the store, whether the alert fired in this run or before a restart.
    @Test(arguments: [false, true])
    func aResolutionCarriesTheMessageItsAlertFiredWith(restarted: Bool) async throws {
        let fired = "艾滋病母婴传播率（测试县）2024年为2.6%，未达到≤2%的目标"
        let f = try DaemonFixture()
        var d = try f.daemon()
        try await d.start()
        _ = await d.handle(DaemonFixture.submission("hiv.csv", Self.breachCSV))
        if restarted {
            await d.shutdown()
            d = try f.daemon()
            try await d.start()
        }
        #expect(await d.handle(DaemonFixture.submission("revision.csv", Self.revisionCSV)) == .accepted(rows: 1, series: 1))
        #expect(f.log.with(MessageID.alertResolved).map(\.message) == ["已解除：" + fired])
        let events = f.events
        #expect(events.map { $0["change"] as? String } == ["firing", "resolved"])
        let resolved = try #require(events.last?["alert"] as? [String: Any])
        #expect(resolved["message"] as? String == fired)
        let id = try #require(resolved["id"] as? String)
        #expect(try d.store.messages(of: [id]) == [id: fired], "the stored row keeps its message")
        await d.flushAlertFiles()
        let report = try String(contentsOfFile: f.config.alertsDirectory + "/report.md", encoding: .utf8)
        #expect(report.components(separatedBy: "## 自上次报告以来已解除的预警")[1].contains(fired))
        await d.shutdown()
    }

    @Test func restartAnnouncesNothingAgain() async throws {
        let f = try DaemonFixture()
        try await f.stoppedAfterTheBreach()
        let before = f.log.with(MessageID.alertFiring).count
        let again = try f.daemon()
        try await again.start()
        #expect(f.log.with(MessageID.alertFiring).count == before)
        #expect(f.events.count == 1)
        #expect(await again.current.count == 1, "the alert is still firing after the restart")
    }

    @Test func failedReloadKeepsTheOldRulesAndSaysWhy() async throws {
        let f = try DaemonFixture()
        let d = try f.daemon()
        try await d.start()
        _ = await d.handle(DaemonFixture.submission("hiv.csv", Self.breachCSV))
        let planFile = f.rulesDir.appendingPathComponent("plan.yaml")
        try DaemonFixture.rules.replacingOccurrences(of: "kind: breach", with: "kind: breech")
            .write(to: planFile, atomically: true, encoding: .utf8)
        let status = await d.reload()
        #expect(!status.ok)
        #expect(status.errors == [
            "\(planFile.path):14:11: error: rule \"t-hiv\": unknown kind 'breech' (did you mean 'breach'?); expected one of breach, forecast, trajectory, fluctuation, direction, gap, stale",
        ])
        #expect(ReloadStatus.read(from: f.config.reloadStatusPath) == status)
        #expect(await d.ruleSet.ruleCount == 2, "old rules still in force")
        #expect(await d.statusLine.contains("RELOAD FAILED (1 error)"))
        let logged = try #require(f.log.with(MessageID.reloadFailed).first)
        #expect(logged.metadata["rules_line"] == "14" && logged.metadata["rules_column"] == "11")
        // The old rules still evaluate: a new breach fires.
        _ = await d.handle(DaemonFixture.submission("more.csv", "indicator,region,period,value\nhiv_mother_to_child_transmission_rate,测试县,2025,3\n"))
        #expect(await d.current.count == 1)
        // Fixed rules apply, and unchanged rules keep their state: nothing is announced again.
        try DaemonFixture.rules.write(to: planFile, atomically: true, encoding: .utf8)
        let fixed = await d.reload()
        #expect(fixed.ok && fixed.generation == status.generation + 1)
        #expect(f.log.with(MessageID.alertFiring).count == 1)
    }

    @Test func removingARuleOnReloadResolvesItsAlerts() async throws {
        let f = try DaemonFixture()
        let d = try f.daemon()
        try await d.start()
        _ = await d.handle(DaemonFixture.submission("hiv.csv", Self.breachCSV))
        let withoutHIV = DaemonFixture.rules.components(separatedBy: "  - id: t-mmr")
        try (withoutHIV[0].components(separatedBy: "  - id: t-hiv")[0] + "  - id: t-mmr" + withoutHIV[1])
            .write(to: f.rulesDir.appendingPathComponent("plan.yaml"), atomically: true, encoding: .utf8)
        #expect(await d.reload().ok)
        #expect(f.events.map { $0["change"] as? String } == ["firing", "resolved"])
    }

    /// As `warnd import` leaves a store: the data, no alert state yet (the first start announces every alert).
    static func imported(_ f: DaemonFixture, _ csv: String) throws {
        try FileManager.default.createDirectory(atPath: f.config.stateDirectory, withIntermediateDirectories: true)
        let set = try RulesLoader.load(paths: f.config.rules).get()
        let parsed = ObservationParser(catalog: set.catalog, regions: set.regions).parse(Array(csv.utf8), file: "history.csv")
        let store = try Store(path: f.config.database)
        try store.accept(parsed.table, name: "history.csv", sha256: SHA256.hex(Array(csv.utf8)), receivedAt: "t",
            format: parsed.format.rawValue, encoding: parsed.encoding)
    }

    @Test func firstStartRecordsItsTransitionsBeforeReadyAndLogsThemAfterOnce() async throws {
        let f = try DaemonFixture()
        try Self.imported(f, Self.breachCSV)
        let d = try f.daemon()
        try await d.start(announceLater: true)
        #expect(try d.store.lastEventSeq() == 1, "stored before READY=1")
        #expect(f.events.isEmpty, "appended to events.jsonl after READY=1")
        #expect(f.log.with(MessageID.alertFiring).isEmpty, "sent to the journal after READY=1")
        await d.catchUpLogs()
        #expect(f.events.map { $0["change"] as? String } == ["firing"])
        #expect(f.log.with(MessageID.alertFiring).map { $0.metadata["event_seq"] } == ["1"])
        await d.catchUpLogs()
        await d.shutdown()
        #expect(f.events.count == 1, "never twice")
        #expect(f.log.with(MessageID.alertFiring).count == 1, "never twice")
    }

    @Test func aSubmissionBeforeTheCatchUpLogsAfterIt() async throws {
        let f = try DaemonFixture()
        try Self.imported(f, Self.breachCSV)
        let d = try f.daemon()
        try await d.start(announceLater: true)
        #expect(await d.handle(DaemonFixture.submission("revision.csv", Self.revisionCSV)) == .accepted(rows: 1, series: 1))
        let order = f.log.entries.compactMap { $0.metadata["MESSAGE_ID"] }
            .filter { $0 == "\(MessageID.alertFiring)" || $0 == "\(MessageID.alertResolved)" }
        #expect(order == ["\(MessageID.alertFiring)", "\(MessageID.alertResolved)"], "the journal's order is the events' order")
        #expect(f.events.map { $0["change"] as? String } == ["firing", "resolved"])
        await d.catchUpLogs()
        await d.shutdown()
        #expect(f.log.with(MessageID.alertFiring).count == 1)
        #expect(f.events.count == 2)
    }

    @Test func shutdownLogsWhatIsLeftOfTheCatchUp() async throws {
        let f = try DaemonFixture()
        try Self.imported(f, Self.breachCSV)
        let d = try f.daemon()
        try await d.start(announceLater: true)
        await d.shutdown()
        #expect(f.log.with(MessageID.alertFiring).count == 1)
        #expect(f.events.count == 1)
        let again = try f.daemon()
        try await again.start(announceLater: true)
        await again.catchUpLogs()
        await again.shutdown()
        #expect(f.log.with(MessageID.alertFiring).count == 1, "the journal mark was stored at shutdown")
    }

    @Test func aSubmissionDuringTheCatchUpKeepsTheOrderOfEventsInTheJournalAndTheFile() async throws {
        let f = try DaemonFixture()
        try Self.imported(f, Self.breachCSV)
        // 5 000 stored events not yet logged (as a daemon that stopped before logging them leaves them): batches.
        do {
            let store = try Store(path: f.config.database)
            _ = try store.record([], eventCount: 5_000) { i in
                Store.NewEvent(at: "t", alertID: String(format: "%016x", i), change: "resolved", rule: "t-hiv",
                    severity: "critical", payload: #"{"dimensions":{},"id":"\#(String(format: "%016x", i))","indicator":"hiv_mother_to_child_transmission_rate","message":"m\#(i)","plan":"t-women","region":"测试县","rule":"t-hiv","severity":"critical","state":"resolved"}"#)
            }
            try store.setMeta(Store.journalMarkKey, "0")
        }
        let d = try f.daemon()
        try await d.start(announceLater: true)
        async let caughtUp: Void = d.catchUpLogs()
        #expect(await d.handle(DaemonFixture.submission("revision.csv", Self.revisionCSV)) == .accepted(rows: 1, series: 1))
        await caughtUp
        await d.shutdown()
        let sent = f.log.entries.compactMap { $0.metadata["event_seq"].flatMap { Int($0) } }
        #expect(sent == Array(1...5_002), "each once, in order: \(sent.count) sent")
        #expect(f.events.compactMap { $0["seq"] as? Int } == Array(1...5_002))
        #expect(f.log.entries.first { $0.metadata["event_seq"] == "17" }?.message == "已解除：m16")
    }

    @Test func whatAnImportRecordedIsLoggedByTheNextStartWhichEvaluatesNothingNew() async throws {
        let f = try DaemonFixture()
        let csv = f.dir.url.appendingPathComponent("history.csv").path
        try Self.breachCSV.write(toFile: csv, atomically: true, encoding: .utf8)
        let out = try WarnDBinary.run(["import", "--state-dir", f.config.stateDirectory, "--rules", f.rulesDir.path,
            "--now", "2025-03-01", csv])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("1 alerts (1 firing); 1 transitions recorded"), "\(out.stdout)")
        #expect(FileManager.default.fileExists(atPath: f.config.stateDirectory + "/" + DatasetSnapshot.fileName))
        let d = try f.daemon()
        try await d.start(announceLater: true)
        #expect(await d.startupTimings.map(\.0).contains("snapshot_load"), "the dataset from the import's snapshot")
        #expect(try d.store.lastEventSeq() == 1, "the first evaluation found the import's alert state current")
        #expect(f.log.with(MessageID.alertFiring).isEmpty && f.events.isEmpty)
        await d.catchUpLogs()
        let firing = try #require(f.log.with(MessageID.alertFiring).first)
        #expect(firing.message == "艾滋病母婴传播率（测试县）2024年为2.6%，未达到≤2%的目标")
        #expect(firing.metadata["event_seq"] == "1" && firing.metadata["department"] == "县卫生健康局")
        #expect(f.events.map { $0["change"] as? String } == ["firing"])
        await d.shutdown()
    }

    @Test func importWithoutEvaluationLeavesTheFirstEvaluationToTheDaemon() async throws {
        let f = try DaemonFixture()
        let csv = f.dir.url.appendingPathComponent("history.csv").path
        try Self.breachCSV.write(toFile: csv, atomically: true, encoding: .utf8)
        let out = try WarnDBinary.run(["import", "--state-dir", f.config.stateDirectory, "--rules", f.rulesDir.path,
            "--no-evaluate", csv])
        #expect(out.status == 0 && !out.stdout.contains("evaluated:"), "\(out.stdout)\(out.stderr)")
        #expect(!FileManager.default.fileExists(atPath: f.config.stateDirectory + "/" + DatasetSnapshot.fileName))
        let d = try f.daemon()
        #expect(try d.store.lastEventSeq() == 0 && d.store.alertRecords().isEmpty)
        try await d.start(announceLater: true)
        #expect(try d.store.lastEventSeq() == 1, "recorded by the first start")
        await d.catchUpLogs()
        #expect(f.log.with(MessageID.alertFiring).count == 1 && f.events.count == 1)
        await d.shutdown()
    }

    @Test func aStartAfterACrashSendsAgainOnlyWhatTheLastEvaluationAnnounced() async throws {
        let f = try DaemonFixture()
        let d = try f.daemon()
        try await d.start()
        _ = await d.handle(DaemonFixture.submission("hiv.csv", Self.breachCSV))
        _ = await d.handle(DaemonFixture.submission("revision.csv", Self.revisionCSV))
        #expect(f.log.entries.compactMap { $0.metadata["event_seq"] } == ["1", "2"])
        // No shutdown: the journal mark was last stored with the second recording, when event 1 had been sent.
        let again = try f.daemon()
        try await again.start(announceLater: true)
        await again.catchUpLogs()
        #expect(f.log.entries.compactMap { $0.metadata["event_seq"] } == ["1", "2", "2"], "at least once, event 2 twice")
        #expect(f.events.map { $0["seq"] as? Int } == [1, 2], "events.jsonl exactly once")
        await again.shutdown()
        await d.shutdown()
    }

    /// A forecast that misses its target, for an alert with a forecast.
    static let offTrackCSV = """
        indicator,region,period,value
        maternal_mortality_ratio,测试县,2019,18
        maternal_mortality_ratio,测试县,2020,18.5
        maternal_mortality_ratio,测试县,2021,19
        maternal_mortality_ratio,测试县,2022,19.2
        maternal_mortality_ratio,测试县,2023,19.6
        maternal_mortality_ratio,测试县,2024,20.1

        """

    @Test func aTransitionSentFromTheStoreIsTheEntrySentWhenItHappened() async throws {
        let f = try DaemonFixture()
        let d = try f.daemon()
        try await d.start()
        _ = await d.handle(DaemonFixture.submission("hiv.csv", Self.breachCSV))
        _ = await d.handle(DaemonFixture.submission("mmr.csv", Self.offTrackCSV))
        _ = await d.handle(DaemonFixture.submission("revision.csv", Self.revisionCSV))
        let live = f.log.entries.filter { $0.metadata["event_seq"] != nil }
        #expect(live.map { $0.metadata["state"] } == ["firing", "firing", "resolved"])
        #expect(live[1].metadata["forecast"] != nil && live[1].metadata["p_meet"] != nil && live[1].metadata["status"] != nil,
            "\(live[1].metadata)")
        #expect(live[0].metadata["target"] == "<=2 every year" && live[0].metadata["value"] == "2.6")
        let ruleSet = await d.ruleSet
        let stored = try d.store.events(after: 0).map { try AlertAnnouncement($0, ruleSet: ruleSet) }
        #expect(stored.count == live.count)
        for (s, l) in zip(stored, live) {
            #expect(s.fields == l.metadata)
            #expect(s.message == l.message && s.level == l.level)
        }
        await d.shutdown()
    }

    @Test func reportAfterARestartListsTheResolvedEventsFromBeforeIt() async throws {
        let f = try DaemonFixture()
        do {
            let d = try f.daemon()
            try await d.start()
            _ = await d.handle(DaemonFixture.submission("first.csv", Self.breachCSV))
            _ = await d.handle(DaemonFixture.submission("revision.csv", Self.revisionCSV))
            // As a real restart: the first daemon's queued file writes end before the second starts (left running,
            // a late write of its older picture could replace the second's report.md).
            await d.shutdown()
        }
        let again = try f.daemon()
        try await again.start()
        await again.flushAlertFiles()
        let report = try String(contentsOfFile: f.config.alertsDirectory + "/report.md", encoding: .utf8)
        let resolved = report.components(separatedBy: "## 自上次报告以来已解除的预警")[1]
        #expect(resolved.contains("| 艾滋病母婴传播率 | 测试县 | t-hiv |"), "read back from the store's resolved events")
        #expect(resolved.components(separatedBy: "| t-hiv |").count == 2, "once: the firing event is not listed")
    }

    @Test func tornEventLogTailIsRepairedAndCaughtUpFromTheStore() async throws {
        let f = try DaemonFixture()
        try await f.stoppedAfterTheBreach()
        // A crash mid-append: the last line is cut short.
        let path = f.config.alertsDirectory + "/events.jsonl"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try String(text.dropLast(20)).write(toFile: path, atomically: false, encoding: .utf8)
        let d = try f.daemon()
        try await d.start()
        #expect(f.events.count == 1)
        #expect(f.events.first?["seq"] as? Int == 1)
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasSuffix("}\n"))
    }

    @Test func reportEscapesDataDerivedText() throws {
        #expect(CommitteeReport.cell("渠|县\n<b>x</b>&`y`") == "渠\\|县 &lt;b&gt;x&lt;/b&gt;&amp;\\`y\\`")
        #expect(CommitteeReport.cell("a\u{07}b\u{85}c") == "abc")
    }

    /// deploy/warnd.yaml.example documents every key with its default: un-commented, it is valid and changes nothing.
    @Test func exampleConfigurationDocumentsEveryKeyWithItsDefault() throws {
        let text = try String(contentsOf: WarnDBinary.root.appendingPathComponent("deploy/warnd.yaml.example"), encoding: .utf8)
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> Substring in
            line.hasPrefix("#") && line.dropFirst().first?.isLetter == true && line.contains(": ") ? line.dropFirst() : line
        }.joined(separator: "\n")
        let env = ["STATE_DIRECTORY": "/var/lib/warnd", "CONFIGURATION_DIRECTORY": "/etc/warnd"]
        let keys = uncommented.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.contains(":") }.map { String($0.split(separator: ":")[0]) }
        #expect(Set(keys) == Set(DaemonConfiguration.keys), "every key documented once")
        let loaded = try DaemonConfiguration.load(path: "warnd.yaml.example", bytes: Array(uncommented.utf8), over: .defaults(environment: env)).get()
        #expect(loaded == DaemonConfiguration.defaults(environment: env))
    }

    @Test func configurationIsStrictAndPointsAtTheKey() throws {
        let yaml = "rules: /etc/warnd/rules\nevaluation_intervall: 1h\nlog: jornal\nmax_file_size: 64MiB\n"
        guard case .failure(let e) = DaemonConfiguration.load(path: "warnd.yaml", bytes: Array(yaml.utf8), over: .defaults(environment: [:])) else {
            Issue.record("should fail")
            return
        }
        #expect(e.diagnostics.map(\.description) == [
            "warnd.yaml:2:1: error: unknown key 'evaluation_intervall' (did you mean 'evaluation_interval'?)",
            "warnd.yaml:3:6: error: 'log' must be journal, stderr or auto, found 'jornal' (did you mean 'journal'?)",
        ])
        let good = "state_directory: /srv/warnd\nevaluation_interval: 30m\nmax_file_size: 1GiB\nsettle: 500ms\n"
        let c = try DaemonConfiguration.load(path: "w.yaml", bytes: Array(good.utf8), over: .defaults(environment: [:])).get()
        #expect(c.inbox == "/srv/warnd/inbox" && c.database == "/srv/warnd/warnd.sqlite")
        #expect(c.evaluationInterval == .seconds(1800) && c.maxFileSize == 1 << 30 && c.settle == .milliseconds(500))
        #expect(DaemonConfiguration.defaults(environment: ["STATE_DIRECTORY": "/var/lib/warnd", "CONFIGURATION_DIRECTORY": "/etc/warnd"]).rules == ["/etc/warnd/rules"])
    }
}
