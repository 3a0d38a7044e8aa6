import Foundation
import Glibc
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import WarnD

/// The ingestor as the daemon runs it: woken by inotify, by its rescans, and at start.
@Suite(.timeLimit(.minutes(2))) struct IngestWatcherTests {
    static let inotify = InboxWatcher.inotifyAvailable(for: FileManager.default.temporaryDirectory.path)

    /// Runs `ingestor` in a task for the duration of `body`, then cancels it and checks that it ended.
    private func running(_ ingestor: Ingestor, _ body: () async throws -> Void) async throws {
        let task = Task { try await ingestor.run() }
        do {
            try await body()
        } catch {
            task.cancel()
            throw error
        }
        task.cancel()
        try await task.value
    }

    @Test(.enabled(if: inotify))
    func inotifyPicksUpAFileRenamedIntoTheInboxAndOneClosedAfterWriting() async throws {
        let box = try IngestSandbox()
        let handler = FakeSubmissionHandler()
        // No rescan for an hour: only the start and inotify can wake the ingestor.
        let ingestor = box.ingestor(handler, usesInotify: true, rescanInterval: .seconds(3600))
        try box.drop("0-before-start.csv", "present at start")
        try await running(ingestor) {
            try await waitUntil("the file present at start is handled") { await handler.calls.count == 1 }

            try box.drop("1-renamed.csv", "renamed in")
            try await waitUntil("the renamed file is handled") { await handler.calls.count == 2 }

            try box.put("2-written.csv", "written in place")
            try await waitUntil("the close-written file is handled") { await handler.calls.count == 3 }

            try await waitUntil("all are archived") { box.archiveNames.count == 3 }
        }
        #expect(await handler.names() == ["0-before-start.csv", "1-renamed.csv", "2-written.csv"])
        #expect(box.inboxNames.isEmpty)
    }

    @Test func pollingFallbackPicksUpFilesWithoutInotify() async throws {
        let box = try IngestSandbox()
        let handler = FakeSubmissionHandler()
        let ingestor = box.ingestor(handler, usesInotify: false, rescanInterval: .milliseconds(50))
        try await running(ingestor) {
            try box.drop("polled.csv", "found by a rescan")
            try await waitUntil("the polled file is handled") { await handler.calls.count == 1 }
            try await waitUntil("it is archived") { box.inboxNames.isEmpty && box.archiveNames.count == 1 }
        }
        #expect(await handler.names() == ["polled.csv"])
    }

    @Test func filesPresentAtStartAreProcessedByTheFirstScan() async throws {
        let box = try IngestSandbox()
        for name in ["b.csv", "a.csv", "c.jsonl"] { try box.drop(name, name) }
        let handler = FakeSubmissionHandler()
        // Neither inotify nor a rescan could find them: only the scan at start.
        let ingestor = box.ingestor(handler, usesInotify: false, rescanInterval: .seconds(3600))
        try await running(ingestor) {
            try await waitUntil("all three are handled") { await handler.calls.count == 3 }
        }
        #expect(await handler.names() == ["a.csv", "b.csv", "c.jsonl"])
    }

    @Test(.enabled(if: inotify))
    func fileWrittenInPlaceIsTakenOnceItHasSettledWithoutWaitingForARescan() async throws {
        let box = try IngestSandbox()
        let settle = Duration.milliseconds(300)
        let inbox = box.layout.inbox
        // When the handler sees the file, it must have been left alone for the settle time.
        let ages = Mutex<[Duration]>([])
        let handler = FakeSubmissionHandler(during: { submission in
            var st = stat()
            guard stat(inbox + "/" + submission.name, &st) == 0 else { return }
            let age = FileOps.nanoseconds(FileOps.now()) - FileOps.nanoseconds(st.st_mtim)
            ages.withLock { $0.append(.nanoseconds(age)) }
        })
        let ingestor = box.ingestor(handler, settle: settle, usesInotify: true, rescanInterval: .seconds(3600))
        try await running(ingestor) {
            try box.put("in-place.csv", "written in place")
            try await waitUntil("the settled file is handled") { await handler.calls.count == 1 }
        }
        let age = try #require(ages.withLock { $0 }.first)
        #expect(age >= settle)
    }

    @Test func failedFileIsRetriedByTheRunningIngestor() async throws {
        let box = try IngestSandbox()
        try box.drop("flaky.csv", "data")
        let handler = FakeSubmissionHandler(answers: [
            "flaky.csv": [.failed(reason: "database is locked"), .accepted(rows: 1, series: 1)],
        ])
        let ingestor = box.ingestor(
            handler, usesInotify: false, rescanInterval: .seconds(3600), retryInitial: .milliseconds(100))
        try await running(ingestor) {
            try await waitUntil("the retry succeeds") { box.archiveNames.count == 1 }
        }
        #expect(await handler.names() == ["flaky.csv", "flaky.csv"])
        #expect(box.inboxNames.isEmpty)
    }

    @Test func runEndsOnGracefulShutdownOfItsServiceGroup() async throws {
        let box = try IngestSandbox()
        try box.drop("x.csv", "x")
        let handler = FakeSubmissionHandler()
        let ingestor = box.ingestor(handler, usesInotify: Self.inotify, rescanInterval: .seconds(3600))
        let group = ServiceGroup(services: [ingestor], logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let run = Task { try await group.run() }
        try await waitUntil("the first scan is done") { box.archiveNames.count == 1 }
        await group.triggerGracefulShutdown()
        try await run.value
    }
}
