import Foundation
import Rules
import Testing

@testable import WarnD

/// The daemon's alert files: the hand-written JSON, per-region files, and the coalesced `active.json`.
@Suite struct AlertFilesTests {
    static let day = CivilDate(year: 2025, month: 3, day: 1)

    /// The shipped rules over the shipped example data, evaluated in one go (what `warnd eval` does).
    static func exampleEvaluation() throws -> (ruleSet: RuleSet, files: [(String, [UInt8])], data: Dataset, result: Evaluator.Result) {
        let ruleSet = try RulesLoader.load(paths: [WarnDBinary.root.appendingPathComponent("rules").path]).get()
        let dir = WarnDBinary.root.appendingPathComponent("examples/data")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".csv") }.sorted()
        var files: [(String, [UInt8])] = []
        var data = Dataset()
        let parser = ObservationParser(catalog: ruleSet.catalog, regions: ruleSet.regions)
        for name in names {
            let bytes = [UInt8](FileManager.default.contents(atPath: dir.appendingPathComponent(name).path)!)
            let parsed = parser.parse(bytes, file: name)
            #expect(parsed.errors.isEmpty, "\(name): \(parsed.errors)")
            data.apply(parsed.observations)
            files.append((name, bytes))
        }
        let result = Evaluator(ruleSet: ruleSet).evaluate(data, at: EvaluationTime(at: nil, now: day))
        return (ruleSet, files, data, result)
    }

    static func encoderDocument(_ alerts: [Alert], at: Period?) -> [UInt8] {
        [UInt8](AlertJSON.encode(AlertJSON.document(alerts, evaluatedAt: day.description, at: at)))
    }

    static func writerDocument(_ alerts: [Alert], at: Period?) -> [UInt8] {
        let doc = AlertJSON.document(alerts, evaluatedAt: day.description, at: at)
        return AlertJSONWriter.document(counts: doc.counts, evaluatedAt: day.description, at: at?.description) { emit in
            for a in alerts { emit(AlertJSONWriter.object(a, indent: 4)[...]) }
        }
    }

    @Test func handWrittenJSONEqualsJSONEncoderOnEveryExampleAlert() throws {
        let e = try Self.exampleEvaluation()
        #expect(e.result.alerts.count > 20)
        let at = e.data.periods.last
        #expect(Self.writerDocument(e.result.alerts, at: at) == Self.encoderDocument(e.result.alerts, at: at))
        for a in e.result.alerts {
            let compact = [UInt8](AlertJSON.encode(AlertJSON.object(a), pretty: false))
            #expect(AlertJSONWriter.object(a, indent: nil) == compact, "\(a.rule.id)")
        }
        #expect(Self.writerDocument([], at: nil) == Self.encoderDocument([], at: nil), "no alerts, no data")
    }

    @Test func handWrittenJSONEqualsJSONEncoderOnHostileText() throws {
        let e = try Self.exampleEvaluation()
        var a = try #require(e.result.alerts.first { $0.outcome.forecast != nil })
        // The message is the rule's template, rendered: a template of plain text is the message.
        let hostile = "引号\"反斜杠\\斜杠/换行\n回车\r制表\t退格\u{8}换页\u{c}控制\u{1}\u{1f}删除\u{7f}分隔\u{2028}😀"
        a.outcome.rule.message = try MessageTemplate(hostile)
        #expect(a.message == hostile)
        a.outcome.key = SeriesKey(indicator: a.key.indicator, region: "区/../\u{0}x",
            dimensions: ["Z": "1", "a10": "x", "a9": "y", "_": "u", "é": "e", "区": "c", "B": "\"", "a-b": "\n"])
        a.outcome.rule.labels = ["10": "a", "2": "b", "domain": "妇女与健康", "Domain": "x"]
        a.outcome.rule.department = nil
        a.outcome.value = 2.5e15
        a.outcome.targetValue = -0.0
        a.outcome.measures.change = 1e-7
        a.outcome.measures.slope = 123_456.789_123_4
        a.outcome.measures.gap = 1e21
        a.outcome.measures.robustZ = -3
        a.outcome.forecast?.value = 13.200000000000001
        a.outcome.forecast?.lower = .nan
        a.outcome.period = nil
        #expect(Self.writerDocument([a], at: .year(2024)) == Self.encoderDocument([a], at: .year(2024)))
        #expect(AlertJSONWriter.object(a, indent: nil) == [UInt8](AlertJSON.encode(AlertJSON.object(a), pretty: false)))
        let resolved = ["id": "1", "message": "a\"b\n/", "region": "区"]
        #expect(AlertJSONWriter.compact(resolved) == [UInt8](AlertJSON.encode(resolved, pretty: false)))
        // The resolved event's payload: its dimensions as an object, in JSONEncoder's key order among the strings.
        enum Value: Encodable {
            case string(String), object([String: String])
            func encode(to encoder: any Encoder) throws {
                var c = encoder.singleValueContainer()
                switch self {
                case .string(let s): try c.encode(s)
                case .object(let o): try c.encode(o)
                }
            }
        }
        let dims = ["Z": "1", "a10": "x", "区": "c", "B": "\""]
        for fields in [resolved, ["a": "1", "dimension": "2", "dimensionsX": "3", "e": "4"], [:]] {
            var mixed = fields.mapValues(Value.string)
            mixed["dimensions"] = .object(dims)
            #expect(AlertJSONWriter.compact(fields, dimensions: dims) == [UInt8](AlertJSON.encode(mixed, pretty: false)))
        }
    }

    @Test func regionFileNamesCannotEscapeOrHideOrCollide() {
        let regions = ["县0001", "渠县", "a/b", "..", ".", "../etc/passwd", ".hidden", "a b", "a%2Fb", "a\u{0}b",
            "x\ny", "\u{202e}evil", "Région", "", String(repeating: "很长的地区名", count: 40),
            String(repeating: "很长的地区名", count: 40) + "2"]
        let names = regions.map(RegionFileName.of)
        #expect(Set(names).count == regions.count, "distinct regions, distinct files: \(names)")
        for n in names {
            #expect(!n.isEmpty && !n.contains("/") && !n.hasPrefix(".") && !n.contains(".."), "\(n)")
            #expect(!n.unicodeScalars.contains { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }, "\(n)")
            #expect((n + ".json").utf8.count <= 255, "\(n)")
        }
        #expect(RegionFileName.of("县0001") == "县0001", "plain names stay readable")
        #expect(RegionFileName.of("a/b") == "a%2Fb")
    }

    /// A state directory with the shipped rules.
    static func daemon(in dir: TemporaryDirectory, interval: Duration = .seconds(5)) throws -> (WarnDaemon, DaemonConfiguration, LogCapture) {
        var c = DaemonConfiguration.defaults(environment: ["STATE_DIRECTORY": dir.url.appendingPathComponent("state").path])
        c.rules = [WarnDBinary.root.appendingPathComponent("rules").path]
        c.alertFilesInterval = interval
        let log = LogCapture()
        let set = try RulesLoader.load(paths: c.rules).get()
        return (try WarnDaemon(config: c, ruleSet: set, logger: log.logger, today: { Self.day }), c, log)
    }

    @Test func afterSubmissionsAndShutdownTheFilesEqualTheOneShotEvaluation() async throws {
        let e = try Self.exampleEvaluation()
        let dir = try TemporaryDirectory()
        let (d, config, log) = try Self.daemon(in: dir)
        try await d.start()
        for (name, bytes) in e.files {
            let result = await d.handle(Submission(name: name, bytes: bytes, sha256: SHA256.hex(bytes)))
            guard case .accepted = result else {
                Issue.record("\(name): \(result)")
                continue
            }
        }
        await d.shutdown()
        let at = e.data.periods.last
        let active = [UInt8](FileManager.default.contents(atPath: config.alertsDirectory + "/active.json") ?? Data())
        // Errors and warnings the daemon logged, shown if the files are not the expected ones (once seen under
        // ThreadSanitizer with the machine loaded: the files held the picture after 3 of the 9 files).
        let problems = log.entries.filter { $0.level >= .warning }.map(\.message)
        #expect(active == Self.encoderDocument(e.result.alerts, at: at), "active.json is the one-shot document; \(problems)")

        // One file per region, each the same document restricted to its region; together, every alert.
        let regionsDir = config.alertsDirectory + "/regions"
        let byRegion = Dictionary(grouping: e.result.alerts, by: \.key.region)
        let files = try FileManager.default.contentsOfDirectory(atPath: regionsDir).sorted()
        #expect(files == byRegion.keys.map { RegionFileName.of($0) + ".json" }.sorted())
        for (region, alerts) in byRegion {
            let bytes = [UInt8](FileManager.default.contents(atPath: regionsDir + "/" + RegionFileName.of(region) + ".json") ?? Data())
            #expect(bytes == Self.encoderDocument(alerts, at: at), "\(region)")
        }
        let report = try String(contentsOfFile: config.alertsDirectory + "/report.md", encoding: .utf8)
        #expect(report.contains("已接收数据文件：\(e.files.count) 个"), "\(problems)")
    }

    @Test func regionFileIsWrittenAtOnceWhileActiveJSONWaitsForTheInterval() async throws {
        let f = try DaemonFixture()
        var config = f.config
        config.alertFilesInterval = .seconds(3600)
        let set = try RulesLoader.load(paths: config.rules).get()
        let d = try WarnDaemon(config: config, ruleSet: set, logger: f.log.logger, today: { Self.day })
        try await d.start()
        await d.flushAlertFiles()
        let regionFile = config.alertsDirectory + "/regions/测试县.json"
        func alerts(_ path: String) -> [[String: Any]]? {
            guard let data = FileManager.default.contents(atPath: path),
                let doc = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return nil }
            return doc["alerts"] as? [[String: Any]]
        }
        #expect(alerts(config.alertsDirectory + "/active.json")?.isEmpty == true)
        #expect(alerts(regionFile) == nil, "no alert in the region yet, no file")

        _ = await d.handle(DaemonFixture.submission("hiv.csv", DaemonTests.breachCSV))
        #expect(alerts(regionFile)?.map { $0["rule"] as? String } == ["t-hiv"], "the region file is current when handle returns")
        #expect(alerts(config.alertsDirectory + "/active.json")?.isEmpty == true, "active.json waits for the interval")
        #expect(f.log.with(MessageID.alertFiring).count == 1, "the journal does not wait")

        _ = await d.handle(DaemonFixture.submission("revision.csv", DaemonTests.revisionCSV))
        #expect(alerts(regionFile)?.isEmpty == true, "a region whose alerts resolved keeps an empty file")

        _ = await d.handle(DaemonFixture.submission("again.csv", "indicator,region,period,value\nhiv_mother_to_child_transmission_rate,测试县,2025,3\n"))
        await d.shutdown()
        #expect(alerts(config.alertsDirectory + "/active.json")?.map { $0["rule"] as? String } == ["t-hiv"],
            "after shutdown active.json holds the last state")
        let report = try String(contentsOfFile: config.alertsDirectory + "/report.md", encoding: .utf8)
        #expect(report.contains("| 艾滋病母婴传播率 | 测试县 | 3%（2025年） |"))
        #expect(report.contains("已接收数据文件：3 个（最近：again.csv）"))
    }

    @Test func regionFilesOfRegionsNoLongerPresentAreRemovedAtStartup() async throws {
        let f = try DaemonFixture()
        let stale = f.config.alertsDirectory + "/regions/旧县.json"
        try FileManager.default.createDirectory(atPath: f.config.alertsDirectory + "/regions", withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: stale))
        let d = try f.daemon()
        try await d.start()
        await d.flushAlertFiles()
        #expect(!FileManager.default.fileExists(atPath: stale))
    }
}
