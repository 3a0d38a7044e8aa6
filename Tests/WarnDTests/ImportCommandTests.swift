import Foundation
import Rules
import Testing

@testable import WarnD

/// `warnd import`, run as an operator loading history before starting the service (shipped rules: 渠县).
@Suite(.timeLimit(.minutes(2))) struct ImportCommandTests {
    private let header = "indicator,region,period,value,source\n"

    private func sandbox() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warnd-import-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/files", withIntermediateDirectories: true)
        return dir
    }

    private func write(_ dir: String, _ name: String, _ body: String) throws -> String {
        let path = dir + "/files/" + name
        try (header + body).write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    private let key = SeriesKey(indicator: "women_life_expectancy", region: "渠县")

    @Test func importStoresFilesAndSkipsOnesAlreadyStored() throws {
        let dir = try sandbox()
        let a = try write(dir, "a.csv", "women_life_expectancy,渠县,2018,80.1,局\nwomen_life_expectancy,渠县,2019,80.2,局\n")
        let b = try write(dir, "b.csv", "women_life_expectancy,渠县,2020,80.3,局\n")
        let first = try WarnDBinary.run(["import", "--state-dir", dir + "/state", a, b])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("\(a): 2 rows, 1 series"))
        #expect(first.stdout.contains("total: 2 imported (3 rows), 0 already stored, 0 refused"))
        let copy = try write(dir, "a-again.csv", "women_life_expectancy,渠县,2018,80.1,局\nwomen_life_expectancy,渠县,2019,80.2,局\n")
        let second = try WarnDBinary.run(["import", "--state-dir", dir + "/state", copy])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("\(copy): already stored as a.csv"))
        let store = try Store(path: dir + "/state/warnd.sqlite")
        #expect(try store.counts() == (observations: 3, submissions: 2))
        #expect(try store.provenance(of: key, period: .year(2019)).map { "\($0.value!) \($0.submission)" } == "80.2 a.csv")
    }

    @Test func aBadFileIsRefusedWithItsPositionAndLeavesTheStoreUnchanged() throws {
        let dir = try sandbox()
        let good = try write(dir, "good.csv", "women_life_expectancy,渠县,2018,80.1,局\n")
        let bad = try write(dir, "bad.csv", "women_life_expectancy,渠县,2019,80.2,局\nwomen_life_expectancy,渠县,2020,abc,局\n")
        let out = try WarnDBinary.run(["import", "--state-dir", dir + "/state", good, bad])
        #expect(out.status == 1)
        #expect(out.stderr.contains("\(bad):3:"), "\(out.stderr)")
        #expect(out.stderr.contains("expected a decimal number, found 'abc'"))
        #expect(out.stdout.contains("total: 1 imported (1 rows), 0 already stored, 1 refused"))
        let store = try Store(path: dir + "/state/warnd.sqlite")
        #expect(try store.counts() == (observations: 1, submissions: 1))
        #expect(try store.provenance(of: key, period: .year(2019)) == nil, "no row of the bad file is stored")
    }

    @Test func aLaterFileRevisesAnEarlierValueAndKeepsTheOldOne() throws {
        let dir = try sandbox()
        let a = try write(dir, "a.csv", "women_life_expectancy,渠县,2018,80.1,局\n")
        let b = try write(dir, "b.csv", "women_life_expectancy,渠县,2018,80.4,局\nwomen_life_expectancy,渠县,2019,80.5,局\n")
        let out = try WarnDBinary.run(["import", "--state-dir", dir + "/state", a, b, "--time-load"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("load: 1 series, 2 observations"))
        let store = try Store(path: dir + "/state/warnd.sqlite")
        #expect(try store.counts() == (observations: 2, submissions: 2))
        #expect(try store.provenance(of: key, period: .year(2018)).map { "\($0.value!) \($0.submission)" } == "80.4 b.csv")
        #expect(try store.revisions(of: key, period: .year(2018)).map { "\($0.value!) \($0.submission)→\($0.replacedBy)" }
            == ["80.1 a.csv→b.csv"])
    }

    @Test func importRefusesWhileAnotherProcessHasTheStoreOpen() throws {
        let dir = try sandbox()
        try FileManager.default.createDirectory(atPath: dir + "/state", withIntermediateDirectories: true)
        let daemon = try Store(path: dir + "/state/warnd.sqlite")
        let a = try write(dir, "a.csv", "women_life_expectancy,渠县,2018,80.1,局\n")
        let out = try WarnDBinary.run(["import", "--state-dir", dir + "/state", a])
        #expect(out.status == 1)
        #expect(out.stderr.contains("the store is open in another process"), "\(out.stderr)")
        #expect(try daemon.counts().submissions == 0)
    }

    /// One generated county as one file (4 160 rows, ≈ 230 kB) and its rules.
    private func generated() throws -> (dir: String, rules: String, data: String) {
        let dir = try sandbox()
        let out = try WarnDBinary.run(["generate", "--counties", "1", "--rules-layout", "shared", "--one-file", "--out", dir + "/gen"])
        try #require(out.status == 0, "\(out.stderr)")
        return (dir, dir + "/gen/rules", dir + "/gen/data/data.csv")
    }

    private func dump(_ database: String) throws -> [String] {
        let store = try Store(path: database)
        return try store.pool.read { db in
            try String.fetchAll(db, sql: """
                SELECT indicator || '|' || region || '|' || dimensions || '|' || period || '|' || ifnull(value, '-')
                    || '|' || line || '|' || ifnull(source, '-') FROM observation_text ORDER BY 1
                """)
        }
    }

    @Test func aBigFileStoredInPartsEndsExactlyAsStoredWhole() throws {
        let (dir, rules, data) = try generated()
        let parts = try WarnDBinary.run(["import", "--state-dir", dir + "/parts", "--rules", rules, "--part-bytes", "20000", data])
        #expect(parts.status == 0, "\(parts.stderr)")
        #expect(parts.stdout.contains("parts in"), "\(parts.stdout)")
        let whole = try WarnDBinary.run(["import", "--state-dir", dir + "/whole", "--rules", rules, data])
        #expect(whole.status == 0 && !whole.stdout.contains("parts in"))
        let stored = try dump(dir + "/parts/warnd.sqlite")
        #expect(stored.count == 4160)
        #expect(stored == (try dump(dir + "/whole/warnd.sqlite")))
        let again = try WarnDBinary.run(["import", "--state-dir", dir + "/parts", "--rules", rules, "--part-bytes", "20000", data])
        #expect(again.stdout.contains("already stored as data.csv"), "\(again.stdout)")
        #expect(try Store(path: dir + "/parts/warnd.sqlite").counts() == (observations: 4160, submissions: 1))
    }

    @Test func evalFromAStateDirectoryPrintsWhatEvalFromTheImportedFilesPrints() throws {
        let (dir, rules, data) = try generated()
        let imported = try WarnDBinary.run(["import", "--state-dir", dir + "/s", "--rules", rules, data])
        try #require(imported.status == 0, "\(imported.stderr)")
        let common = ["eval", "--rules", rules, "--now", "2025-07-01", "--format", "json"]
        let fromFiles = try WarnDBinary.run(common + ["--data", data])
        let fromStore = try WarnDBinary.run(common + ["--state-dir", dir + "/s", "--timings"])
        #expect(fromStore.status == 0, "\(fromStore.stderr)")
        #expect(fromStore.stdout == fromFiles.stdout)
        #expect(fromStore.stdout.contains("\"alerts\""))
        #expect(fromStore.stderr.contains("load_ms="), "\(fromStore.stderr)")
        let missing = try WarnDBinary.run(common + ["--state-dir", dir + "/nothing"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no store here"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/nothing/warnd.sqlite"))
        let both = try WarnDBinary.run(common + ["--state-dir", dir + "/s", "--data", data])
        #expect(both.status != 0 && both.stderr.contains("not both"), "\(both.stderr)")
    }

    @Test func aProblemInALaterPartIsReportedAsForTheWholeFileAndNothingIsStored() throws {
        let (dir, rules, data) = try generated()
        var lines = try String(contentsOfFile: data, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        var cells = lines[4000].split(separator: ",", omittingEmptySubsequences: false)
        cells[3] = "abc"
        lines[4000] = cells.joined(separator: ",")[...]
        try lines.joined(separator: "\n").write(toFile: data, atomically: false, encoding: .utf8)
        let out = try WarnDBinary.run(["import", "--state-dir", dir + "/s", "--rules", rules, "--part-bytes", "20000", data])
        #expect(out.status == 1)
        #expect(out.stderr.contains("\(data):4001:"), "\(out.stderr)")
        #expect(out.stderr.contains("expected a decimal number"))
        #expect(try Store(path: dir + "/s/warnd.sqlite").counts() == (observations: 0, submissions: 0))
    }

    @Test func aRowRepeatedAcrossPartsIsStoredOnceAsTheInboxWould() throws {
        let (dir, rules, data) = try generated()
        var text = try String(contentsOfFile: data, encoding: .utf8)
        let second = text.split(separator: "\n")[1]
        text += second + "\n"  // an identical repeat, far from the first: dropped by the parser
        try text.write(toFile: data, atomically: false, encoding: .utf8)
        let out = try WarnDBinary.run(["import", "--state-dir", dir + "/s", "--rules", rules, "--part-bytes", "20000", data])
        #expect(out.status == 0, "\(out.stderr)")
        let store = try Store(path: dir + "/s/warnd.sqlite")
        #expect(try store.counts() == (observations: 4160, submissions: 1))
        #expect(try dump(dir + "/s/warnd.sqlite").contains { $0.hasSuffix("|2|synthetic") }, "the first line keeps its value")
    }
}
