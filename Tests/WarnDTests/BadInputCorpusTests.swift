import Foundation
import Rules
import Testing

@testable import WarnD

/// The bad-input corpus for data files and the daemon configuration (the rules files' corpus is
/// `Tests/RulesTests/Fixtures/rules/*.bad.yaml`).
///
/// - `Fixtures/baddata/NAME.csv|jsonl` with `NAME.expected`: every diagnostic, `file:line:column: error: message`,
///   one a line. Each file goes through the daemon's own `handle` (as a submission from the inbox): the answer
///   must be `rejected` with exactly those reasons, the store must be unchanged, and the daemon must still accept and
///   evaluate a good file afterwards.
/// - `Fixtures/badconfig/NAME.yaml` with `NAME.expected`: `DaemonConfiguration.load` fails with exactly those
///   diagnostics.
///
/// `WARND_RECORD=1` writes missing `.expected` files from what the code says (review them before committing).
@Suite struct BadInputCorpusTests {
    static let dataDir = WarnDBinary.fixtures.appendingPathComponent("baddata")
    static let configDir = WarnDBinary.fixtures.appendingPathComponent("badconfig")
    static let record = ProcessInfo.processInfo.environment["WARND_RECORD"] == "1"

    static func cases(_ dir: URL, _ extensions: [String]) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .filter { n in extensions.contains { n.hasSuffix("." + $0) } }.sorted()
    }

    static func expected(_ dir: URL, _ name: String, actual: [String]) -> [String]? {
        let url = dir.appendingPathComponent(name + ".expected")
        if let text = try? String(contentsOf: url, encoding: .utf8) {
            return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        }
        if record { try? (actual.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8) }
        return nil
    }

    @Test func corpusIsLargeEnough() {
        let data = Self.cases(Self.dataDir, ["csv", "jsonl"]).count
        let config = Self.cases(Self.configDir, ["yaml"]).count
        let rulesDir = WarnDBinary.root.appendingPathComponent("Tests/RulesTests/Fixtures/rules")
        let rules = Self.cases(rulesDir, ["yaml"]).filter { $0.hasSuffix(".bad.yaml") }.count
        #expect(data >= 30 && config >= 10)
        #expect(data + config + rules >= 60, "\(data) data, \(config) config, \(rules) rules cases")
    }

    static let good = """
        indicator,region,period,value
        hiv_mother_to_child_transmission_rate,测试县,2023,1.5
        hiv_mother_to_child_transmission_rate,测试县,2024,2.6

        """

    @Test(arguments: cases(dataDir, ["csv", "jsonl"]))
    func badDataFileIsRejectedExactlyAndChangesNothing(_ name: String) async throws {
        let f = try DaemonFixture()
        let d = try f.daemon()
        try await d.start()
        let before = try d.store.counts()
        let bytes = [UInt8](try Data(contentsOf: Self.dataDir.appendingPathComponent(name)))
        let result = await d.handle(Submission(name: name, bytes: bytes, sha256: SHA256.hex(bytes)))
        guard case .rejected(let reasons) = result else {
            Issue.record("\(name): expected a rejection, got \(result)")
            return
        }
        // Long lines must not be echoed whole into the journal or the .error file.
        for r in reasons { #expect(r.utf8.count < 2000, "\(name): a reason of \(r.utf8.count) bytes") }
        if let expected = Self.expected(Self.dataDir, name, actual: reasons) {
            #expect(reasons == expected, "\(name)")
        } else {
            Issue.record("\(name): no .expected file; actual:\n\(reasons.joined(separator: "\n"))")
        }
        let after = try d.store.counts()
        #expect(after.observations == before.observations && after.submissions == before.submissions,
            "\(name): the store changed")
        #expect(await d.dataset.count == 0)
        // Still evaluating: a good file afterwards is stored and fires its alert.
        let next = await d.handle(DaemonFixture.submission("good.csv", Self.good))
        #expect(next == .accepted(rows: 2, series: 1), "\(name)")
        #expect(f.events.count == 1, "\(name): the good file's alert was not announced")
    }

    @Test(arguments: cases(configDir, ["yaml"]))
    func badConfigurationIsRefusedExactly(_ name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: Self.configDir.appendingPathComponent(name)))
        switch DaemonConfiguration.load(path: name, bytes: bytes, over: .defaults(environment: [:])) {
        case .success(let c): Issue.record("\(name) should be refused, loaded \(c)")
        case .failure(let e):
            let actual = e.diagnostics.map(\.description)
            if let expected = Self.expected(Self.configDir, name, actual: actual) {
                #expect(actual == expected, "\(name)")
            } else {
                Issue.record("\(name): no .expected file; actual:\n\(actual.joined(separator: "\n"))")
            }
        }
    }
}
