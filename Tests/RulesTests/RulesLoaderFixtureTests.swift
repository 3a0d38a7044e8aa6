import Foundation
import Testing

@testable import Rules

/// The table of `Fixtures/rules/*.good.yaml` and `*.bad.yaml`: good files load, bad files yield exactly the
/// diagnostics their `# error: LINE:COL: message` header lines state, in order.
@Suite struct RulesLoaderFixtureTests {
    static let directory = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("rules")

    static func fixtures(_ suffix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(suffix) }.sorted()
    }

    static func input(_ name: String) -> RulesLoader.Input {
        let bytes = [UInt8](FileManager.default.contents(atPath: directory.appendingPathComponent(name).path)!)
        return RulesLoader.Input(path: "Fixtures/rules/\(name)", bytes: bytes)
    }

    static func load(_ name: String) -> Result<RuleSet, RulesLoadError> {
        RulesLoader.load([input("catalog.yaml"), input(name)])
    }

    @Test func thereAreFixtures() {
        #expect(Self.fixtures(".good.yaml").count >= 1)
        #expect(Self.fixtures(".bad.yaml").count >= 20)
    }

    @Test(arguments: fixtures(".good.yaml"))
    func goodFixtureLoads(_ name: String) throws {
        switch Self.load(name) {
        case .success(let set): #expect(set.ruleCount > 0)
        case .failure(let e): Issue.record("\(name) should load:\n\(e)")
        }
    }

    @Test(arguments: fixtures(".bad.yaml"))
    func badFixtureReportsExactPositions(_ name: String) throws {
        let text = String(decoding: Self.input(name).bytes, as: UTF8.self)
        let expected = text.split(separator: "\n").filter { $0.hasPrefix("# error: ") }
            .map { "Fixtures/rules/\(name):" + $0.dropFirst("# error: ".count) }
        #expect(!expected.isEmpty, "\(name) states no expected error")
        switch Self.load(name) {
        case .success: Issue.record("\(name) should fail to load")
        case .failure(let e):
            let actual = e.diagnostics.map { "\($0.location):\($0.level == .error ? "" : " warning:") \($0.message)" }
            #expect(actual == expected.map { String($0) })
        }
    }

    @Test func minimalFixtureHasTheDocumentedDefaults() throws {
        let set = try Self.load("minimal.good.yaml").get()
        let plan = try #require(set.plan("test-women"))
        #expect(plan.rules.map(\.id) == [
            "t-mmr/forecast", "t-mmr/fluctuation", "t-mmr/trajectory", "t-hiv", "t-employed/forecast",
            "t-employed/big-swing", "t-employed/robust", "t-screening/forecast", "t-screening/direction",
            "t-screening/gap", "t-screening/stale",
        ])
        let (_, forecast) = try #require(set.rule("t-mmr/forecast"))
        #expect(forecast.severity == .critical, "binding target → critical")
        #expect(forecast.target == Target(comparison: .less, value: .absolute(12), year: 2030))
        let (_, fluct) = try #require(set.rule("t-mmr/fluctuation"))
        #expect(fluct.severity == .warning, "fluctuation takes the plan default even when binding")
        #expect(fluct.kind == .fluctuation(FluctuationParameters(relative: 0.5, robustZ: 3)))
        let (_, hiv) = try #require(set.rule("t-hiv"))
        #expect(hiv.target?.scope == .everyYear)
        let (_, screening) = try #require(set.rule("t-screening/forecast"))
        #expect(screening.target?.value == .relative(change: 0.2, baseYear: 2020))
        #expect(screening.selector == ["area": "农村"])
        #expect(screening.severity == .info)
        #expect(screening.forPeriods == 2)
        #expect(screening.department == "县卫生健康局")
        guard case .forecast(let p) = screening.kind else { Issue.record("not a forecast"); return }
        #expect(p.window == 4 && p.level == 0.9 && p.minProbability == 0.6)
        #expect(p.onTrackCutoff == 0.9 && p.accelerationCutoff == 0.2)
        let (_, stale) = try #require(set.rule("t-screening/stale"))
        #expect(stale.kind == .stale(StaleParameters(dueMonth: 9, dueDay: 30)))
        let (_, employed) = try #require(set.rule("t-employed/forecast"))
        #expect(employed.target?.tolerance == 2)
        #expect(employed.target?.comparison == .approximately)
    }

    @Test func missingCatalogIsAnError() {
        guard case .failure(let e) = RulesLoader.load([Self.input("minimal.good.yaml")]) else {
            Issue.record("should fail")
            return
        }
        #expect(e.diagnostics.map(\.description) == [
            "Fixtures/rules/minimal.good.yaml:1:1: error: no indicator catalog: put indicators.yaml beside the rules files or name it on the command line",
        ])
    }

    @Test func deeplyNestedYAMLIsRefusedBeforeParsing() {
        let bomb = "plan: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n"
        guard case .failure(let e) = RulesLoader.load([RulesLoader.Input(path: "deep.yaml", bytes: Array(bomb.utf8))]) else {
            Issue.record("should fail")
            return
        }
        #expect(e.diagnostics.map(\.description) == ["deep.yaml:1:71: error: YAML nested more than 64 levels deep"])
    }

    @Test func invalidUTF8IsReportedAtItsPosition() {
        var bytes = Array("plan:\n  id: x\n  title: ".utf8)
        bytes += [0xB2, 0xE2, 0xCA, 0xD4]  // 测试 in GB18030
        bytes += Array("\n".utf8)
        guard case .failure(let e) = RulesLoader.load([RulesLoader.Input(path: "gbk.yaml", bytes: bytes)]) else {
            Issue.record("should fail")
            return
        }
        #expect(e.diagnostics.map(\.description) == ["gbk.yaml:3:10: error: invalid UTF-8; save rules files as UTF-8"])
    }
}
