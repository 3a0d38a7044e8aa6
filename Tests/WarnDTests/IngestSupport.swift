import Foundation
import Glibc
import Logging
import Synchronization
import Testing

@testable import WarnD

/// A `SubmissionHandler` that records every call and answers per file name, as the daemon's store would.
actor FakeSubmissionHandler: SubmissionHandler {
    private(set) var calls: [Submission] = []
    /// Answers for a name, used in turn; the last one repeats. Names without answers are accepted.
    private var answers: [String: [SubmissionResult]]
    /// Runs inside `handle`, before it answers: lets a test act while the file is being handled.
    private let during: (@Sendable (Submission) -> Void)?

    init(answers: [String: [SubmissionResult]] = [:], during: (@Sendable (Submission) -> Void)? = nil) {
        self.answers = answers
        self.during = during
    }

    func handle(_ submission: Submission) async -> SubmissionResult {
        calls.append(submission)
        during?(submission)
        guard var queue = answers[submission.name], let first = queue.first else {
            return .accepted(rows: submission.bytes.count, series: 1)
        }
        if queue.count > 1 {
            queue.removeFirst()
            answers[submission.name] = queue
        }
        return first
    }

    func names() -> [String] { calls.map(\.name) }
}

/// Log records kept in memory, to check what the ingest layer tells the journal.
final class CapturedLogs: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])

    var all: [Record] { records.withLock { $0 } }

    var logger: Logger {
        Logger(label: "warnd.test.ingest") { _ in Handler(sink: self) }
    }

    fileprivate func append(_ record: Record) {
        records.withLock { $0.append(record) }
    }

    private struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged = metadata
            if let m = event.metadata { merged.merge(m) { _, new in new } }
            sink.append(Record(
                level: event.level, message: event.message.description,
                metadata: merged.mapValues { "\($0)" }))
        }
    }
}

/// A state directory with its inbox layout, under a fresh temporary directory.
final class IngestSandbox {
    let temporary: TemporaryDirectory
    let layout: InboxLayout
    let logs = CapturedLogs()

    init() throws {
        temporary = try TemporaryDirectory()
        layout = InboxLayout(stateDirectory: temporary.url.path + "/state")
        try layout.prepare()
    }

    /// A path outside the state directory, for files that must not be touched.
    var outside: String { temporary.url.path }

    /// Writes `contents` to the inbox under `name` (raw bytes allowed), directly, as an in-place writer does.
    func put(_ name: InboxName, _ contents: String) throws {
        try write(layout.inbox, name, Array(contents.utf8))
    }

    func put(_ name: String, _ contents: String) throws {
        try put(InboxName(name), contents)
    }

    /// Writes a file in a directory under a raw-byte name.
    func write(_ dir: String, _ name: InboxName, _ bytes: [UInt8]) throws {
        let path = Array(dir.utf8).map { CChar(bitPattern: $0) } + [CChar(bitPattern: UInt8(ascii: "/"))]
            + name.cString
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SystemError("open", dir + "/" + name.description) }
        defer { close(fd) }
        try FileOps.writeAll(fd, bytes, path: name.description)
    }

    /// Drops a file into the inbox the safe way: written under a dot-name, then renamed.
    func drop(_ name: String, _ contents: String) throws {
        try write(layout.inbox, InboxName(".drop-" + name), Array(contents.utf8))
        guard rename(layout.inbox + "/.drop-" + name, layout.inbox + "/" + name) == 0 else {
            throw SystemError("rename", name)
        }
    }

    /// Sets an inbox file's modification time `ago` in the past, as if its writer had finished then.
    func age(_ name: String, by ago: Duration) throws {
        let now = FileOps.now()
        let then = timespec(tv_sec: now.tv_sec - Int(ago.components.seconds), tv_nsec: 0)
        var times = [then, then]
        guard utimensat(AT_FDCWD, layout.inbox + "/" + name, &times, AT_SYMLINK_NOFOLLOW) == 0 else {
            throw SystemError("utimensat", name)
        }
    }

    /// The names in a directory, sorted (as text, for assertions).
    func names(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
    }

    var inboxNames: [String] { names(layout.inbox) }
    var archiveNames: [String] { names(layout.archive) }
    var rejectedNames: [String] { names(layout.rejected) }

    func bytes(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }

    func text(_ path: String) -> String? {
        bytes(path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// An ingestor on this sandbox; `settle` 0 unless a test is about settling.
    func ingestor(
        _ handler: FakeSubmissionHandler, settle: Duration = .zero, maxFileSize: Int = 64 << 20,
        usesInotify: Bool = true, rescanInterval: Duration = .seconds(3600), retryInitial: Duration = .seconds(1)
    ) -> Ingestor {
        Ingestor(
            layout: layout, handler: handler,
            configuration: .init(
                reader: .init(maxFileSize: maxFileSize, settle: settle),
                watcher: .init(usesInotify: usesInotify, rescanInterval: rescanInterval),
                retryInitial: retryInitial),
            logger: logs.logger)
    }
}

/// Waits until `condition` holds, checking every few milliseconds, failing after `timeout`: tests wait on what
/// happened, never for a fixed time.
func waitUntil(
    _ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        if ContinuousClock.now > deadline {
            Issue.record("timed out waiting until \(what)")
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// The archive name's shape: `<YYYYMMDD>-<hash16>-<rest>`.
func archiveName(_ name: String, sha256: String, rest: String) -> Bool {
    let parts = name.split(separator: "-", maxSplits: 2)
    return parts.count == 3 && parts[0].count == 8 && parts[0].allSatisfy(\.isNumber)
        && parts[1] == sha256.prefix(16) && parts[2] == rest
}
