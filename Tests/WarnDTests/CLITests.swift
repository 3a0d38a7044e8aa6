import Foundation
import Testing

/// The rule tuner's CLI, run as a user runs it: exit codes, gcc-style errors, golden JSON.
@Suite struct CLITests {
    @Test func checkAcceptsTheShippedRules() throws {
        let out = try WarnDBinary.run(["check", "rules"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.hasPrefix("11 files OK: "))
        #expect(out.stderr.isEmpty)
    }

    @Test func checkPointsAtTheBrokenLineAndColumn() throws {
        let dir = try TemporaryDirectory()
        try FileManager.default.copyItem(at: WarnDBinary.fixtures.appendingPathComponent("catalog.yaml"), to: dir.url.appendingPathComponent("indicators.yaml"))
        let broken = """
            plan:
              id: broken
              title: 测试
              regions: [测试县]
              baseline_year: 2020
              target_year: 2030
            rules:
              - id: r1
                indicator: maternal_mortality_ratio
                target: {op: "<=", value: 12}
                source: {text: 孕产妇死亡率下降到12/10万以下}
                checks:
                  - kind: forecast
                    min_probabilty: 0.4

            """
        try broken.write(to: dir.url.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)
        let out = try WarnDBinary.run(["check", dir.url.path])
        #expect(out.status == 1)
        #expect(out.stderr == """
            \(dir.url.path)/broken.yaml:14:9: error: rule "r1/forecast": unknown key 'min_probabilty' (did you mean 'min_probability'?)
            1 error in 1 of 2 files

            """)
    }

    /// The benchmark generator (issue 4): two counties' rules pass `check`, their data is accepted by `eval`, and
    /// the same arguments write the same bytes.
    @Test func generateWritesRulesAndDataThatCheckAndEvalAccept() throws {
        let dir = try TemporaryDirectory()
        let a = dir.url.appendingPathComponent("a").path, b = dir.url.appendingPathComponent("b").path
        let gen = try WarnDBinary.run(["generate", "--counties", "2", "--out", a, "--years", "2018-2024"])
        #expect(gen.status == 0, "\(gen.stderr)")
        _ = try WarnDBinary.run(["generate", "--counties", "2", "--out", b, "--years", "2018-2024"])
        let check = try WarnDBinary.run(["check", a + "/rules"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.hasPrefix("5 files OK: "))
        let eval = try WarnDBinary.run(["eval", "--rules", a + "/rules", "--data", a + "/data", "--now", "2025-07-01",
            "--format", "json", "--timings"])
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(eval.stderr.contains("timings: "))
        for county in ["县0001", "县0002"] {
            let one = FileManager.default.contents(atPath: a + "/data/\(county).csv")
            #expect(one != nil && one == FileManager.default.contents(atPath: b + "/data/\(county).csv"))
            #expect(eval.stdout.contains(county))
        }
    }

    /// `--rules-layout shared` writes one file per plan listing every county, and finds exactly the alerts of the
    /// per-county layout (same rules per county, same data).
    @Test func generateSharedLayoutFindsThePerCountyAlerts() throws {
        let dir = try TemporaryDirectory()
        let a = dir.url.appendingPathComponent("per").path, b = dir.url.appendingPathComponent("shared").path
        _ = try WarnDBinary.run(["generate", "--counties", "3", "--out", a, "--years", "2018-2024"])
        let gen = try WarnDBinary.run(["generate", "--counties", "3", "--out", b, "--years", "2018-2024",
            "--rules-layout", "shared"])
        #expect(gen.status == 0, "\(gen.stderr)")
        let check = try WarnDBinary.run(["check", b + "/rules"])
        #expect(check.stdout.hasPrefix("3 files OK: 194 indicators, 2 plans, "), "\(check.stdout)")
        func alerts(_ dir: String) throws -> [String] {
            let out = try WarnDBinary.run(["eval", "--rules", dir + "/rules", "--data", dir + "/data", "--now",
                "2025-07-01", "--format", "json"])
            let doc = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]
            let list = doc?["alerts"] as? [[String: Any]] ?? []
            // Plan and rule ids differ between the layouts; the rule's suffix, the series and the state do not.
            return list.map { a in
                var rule = a["rule"] as? String ?? ""
                if let r = rule.range(of: #"^c[0-9]{4}-"#, options: .regularExpression) { rule.removeSubrange(r) }
                let dims = (a["dimensions"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }
                    .map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                return "\(rule) \(a["region"] as? String ?? "") \(dims) \(a["state"] as? String ?? "")"
            }.sorted()
        }
        let perCounty = try alerts(a), shared = try alerts(b)
        #expect(!shared.isEmpty)
        #expect(shared == perCounty)
    }

    @Test func checkUsageErrorExitsTwo() throws {
        let out = try WarnDBinary.run(["check", "--no-such-flag"])
        #expect(out.status == 2)
        #expect(out.stderr.contains("Unknown option '--no-such-flag'"))
    }

    @Test func evalRejectsABadPeriodAsUsage() throws {
        let out = try WarnDBinary.run(["eval", "--data", "examples/data", "--at", "2024Q5"])
        #expect(out.status == 2)
        #expect(out.stderr.contains("--at: expected a period like 2024, 2024Q3 or 2024-07, found '2024Q5'"))
    }

    /// `eval`/`backtest` arguments for one golden fixture: its rules, the shared catalog, its data.
    static func golden(_ kind: String) -> [String] {
        let dir = WarnDBinary.fixtures.appendingPathComponent("golden/\(kind)")
        return ["--rules", dir.appendingPathComponent("rules.yaml").path,
            "--catalog", WarnDBinary.fixtures.appendingPathComponent("catalog.yaml").path,
            "--data", dir.appendingPathComponent("data.csv").path]
    }

    static let kinds = ["breach", "forecast", "trajectory", "fluctuation", "direction", "gap", "stale"]

    /// `eval --format json` per rule kind against a committed golden file (`WARND_UPDATE_GOLDEN=1` rewrites them).
    @Test(arguments: kinds)
    func evalJSONMatchesTheGoldenFile(_ kind: String) throws {
        let dir = WarnDBinary.fixtures.appendingPathComponent("golden/\(kind)")
        let out = try WarnDBinary.run(["eval"] + Self.golden(kind) + ["--now", "2025-07-01", "--format", "json"])
        #expect(out.status == 0, "\(out.stderr)")
        let golden = dir.appendingPathComponent("expected.json")
        if ProcessInfo.processInfo.environment["WARND_UPDATE_GOLDEN"] == "1" {
            try out.stdout.write(to: golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(out.stdout == expected)
        // The document follows docs/alerts.md: one alert of this kind with the documented keys.
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect(doc["evaluated_at"] as? String == "2025-07-01")
        let alerts = try #require(doc["alerts"] as? [[String: Any]])
        #expect(alerts.count == 1)
        let a = try #require(alerts.first)
        #expect(a["kind"] as? String == kind)
        for key in ["id", "rule", "kind", "severity", "state", "plan", "indicator", "indicator_name", "unit", "region",
            "dimensions", "message", "labels"]
        {
            #expect(a[key] != nil, "alert lacks '\(key)'")
        }
        if kind == "forecast" {
            let f = try #require(a["forecast"] as? [String: Any])
            for key in ["method", "year", "value", "lower", "upper", "level", "p_meet", "progress_ratio", "status"] {
                #expect(f[key] != nil, "forecast lacks '\(key)'")
            }
        }
    }

    @Test func explainShowsTheNumbersBehindAForecast() throws {
        let out = try WarnDBinary.run(["eval"] + Self.golden("forecast") + ["--now", "2025-07-01", "--explain", "g-mmr"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("rule g-mmr/forecast (forecast, critical) — plan golden-forecast"))
        #expect(out.stdout.contains("points: 2020 20 · 2021 19.6 · 2022 19 · 2023 18.8 · 2024 18.2"))
        #expect(out.stdout.contains("fit: slope -0.44 per year"))
        #expect(out.stdout.contains("forecast 2030: 15.6  80% interval [15.13, 16.07]  p_meet <1%  progress ratio 0.55  status acceleration_needed  reach 2039"))
    }

    @Test func explainOfAnUnknownRuleSuggestsTheNearestId() throws {
        let out = try WarnDBinary.run(["eval"] + Self.golden("forecast") + ["--explain", "g-mmr/forcast"])
        #expect(out.status == 2)
        #expect(out.stderr.contains("--explain: no rule 'g-mmr/forcast' (did you mean 'g-mmr/forecast'?)"))
    }

    @Test func ruleTestsPassAndFailWithADiff() throws {
        let passing = try WarnDBinary.run(["test", WarnDBinary.fixtures.appendingPathComponent("ruletests/passing.test.yaml").path])
        #expect(passing.status == 0, "\(passing.stdout)\(passing.stderr)")
        #expect(passing.stdout.contains("PASS (2 tests, 3 evaluations)"))
        let failing = try WarnDBinary.run(["test", WarnDBinary.fixtures.appendingPathComponent("ruletests/failing.test.yaml").path])
        #expect(failing.status == 1)
        #expect(failing.stdout.contains("FAIL \"mmr forecast\" at 2024:"))
        #expect(failing.stdout.contains("  - g-mmr/forecast maternal_mortality_ratio{region=测试县} pending"))
        #expect(failing.stdout.contains("  + g-mmr/forecast maternal_mortality_ratio{region=测试县} firing"))
        #expect(failing.stdout.contains("FAIL (1 of 1 evaluations failed)"))
    }

    @Test func backtestShowsWhenAlertsFireAndClear() throws {
        let out = try WarnDBinary.run(["backtest"] + Self.golden("breach") + ["--from", "2022", "--to", "2024"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("2024  FIRING    critical g-hiv  hiv_mother_to_child_transmission_rate{region=测试县}"))
        #expect(out.stdout.contains("g-hiv  1 / 0 / 1"))
        #expect(!out.stdout.contains("2023  FIRING"))
    }
}

/// A directory under the system temporary directory, removed when the value goes away.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("warnd-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}
