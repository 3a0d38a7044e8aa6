import Foundation
import Glibc
import Testing

@testable import WarnD

/// `warnd ingest`, run as a department's operator runs it.
@Suite(.timeLimit(.minutes(2))) struct IngestCommandTests {
    /// Every inotify event in `directory` while `body` runs, as (name, mask).
    private func events(in directory: String, during body: () throws -> Void) throws -> [(String, UInt32)] {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        try #require(fd >= 0)
        defer { close(fd) }
        let mask = UInt32(IN_CREATE) | UInt32(IN_MODIFY) | UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO)
            | UInt32(IN_ATTRIB)
        try #require(inotify_add_watch(fd, directory, mask) >= 0)
        try body()
        var out: [(String, UInt32)] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            var offset = 0
            while offset + 16 <= n {
                let (mask, length) = buffer.withUnsafeBytes {
                    ($0.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                     Int($0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)))
                }
                let name = buffer[(offset + 16)..<(offset + 16 + length)].prefix { $0 != 0 }
                out.append((String(decoding: name, as: UTF8.self), mask))
                offset += 16 + length
            }
        }
        return out
    }

    @Test(.enabled(if: InboxWatcher.inotifyAvailable(for: FileManager.default.temporaryDirectory.path)))
    func ingestCopiesAtomicallySoTheInboxNeverShowsAPartialFileUnderItsName() throws {
        let box = try IngestSandbox()
        // Large enough to take many writes: a reader watching by name would see it half-written with `cp`.
        var contents = "indicator,region,period,value\n"
        while contents.utf8.count < 3 << 20 { contents += "maternal_mortality_ratio,北京市,2024,10.8\n" }
        let source = box.outside + "/报表 2024.csv"
        try contents.write(toFile: source, atomically: false, encoding: .utf8)

        var output: WarnDBinary.Output?
        let seen = try events(in: box.layout.inbox) {
            output = try WarnDBinary.run(["ingest", "--state-dir", box.layout.stateDirectory, source])
        }

        let out = try #require(output)
        #expect(out.status == 0, "\(out.stderr)")
        let sha = SHA256.hex(Array(contents.utf8))
        #expect(out.stdout == "\(source): handed to \(box.layout.inbox)/报表 2024.csv (sha256 \(sha.prefix(16)))\n")
        #expect(box.inboxNames == ["报表 2024.csv"])
        #expect(box.text(box.layout.inbox + "/报表 2024.csv") == contents)
        // Under its own name the file only ever appeared by a rename; every write went to a dot-name.
        let final = seen.filter { $0.0 == "报表 2024.csv" }
        #expect(final.count == 1, "\(seen.map { "\($0.0) \(String($0.1, radix: 16))" })")
        #expect(final.allSatisfy { $0.1 & UInt32(IN_MOVED_TO) != 0 })
        let writes = seen.filter { $0.1 & (UInt32(IN_CREATE) | UInt32(IN_MODIFY)) != 0 }
        #expect(!writes.isEmpty)
        #expect(writes.allSatisfy { $0.0.hasPrefix(".") })
    }

    @Test func ingestUsesTheStateDirectoryFromSystemdAndTheDaemonTakesTheFile() async throws {
        let box = try IngestSandbox()
        let source = box.outside + "/data.jsonl"
        try "{}\n".write(toFile: source, atomically: false, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["STATE_DIRECTORY"] = box.layout.stateDirectory + ":/elsewhere"

        let out = try WarnDBinary.run(["ingest", source], environment: environment)

        #expect(out.status == 0, "\(out.stderr)")
        #expect(box.inboxNames == ["data.jsonl"])
        let handler = FakeSubmissionHandler()
        let ingestor = box.ingestor(handler)
        var schedule = ingestor.newSchedule()
        _ = await ingestor.pass(&schedule)
        #expect(await handler.calls.map(\.bytes) == [Array("{}\n".utf8)])
    }

    @Test func ingestNeverReplacesAFileStillWaitingInTheInbox() throws {
        let box = try IngestSandbox()
        try box.drop("same.csv", "waiting")
        let source = box.outside + "/same.csv"
        try "newer".write(toFile: source, atomically: false, encoding: .utf8)

        let out = try WarnDBinary.run(["ingest", "--inbox", box.layout.inbox, source])

        #expect(out.status == 1)
        #expect(out.stderr.contains("\(source): error: the inbox already holds a file named 'same.csv'"))
        #expect(box.text(box.layout.inbox + "/same.csv") == "waiting")
        #expect(box.inboxNames == ["same.csv"])  // no staging file left behind
    }

    @Test func ingestRefusesADotNameTheDaemonWouldIgnore() throws {
        let box = try IngestSandbox()
        let source = box.outside + "/.hidden.csv"
        try "x".write(toFile: source, atomically: false, encoding: .utf8)
        let out = try WarnDBinary.run(["ingest", "--inbox", box.layout.inbox, source])
        #expect(out.status == 1)
        #expect(out.stderr.contains("the name starts with '.'"))
        #expect(box.inboxNames.isEmpty)
    }

    @Test func dryRunReportsEveryErrorGccStyleAndExitsOne() throws {
        let box = try IngestSandbox()
        let good = box.outside + "/good.csv"
        let bad = box.outside + "/bad.csv"
        try """
            indicator,region,period,value
            hiv_mother_to_child_transmission_rate,测试县,2024,1.4

            """.write(toFile: good, atomically: false, encoding: .utf8)
        try """
            indicator,region,period,value
            hiv_mother_to_child_transmission_rat,测试县,2024,1.4
            hiv_mother_to_child_transmission_rate,测试县,2024Q5,1.4

            """.write(toFile: bad, atomically: false, encoding: .utf8)
        let rules = WarnDBinary.fixtures.appendingPathComponent("golden/breach/rules.yaml").path
        let catalog = WarnDBinary.fixtures.appendingPathComponent("catalog.yaml").path

        let out = try WarnDBinary.run([
            "ingest", "--dry-run", "--inbox", box.layout.inbox, "--rules", rules, "--catalog", catalog, good, bad,
        ])

        #expect(out.status == 1)
        #expect(out.stdout == "\(good): OK, 1 rows, 1 series (csv, utf-8)\n")
        let lines = out.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(out.stderr)")
        #expect(lines.first?.hasPrefix("\(bad):2:1: error: unknown indicator 'hiv_mother_to_child_transmission_rat'")
            == true)
        #expect(lines.dropFirst().first?.hasPrefix("\(bad):3:") == true)
        #expect(lines.last == "warnd: 1 of 2 files invalid")
        #expect(box.inboxNames.isEmpty)  // a dry run hands nothing over
    }

    @Test func dryRunOfValidFilesExitsZero() throws {
        let box = try IngestSandbox()
        let good = box.outside + "/good.jsonl"
        let row = #"{"indicator": "hiv_mother_to_child_transmission_rate", "region": "测试县", "period": 2024, "#
            + #""value": 1.4}"#
        try (row + "\n").write(toFile: good, atomically: false, encoding: .utf8)
        let out = try WarnDBinary.run([
            "ingest", "--dry-run",
            "--rules", WarnDBinary.fixtures.appendingPathComponent("golden/breach/rules.yaml").path,
            "--catalog", WarnDBinary.fixtures.appendingPathComponent("catalog.yaml").path, good,
        ])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout == "\(good): OK, 1 rows, 1 series (jsonl, utf-8)\n")
    }

    @Test func stateDirAndInboxTogetherAreAUsageError() throws {
        let out = try WarnDBinary.run(["ingest", "--state-dir", "/a", "--inbox", "/b", "x.csv"])
        #expect(out.status == 2)
        #expect(out.stderr.contains("give --state-dir or --inbox, not both"))
    }
}
