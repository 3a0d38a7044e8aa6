import Foundation
import Testing

@testable import Rules

/// The shipped rules (`rules/`): valid, unique, traceable, and accounted for in `docs/plans.md`.
@Suite struct ShippedRulesTests {
    static let rulesDir = WarnDBinary.root.appendingPathComponent("rules")

    static func ruleSet() throws -> RuleSet {
        try RulesLoader.load(paths: [rulesDir.path]).get()
    }

    @Test func allTenPlansLoad() throws {
        let set = try Self.ruleSet()
        #expect(set.plans.count == 10)
        #expect(Set(set.plans.flatMap(\.regions)) == ["渠县", "双阳区", "永川区", "威宁自治县", "秀峰区"])
        #expect(set.plan("weining-women")?.targetYear == 2025)
        #expect(set.plan("quxian-women")?.targetYear == 2030)
    }

    @Test func everyRuleCitesItsSourceAndEveryIndicatorIsCatalogued() throws {
        let set = try Self.ruleSet()
        for rule in set.rules {
            #expect(rule.source?.text.isEmpty == false, "\(rule.id) has no source text")
            #expect(set.catalog[rule.indicator] != nil, "\(rule.id) uses an unknown indicator")
        }
        #expect(Set(set.rules.map(\.id)).count == set.ruleCount, "rule ids are unique across files")
    }

    @Test func everyCatalogIndicatorIsUsed() throws {
        let set = try Self.ruleSet()
        let used = Set(set.rules.map(\.indicator))
        #expect(Set(set.catalog.order).subtracting(used).isEmpty)
    }

    static let seeds = WarnDBinary.root.deletingLastPathComponent().appendingPathComponent("shared/seeds")

    /// The seeds are the plans as published; every rule's quote must be found in its plan's seed file (whitespace
    /// aside). They live in `../shared` beside the repository on our machines and CI.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: seeds.path), "needs ../shared/seeds beside the repository"))
    func sourceTextsAreQuotedFromTheSeeds() throws {
        let seeds = Self.seeds
        let files = ["quxian": "000", "shuangyang": "001", "yongchuan": "002", "weining": "003", "xiufeng": "004"]
        let names = try FileManager.default.contentsOfDirectory(atPath: seeds.path)
        func squeeze(_ s: String) -> String { s.filter { !$0.isWhitespace } }
        let set = try Self.ruleSet()
        for plan in set.plans {
            let region = String(plan.id.split(separator: "-")[0])
            let prefix = try #require(files[region])
            let name = try #require(names.first { $0.hasPrefix(prefix + "_") })
            let seed = squeeze(try String(contentsOf: seeds.appendingPathComponent(name), encoding: .utf8))
            for rule in plan.rules {
                #expect(seed.contains(squeeze(rule.source!.text)), "\(rule.id): '\(rule.source!.text)' is not in \(name)")
            }
        }
    }

    /// The summary table of docs/plans.md: `| plan | file | main goals | numeric targets | encoded | not encoded |
    /// rule entries | rules |`, checked against the files.
    @Test func coverageTableMatchesTheRulesFiles() throws {
        let doc = try String(contentsOf: WarnDBinary.root.appendingPathComponent("docs/plans.md"), encoding: .utf8)
        let set = try Self.ruleSet()
        var rows = 0
        for line in doc.split(separator: "\n") where line.hasPrefix("| ") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 8, let plan = set.plan(cells[0]) else { continue }
            rows += 1
            let numbers = cells[2...].compactMap { Int($0) }
            try #require(numbers.count == 6, "\(line)")
            let (targets, encoded, notEncoded, entries, rules) = (numbers[1], numbers[2], numbers[3], numbers[4], numbers[5])
            let bases = Dictionary(grouping: plan.rules) { String($0.id.split(separator: "/")[0]) }
            #expect(entries == bases.count, "\(plan.id): rule entries")
            #expect(rules == plan.rules.count, "\(plan.id): rules")
            #expect(encoded == bases.values.filter { $0.first?.target != nil }.count, "\(plan.id): encoded targets")
            #expect(encoded + notEncoded == targets, "\(plan.id): encoded + not encoded = numeric targets")
            #expect(cells[1] == "rules/\(plan.id).yaml")
        }
        #expect(rows == 10)
    }
}
