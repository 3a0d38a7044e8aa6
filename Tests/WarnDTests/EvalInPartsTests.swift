import Foundation
import Testing

/// `warnd eval --data` of a big CSV file parses it a part at a time (``CSVPartReader``): what it prints, and every
/// error, must be what parsing the file whole gives.
@Suite struct EvalInPartsTests {
    /// Each test's own, removed after it.
    let tmp: TemporaryDirectory

    init() throws {
        tmp = try TemporaryDirectory()
    }

    /// One generated county as one file (4 160 rows, ≈ 230 kB), its rules, and the eval command before `--data`.
    private func generated() throws -> (dir: String, data: String, eval: [String]) {
        let dir = tmp.url.path
        let out = try WarnDBinary.run(["generate", "--counties", "1", "--rules-layout", "shared", "--one-file", "--out", dir + "/gen"])
        try #require(out.status == 0, "\(out.stderr)")
        return (dir, dir + "/gen/data/data.csv",
            ["eval", "--rules", dir + "/gen/rules", "--now", "2025-07-01", "--format", "json", "--timings"])
    }

    private func parts(_ out: WarnDBinary.Output) -> Int? {
        guard let r = out.stderr.range(of: #"parts=(\d+)"#, options: .regularExpression) else { return nil }
        return Int(out.stderr[r].dropFirst("parts=".count))
    }

    private func lines(_ path: String) throws -> [Substring] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    }

    @Test func aBigFileEvaluatedInPartsPrintsWhatTheWholeFilePrints() throws {
        let (_, data, eval) = try generated()
        let inParts = try WarnDBinary.run(eval + ["--part-bytes", "20000", "--data", data])
        let whole = try WarnDBinary.run(eval + ["--part-bytes", "100000000", "--data", data])
        #expect(inParts.status == 0, "\(inParts.stderr)")
        #expect(parts(inParts).map { $0 > 5 } == true, "\(inParts.stderr)")
        #expect(parts(whole) == 0)
        #expect(inParts.stdout == whole.stdout)
        #expect(inParts.stdout.contains("\"alerts\""))
    }

    @Test func aFileWithAByteOrderMarkAndCRLFIsStillReadInParts() throws {
        let (dir, data, eval) = try generated()
        let crlf = dir + "/crlf.csv"
        let text = try lines(data).joined(separator: "\r\n")
        try Data([0xEF, 0xBB, 0xBF] + Array(text.utf8)).write(to: URL(fileURLWithPath: crlf))
        let inParts = try WarnDBinary.run(eval + ["--part-bytes", "20000", "--data", crlf])
        let whole = try WarnDBinary.run(eval + ["--data", data])
        #expect(parts(inParts).map { $0 > 5 } == true, "\(inParts.stderr)")
        #expect(inParts.stdout == whole.stdout)
    }

    @Test func aQuotedFieldHasTheFileParsedWhole() throws {
        let (_, data, eval) = try generated()
        var rows = try lines(data)
        var cells = rows[3000].split(separator: ",", omittingEmptySubsequences: false)
        cells[3] = "\"\(cells[3])\""
        rows[3000] = cells.joined(separator: ",")[...]
        try rows.joined(separator: "\n").write(toFile: data, atomically: false, encoding: .utf8)
        let out = try WarnDBinary.run(eval + ["--part-bytes", "20000", "--data", data])
        let whole = try WarnDBinary.run(eval + ["--part-bytes", "100000000", "--data", data])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(parts(out) == 0, "a quote could hold a line break: never cut")
        #expect(out.stdout == whole.stdout)
    }

    @Test func aProblemInALaterPartIsReportedAsForTheWholeFile() throws {
        let (_, data, eval) = try generated()
        var rows = try lines(data)
        var cells = rows[4000].split(separator: ",", omittingEmptySubsequences: false)
        cells[3] = "abc"
        rows[4000] = cells.joined(separator: ",")[...]
        try rows.joined(separator: "\n").write(toFile: data, atomically: false, encoding: .utf8)
        let out = try WarnDBinary.run(eval + ["--part-bytes", "20000", "--data", data])
        let whole = try WarnDBinary.run(eval + ["--part-bytes", "100000000", "--data", data])
        #expect(out.status == 1)
        #expect(out.stderr.contains("\(data):4001:"), "\(out.stderr)")
        #expect(out.stderr.contains("expected a decimal number"))
        #expect(out.stderr == whole.stderr, "once, and worded as for the whole file")
    }

    @Test func aSeriesAndPeriodInTwoPartsIsJudgedAsInTheWholeFile() throws {
        let (dir, data, eval) = try generated()
        let rows = try lines(data)
        // The second line again at the end: identical, it is dropped; with another value, the file is refused.
        let same = dir + "/same.csv"
        try (rows.joined(separator: "\n") + rows[1] + "\n").write(toFile: same, atomically: false, encoding: .utf8)
        let sameInParts = try WarnDBinary.run(eval + ["--part-bytes", "20000", "--data", same])
        let sameWhole = try WarnDBinary.run(eval + ["--part-bytes", "100000000", "--data", same])
        #expect(sameInParts.status == 0, "\(sameInParts.stderr)")
        #expect(sameInParts.stdout == sameWhole.stdout)
        var cells = rows[1].split(separator: ",", omittingEmptySubsequences: false)
        cells[3] = "99.5"
        let conflict = dir + "/conflict.csv"
        try (rows.joined(separator: "\n") + cells.joined(separator: ",") + "\n").write(toFile: conflict, atomically: false, encoding: .utf8)
        let out = try WarnDBinary.run(eval + ["--part-bytes", "20000", "--data", conflict])
        let whole = try WarnDBinary.run(eval + ["--part-bytes", "100000000", "--data", conflict])
        #expect(out.status == 1 && whole.status == 1, "\(whole.stderr)")
        #expect(out.stderr == whole.stderr, "\(out.stderr)")
        #expect(out.stderr.contains("\(conflict):\(rows.count):"), "\(out.stderr)")
    }
}
