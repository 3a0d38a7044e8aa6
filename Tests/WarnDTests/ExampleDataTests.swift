import Foundation
import Testing

/// The shipped example data (`examples/data`): accepted whole, a realistic picture, reproducible from its generator.
@Suite struct ExampleDataTests {
    static let data = WarnDBinary.root.appendingPathComponent("examples/data")

    static func evalJSON(_ arguments: [String]) throws -> [String: Any] {
        let out = try WarnDBinary.run(["eval"] + arguments + ["--now", "2025-07-01", "--format", "json"])
        #expect(out.status == 0, "\(out.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
    }

    /// 渠县 alone: its two plans and its two files, against a committed golden document
    /// (`WARND_UPDATE_GOLDEN=1` rewrites it).
    @Test func quxianEvaluationMatchesTheGoldenDocument() throws {
        let args = ["eval", "--rules", "rules/indicators.yaml", "--rules", "rules/quxian-women.yaml",
            "--rules", "rules/quxian-children.yaml", "--data", "examples/data/quxian-women.csv",
            "--data", "examples/data/quxian-children.csv", "--now", "2025-07-01", "--format", "json"]
        let out = try WarnDBinary.run(args)
        #expect(out.status == 0, "\(out.stderr)")
        let golden = WarnDBinary.fixtures.appendingPathComponent("examples/quxian.expected.json")
        if ProcessInfo.processInfo.environment["WARND_UPDATE_GOLDEN"] == "1" {
            try out.stdout.write(to: golden, atomically: true, encoding: .utf8)
        }
        #expect(out.stdout == (try String(contentsOf: golden, encoding: .utf8)))
    }

    @Test func everyRegionHasAlertsAndEveryKindFires() throws {
        let doc = try Self.evalJSON(["--rules", "rules", "--data", "examples/data"])
        let alerts = try #require(doc["alerts"] as? [[String: Any]])
        let regions = Set(alerts.compactMap { $0["region"] as? String })
        #expect(regions == ["渠县", "双阳区", "永川区", "威宁自治县", "秀峰区"])
        let kinds = Set(alerts.compactMap { $0["kind"] as? String })
        #expect(kinds == ["breach", "forecast", "trajectory", "fluctuation", "direction", "gap", "stale"])
        let quxianWomen = Set(alerts.filter { $0["plan"] as? String == "quxian-women" }.compactMap { $0["kind"] as? String })
        #expect(quxianWomen == kinds, "every kind fires in the first shipped plan")
        // Most rules stay quiet: a realistic picture, not a wall of red.
        let rules = try #require(try WarnDBinary.run(["check", "rules"]).stdout.split(separator: " ").dropLast().last.flatMap { Int($0) })
        #expect(alerts.count * 10 < rules, "\(alerts.count) alerts of \(rules) rules")
        // 威宁 is late with 2024: its stale rules fire.
        #expect(alerts.contains { $0["kind"] as? String == "stale" && $0["region"] as? String == "威宁自治县" })
    }

    @Test func oneFileIsGB18030AsChineseExcelSavesIt() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.data.path)
        let undecodable = names.filter { $0.hasSuffix(".csv") }.filter { name in
            let bytes = FileManager.default.contents(atPath: Self.data.appendingPathComponent(name).path)!
            return String(data: bytes, encoding: .utf8) == nil
        }
        #expect(undecodable == ["xiufeng-children.csv"])
        #expect(names.contains { $0.hasSuffix(".jsonl") })
    }

    static let python: String? = {
        for p in ["/usr/bin/python3", "/usr/local/bin/python3"] where FileManager.default.isExecutableFile(atPath: p) {
            let check = Process()
            check.executableURL = URL(fileURLWithPath: p)
            check.arguments = ["-c", "import yaml"]
            check.standardError = FileHandle.nullDevice
            try? check.run()
            check.waitUntilExit()
            if check.terminationStatus == 0 { return p }
        }
        return nil
    }()

    /// The generator is deterministic and the committed files are its output.
    @Test(.enabled(if: python != nil, "needs python3 with PyYAML (make test installs python3-yaml)"))
    func generatorReproducesTheCommittedFiles() throws {
        let dir = try TemporaryDirectory()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.python!)
        p.arguments = ["scripts/generate-example-data.py", "--out", dir.url.path]
        p.currentDirectoryURL = WarnDBinary.root
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let committed = try FileManager.default.contentsOfDirectory(atPath: Self.data.path).sorted()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted() == committed)
        for name in committed {
            let a = FileManager.default.contents(atPath: Self.data.appendingPathComponent(name).path)
            let b = FileManager.default.contents(atPath: dir.url.appendingPathComponent(name).path)
            #expect(a == b, "\(name) differs from the generator's output")
        }
    }
}
