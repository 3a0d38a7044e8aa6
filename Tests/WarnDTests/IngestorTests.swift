import Foundation
import Glibc
import Testing

@testable import WarnD

/// What the ingestor does with each answer of the handler: where the file goes, what it says, what it logs.
@Suite(.timeLimit(.minutes(2))) struct IngestorTests {
    @Test func acceptedFileIsArchivedUnderItsDayAndHashWithItsBytesUnchanged() async throws {
        let box = try IngestSandbox()
        let contents = "indicator,region,period,value\nmaternal_mortality_ratio,北京市,2024,10.8\n"
        try box.drop("北京 2024.csv", contents)
        let handler = FakeSubmissionHandler(answers: ["北京 2024.csv": [.accepted(rows: 1, series: 1)]])
        let ingestor = box.ingestor(handler)
        var schedule = ingestor.newSchedule()

        let report = await ingestor.pass(&schedule)

        let calls = await handler.calls
        #expect(calls.count == 1)
        let sha = SHA256.hex(Array(contents.utf8))
        #expect(calls.first?.name == "北京 2024.csv")
        #expect(calls.first?.bytes == Array(contents.utf8))
        #expect(calls.first?.sha256 == sha)
        #expect(box.inboxNames.isEmpty)
        let archived = try #require(box.archiveNames.first)
        #expect(box.archiveNames.count == 1)
        #expect(archiveName(archived, sha256: sha, rest: "北京 2024.csv"), "\(archived)")
        #expect(box.bytes(box.layout.archive + "/" + archived) == Array(contents.utf8))
        #expect(report["北京 2024.csv"] == .archived(archived))
        #expect(report.nextDue == nil)
    }

    @Test func acceptedFileIsLoggedWithFileHashRowsAndSeries() async throws {
        let box = try IngestSandbox()
        try box.drop("a.csv", "x")
        let handler = FakeSubmissionHandler(answers: ["a.csv": [.accepted(rows: 12, series: 3)]])
        let ingestor = box.ingestor(handler)
        var schedule = ingestor.newSchedule()
        _ = await ingestor.pass(&schedule)

        let record = try #require(box.logs.all.first { $0.metadata["MESSAGE_ID"] == MessageID.fileAccepted })
        #expect(record.level == .notice)
        #expect(record.metadata["file"] == "a.csv")
        #expect(record.metadata["sha256"] == SHA256.hex(Array("x".utf8)))
        #expect(record.metadata["rows"] == "12")
        #expect(record.metadata["series"] == "3")
    }

    @Test func rejectedFileGoesToRejectedWithEveryReasonInItsErrorFile() async throws {
        let box = try IngestSandbox()
        try box.drop("bad.csv", "indicator,region\n")
        let reasons = [
            "bad.csv:1:1: error: missing required column 'period'",
            "bad.csv:1:1: error: missing required column 'value'",
        ]
        let handler = FakeSubmissionHandler(answers: ["bad.csv": [.rejected(reasons: reasons)]])
        let ingestor = box.ingestor(handler)
        var schedule = ingestor.newSchedule()

        let report = await ingestor.pass(&schedule)

        #expect(report["bad.csv"] == .rejected("bad.csv"))
        #expect(box.inboxNames.isEmpty)
        #expect(box.rejectedNames == ["bad.csv", "bad.csv.error"])
        #expect(box.text(box.layout.rejected + "/bad.csv") == "indicator,region\n")
        let lines = try #require(box.text(box.layout.rejected + "/bad.csv.error")).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.first?.hasPrefix("rejected at ") == true)
        #expect(lines.first?.contains("invalid data (2 errors)") == true)
        #expect(Array(lines.dropFirst()).map(String.init) == reasons)
        let record = try #require(box.logs.all.first { $0.metadata["MESSAGE_ID"] == MessageID.fileRejected })
        #expect(record.metadata["reason"] == reasons.joined(separator: "\n"))
    }

    @Test func aSecondRejectionUnderTheSameNameGetsANumberedNameAndNothingIsReplaced() async throws {
        let box = try IngestSandbox()
        let handler = FakeSubmissionHandler(answers: ["bad.csv": [.rejected(reasons: ["bad.csv:1:1: error: x"])]])
        let ingestor = box.ingestor(handler)
        var schedule = ingestor.newSchedule()
        try box.drop("bad.csv", "first")
        _ = await ingestor.pass(&schedule)
        try box.drop("bad.csv", "second")
        let report = await ingestor.pass(&schedule)

        #expect(report["bad.csv"] == .rejected("bad.csv.1"))
        #expect(box.rejectedNames == ["bad.csv", "bad.csv.1", "bad.csv.1.error", "bad.csv.error"])
        #expect(box.text(box.layout.rejected + "/bad.csv") == "first")
        #expect(box.text(box.layout.rejected + "/bad.csv.1") == "second")
    }

    @Test func duplicateIsArchivedBesideItsOriginalAndMarkedAsSuch() async throws {
        let box = try IngestSandbox()
        let handler = FakeSubmissionHandler(answers: ["again.csv": [.duplicate(of: "first.csv")]])
        let ingestor = box.ingestor(handler)
        var schedule = ingestor.newSchedule()
        try box.drop("first.csv", "same bytes")
        try box.drop("again.csv", "same bytes")

        let report = await ingestor.pass(&schedule)

        let sha = SHA256.hex(Array("same bytes".utf8))
        #expect(box.inboxNames.isEmpty)
        #expect(box.archiveNames.count == 2)
        #expect(box.archiveNames.contains { archiveName($0, sha256: sha, rest: "first.csv") })
        let duplicate = try #require(
            box.archiveNames.first { archiveName($0, sha256: sha, rest: "duplicate-again.csv") })
        #expect(report["again.csv"] == .archived(duplicate))
        #expect(box.text(box.layout.archive + "/" + duplicate) == "same bytes")
        let record = try #require(box.logs.all.first { $0.metadata["MESSAGE_ID"] == MessageID.fileDuplicate })
        #expect(record.metadata["reason"] == "duplicate of first.csv")
    }

    @Test func filesAreHandledOneAtATimeInNameOrder() async throws {
        let box = try IngestSandbox()
        for name in ["2024-03.csv", "2024-01.csv", "2024-02.csv", "b.jsonl", "A.csv"] { try box.drop(name, name) }
        let handler = FakeSubmissionHandler()
        let ingestor = box.ingestor(handler)
        var schedule = ingestor.newSchedule()
        _ = await ingestor.pass(&schedule)
        #expect(await handler.names() == ["2024-01.csv", "2024-02.csv", "2024-03.csv", "A.csv", "b.jsonl"])
    }

    @Test func failedFileStaysInTheInboxAndIsRetriedAfterABackoff() async throws {
        let box = try IngestSandbox()
        try box.drop("later.csv", "data")
        let handler = FakeSubmissionHandler(answers: [
            "later.csv": [.failed(reason: "disk full"), .failed(reason: "disk full"), .accepted(rows: 1, series: 1)],
        ])
        let ingestor = box.ingestor(handler, retryInitial: .seconds(60))
        var schedule = ingestor.newSchedule()
        let t0 = ContinuousClock.now

        let first = await ingestor.pass(&schedule, now: t0)
        #expect(first["later.csv"] == .left("disk full"))
        #expect(first.nextDue == .seconds(60))
        #expect(box.inboxNames == ["later.csv"])
        #expect(box.logs.all.contains { $0.metadata["MESSAGE_ID"] == MessageID.ingestFailed })

        // Not before its time: no busy loop against a failing store.
        let early = await ingestor.pass(&schedule, now: t0 + .seconds(30))
        #expect(await handler.calls.count == 1)
        #expect(early.dispositions.isEmpty)
        #expect(early.nextDue == .seconds(30))

        // Each failure doubles the wait.
        let second = await ingestor.pass(&schedule, now: t0 + .seconds(61))
        #expect(second["later.csv"] == .left("disk full"))
        #expect(second.nextDue == .seconds(120))
        _ = await ingestor.pass(&schedule, now: t0 + .seconds(150))
        #expect(await handler.calls.count == 2)

        let third = await ingestor.pass(&schedule, now: t0 + .seconds(182))
        #expect(await handler.calls.count == 3)
        #expect(box.inboxNames.isEmpty)
        #expect(third["later.csv"].map { if case .archived = $0 { true } else { false } } == true)
    }

    @Test func aFailedFileHoldsBackTheFilesAfterItSoRevisionsApplyInNameOrder() async throws {
        let box = try IngestSandbox()
        for name in ["2024-01.csv", "2024-02.csv", "2024-03.csv"] { try box.drop(name, name) }
        let handler = FakeSubmissionHandler(answers: [
            "2024-02.csv": [.failed(reason: "database is locked"), .accepted(rows: 1, series: 1)],
        ])
        let ingestor = box.ingestor(handler, retryInitial: .seconds(10))
        var schedule = ingestor.newSchedule()
        let t0 = ContinuousClock.now

        let first = await ingestor.pass(&schedule, now: t0)
        #expect(await handler.names() == ["2024-01.csv", "2024-02.csv"])
        #expect(first["2024-03.csv"] == .left("waiting for 2024-02.csv, earlier in name order, to go through"))
        #expect(box.inboxNames == ["2024-02.csv", "2024-03.csv"])

        // A new file, or any wake-up before the retry time, does not let the later files overtake it.
        try box.drop("2024-04.csv", "2024-04.csv")
        _ = await ingestor.pass(&schedule, now: t0 + .seconds(5))
        #expect(await handler.calls.count == 2)

        _ = await ingestor.pass(&schedule, now: t0 + .seconds(11))
        #expect(await handler.names() == ["2024-01.csv", "2024-02.csv", "2024-02.csv", "2024-03.csv", "2024-04.csv"])
        #expect(box.inboxNames.isEmpty)
    }

    @Test func fileReplacedInTheInboxWhileHandledKeepsBothVersions() async throws {
        let box = try IngestSandbox()
        try box.drop("r.csv", "version 1")
        let inbox = box.layout.inbox
        // While the first version is handled, the department sends a corrected file under the same name.
        let handler = FakeSubmissionHandler(during: { submission in
            guard submission.bytes == Array("version 1".utf8) else { return }
            _ = FileManager.default.createFile(atPath: inbox + "/.next", contents: Data("version 2".utf8))
            rename(inbox + "/.next", inbox + "/r.csv")
        })
        let ingestor = box.ingestor(handler)
        var schedule = ingestor.newSchedule()

        _ = await ingestor.pass(&schedule)
        // The bytes handled are archived, and the new version waits, untouched, under its name.
        #expect(box.inboxNames == ["r.csv"])
        #expect(box.text(inbox + "/r.csv") == "version 2")
        let first = try #require(box.archiveNames.first)
        #expect(box.text(box.layout.archive + "/" + first) == "version 1")
        #expect(archiveName(first, sha256: SHA256.hex(Array("version 1".utf8)), rest: "r.csv"))

        _ = await ingestor.pass(&schedule)
        #expect(await handler.calls.map { String(decoding: $0.bytes, as: UTF8.self) } == ["version 1", "version 2"])
        #expect(box.inboxNames.isEmpty)
        #expect(box.archiveNames.count == 2)
    }

    @Test func archiveNamesKeepTheExtensionWithinTheNameLimit() {
        let long = String(repeating: "报", count: 100) + ".csv"  // 304 bytes
        let name = InboxLayout.archiveName(
            day: "20250701", sha256: String(repeating: "a", count: 64), name: long, duplicate: true)
        #expect(name.utf8.count <= 255 - 5)
        #expect(name.hasPrefix("20250701-aaaaaaaaaaaaaaaa-duplicate-报报"))
        #expect(name.hasSuffix("报~.csv"))
        #expect(InboxLayout.fit("short.csv", bytes: 50) == "short.csv")
    }

    @Test func prepareCreatesTheLayoutWithItsModes() throws {
        let temporary = try TemporaryDirectory()
        let layout = InboxLayout(stateDirectory: temporary.url.path + "/new/state/")
        let old = umask(0o077)
        defer { umask(old) }
        try layout.prepare()
        try layout.prepare()  // idempotent
        for (path, mode) in layout.directories {
            var st = stat()
            #expect(stat(path, &st) == 0)
            #expect(st.st_mode & 0o7777 == mode, "\(path)")
        }
        #expect(layout.inbox == temporary.url.path + "/new/state/inbox")
    }
}
