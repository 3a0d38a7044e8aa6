import Foundation
import Glibc
import Synchronization
import Testing

@testable import WarnD

/// Issue 5, item 6: whatever lands in the inbox — links to `/etc/shadow` or to warnd's own database, hard links,
/// FIFOs, device nodes, directories, names with newlines, `..` or invalid UTF-8, oversized files, files that keep
/// growing — is refused or set aside unread, never followed, and never stops the daemon from taking the next good
/// file. `IngestReaderTests` pins each reason one by one; these tests put each entry in front of a good file.
@Suite(.timeLimit(.minutes(3))) struct HostileInboxTests {
    /// The bytes of a file outside the state directory that no entry may make warnd read.
    static let secret = "indicator,region,period,value\nhiv_mother_to_child_transmission_rate,测试县,2024,SECRET-7f3a9c\n"
    static let marker = Array("SECRET-7f3a9c".utf8)

    /// One kind of hostile entry, created in the inbox under a name that sorts before `zz-good.csv`.
    enum Kind: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case symlinkToSecret, symlinkToDatabase, danglingSymlink, hardLinkToSecret, fifo, directory
        case nameWithNewline, nameNotUTF8, oversize

        var testDescription: String { rawValue }

        /// The inbox name it is created under (raw bytes).
        var name: InboxName {
            switch self {
            case .nameWithNewline: InboxName("a-报表\nforged: error: x.csv")
            case .nameNotUTF8: InboxName(bytes: Array("a-".utf8) + [0xCA, 0xFD, 0xBE, 0xDD] + Array(".csv".utf8))
            default: InboxName("a-\(rawValue).csv")
            }
        }

        /// The name it is set aside under in `rejected/`.
        var rejectedName: String {
            switch self {
            case .nameWithNewline: "a-报表_forged: error: x.csv"
            case .nameNotUTF8: "a-____.csv"
            default: "a-\(rawValue).csv"
            }
        }

        /// What its `.error` file must say.
        var reason: String {
            switch self {
            case .symlinkToSecret, .symlinkToDatabase, .danglingSymlink: "symbolic link to \""
            case .hardLinkToSecret: "hard link: the file has 2 names"
            case .fifo: "FIFO (named pipe)"
            case .directory: "directory; only regular files are read"
            case .nameWithNewline: "the name contains a line break"
            case .nameNotUTF8: "the name is not valid UTF-8"
            case .oversize: "file too large: 5000 bytes, more than the limit of 4096 bytes"
            }
        }

        func create(in box: IngestSandbox, database: String) throws {
            let path = box.layout.inbox + "/" + (name.safeString ?? "")
            let secretPath = box.outside + "/secret.csv"
            switch self {
            case .symlinkToSecret: try check(symlink(secretPath, path), "symlink")
            case .symlinkToDatabase: try check(symlink(database, path), "symlink")
            case .danglingSymlink: try check(symlink(box.outside + "/nothing-here", path), "symlink")
            case .hardLinkToSecret: try check(link(secretPath, path), "link")
            case .fifo: try check(mkfifo(path, 0o644), "mkfifo")
            case .directory:
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
                try HostileInboxTests.secret.write(toFile: path + "/inner.csv", atomically: false, encoding: .utf8)
            case .nameWithNewline, .nameNotUTF8: try box.write(box.layout.inbox, name, Array(HostileInboxTests.secret.utf8))
            case .oversize:
                let head = "indicator,region,period,value\n# SECRET-7f3a9c\n"
                let text = head + String(repeating: "#", count: 5000 - head.utf8.count)
                try box.put(name, text)
            }
        }
    }

    static func check(_ rc: Int32, _ call: String) throws {
        if rc != 0 { throw SystemError(call, "inbox entry") }
    }

    static let good = "indicator,region,period,value\nhiv_mother_to_child_transmission_rate,测试县,2024,2.6\n"

    /// Whether `marker` occurs in any regular file under `dir` (links are not followed: they are not copies).
    static func markerFound(under dir: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: dir) else { return [] }
        var found: [String] = []
        for case let relative as String in walker {
            let path = dir + "/" + relative
            var st = stat()
            guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { continue }
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            if [UInt8](data).firstRange(of: marker) != nil { found.append(relative) }
        }
        return found
    }

    /// Each kind of entry in front of a good file, one pass: the entry is set aside unread with a reason, its
    /// target untouched, and the good file after it is read and accepted in the same pass.
    @Test(arguments: Kind.allCases)
    func hostileEntryIsSetAsideUnreadAndTheNextGoodFileIsTaken(_ kind: Kind) async throws {
        let box = try IngestSandbox()
        let secretPath = box.outside + "/secret.csv"
        try Self.secret.write(toFile: secretPath, atomically: false, encoding: .utf8)
        let database = box.layout.stateDirectory + "/warnd.sqlite"
        try "SQLite format 3\0 pretend database".write(toFile: database, atomically: false, encoding: .utf8)
        try kind.create(in: box, database: database)
        try box.put("zz-good.csv", Self.good)
        let handler = FakeSubmissionHandler()
        var ingestor = box.ingestor(handler, maxFileSize: 4096)
        let read = ReadNames()
        ingestor.reader.afterRead = { name in read.names.withLock { $0.append(name.description) } }
        var schedule = ingestor.newSchedule()

        let report = await ingestor.pass(&schedule)

        // Not read: the handler saw only the good file, and only the good file's bytes were read.
        #expect(await handler.names() == ["zz-good.csv"])
        #expect(read.names.withLock { $0 } == ["zz-good.csv"])
        #expect(report["zz-good.csv"].map { if case .archived = $0 { true } else { false } } == true)
        #expect(box.archiveNames.count == 1 && box.archiveNames.first?.hasSuffix("-zz-good.csv") == true)
        // Set aside with its reason, the inbox empty.
        #expect(report.dispositions.first?.disposition == .rejected(kind.rejectedName))
        #expect(box.inboxNames.isEmpty)
        let error = try #require(box.text(box.layout.rejected + "/" + kind.rejectedName + ".error"))
        #expect(error.contains(kind.reason), "\(error)")
        #expect(error.split(separator: "\n").count == 2, "one reason, one line: \(error)")
        // Never followed: targets untouched, links still links, and no copy of the secret anywhere warnd writes.
        #expect(box.text(secretPath) == Self.secret)
        #expect(box.text(database) == "SQLite format 3\0 pretend database")
        var st = stat()
        #expect(lstat(box.layout.rejected + "/" + kind.rejectedName, &st) == 0)
        switch kind {
        case .symlinkToSecret, .symlinkToDatabase, .danglingSymlink: #expect(st.st_mode & S_IFMT == S_IFLNK)
        case .fifo: #expect(st.st_mode & S_IFMT == S_IFIFO)
        case .directory: #expect(st.st_mode & S_IFMT == S_IFDIR)
        default: #expect(st.st_mode & S_IFMT == S_IFREG)
        }
        #expect(Self.markerFound(under: box.layout.archive).isEmpty)
        #expect(Self.markerFound(under: box.layout.tmp).isEmpty)
        for record in box.logs.all {
            #expect(!record.message.contains("SECRET-7f3a9c") && !record.message.contains("\n"), "\(record.message)")
        }
        if kind == .nameWithNewline || kind == .nameNotUTF8 || kind == .oversize {
            // Moved as it is, never read: the only copy of its bytes is the entry itself.
            #expect(Self.markerFound(under: box.layout.rejected) == [kind.rejectedName])
        } else if kind == .hardLinkToSecret {
            #expect(Self.markerFound(under: box.layout.rejected) == [kind.rejectedName])
            var moved = stat()
            var original = stat()
            #expect(lstat(box.layout.rejected + "/" + kind.rejectedName, &moved) == 0 && stat(secretPath, &original) == 0)
            #expect(moved.st_ino == original.st_ino, "the link itself was moved, no copy made")
        } else {
            let found = Self.markerFound(under: box.layout.rejected)
            #expect(found == (kind == .directory ? ["a-directory.csv/inner.csv"] : []), "\(found)")
        }
    }

    /// A character device (here one like `/dev/zero`, which a reader would read forever) is set aside unopened.
    /// Needs root for `mknod`.
    @Test func deviceNodeIsSetAsideUnopenedAndTheNextGoodFileIsTaken() async throws {
        let box = try IngestSandbox()
        let path = box.layout.inbox + "/a-zero.csv"
        if mknod(path, S_IFCHR | 0o666, dev_t((1 << 8) | 5)) != 0 {
            try Test.cancel("SKIP: mknod needs root (CAP_MKNOD): \(String(cString: strerror(errno)))")
        }
        try box.put("zz-good.csv", Self.good)
        let handler = FakeSubmissionHandler()
        var ingestor = box.ingestor(handler)
        let read = ReadNames()
        ingestor.reader.afterRead = { name in read.names.withLock { $0.append(name.description) } }
        var schedule = ingestor.newSchedule()

        let report = await ingestor.pass(&schedule)

        #expect(await handler.names() == ["zz-good.csv"])
        #expect(read.names.withLock { $0 } == ["zz-good.csv"])
        #expect(report["a-zero.csv"] == .rejected("a-zero.csv"))
        var st = stat()
        #expect(lstat(box.layout.rejected + "/a-zero.csv", &st) == 0 && st.st_mode & S_IFMT == S_IFCHR)
        let error = try #require(box.text(box.layout.rejected + "/a-zero.csv.error"))
        #expect(error.contains("character device; only regular files are read, and this entry was not opened"))
        #expect(box.archiveNames.count == 1)
    }

    /// A name cannot hold `/`, so `..` cannot climb out of the inbox by itself; what the issue fears is a name that
    /// is still taken for a path somewhere. Names made of dots and `..` stay inside `archive/` and `rejected/`, the
    /// dot-names among them are left alone as work in progress, and nothing appears beside the state directory.
    @Test func namesWithDotDotStayInsideTheStateDirectory() async throws {
        let box = try IngestSandbox()
        let before = box.names(box.outside)
        try box.put("..报表.csv", Self.good)  // a dot-name: work in progress by convention
        try box.put("a..b.csv", Self.good)
        try box.put("b...csv", "not data")
        try box.put(InboxName(bytes: Array("c..\n..".utf8)), Self.good)
        let handler = FakeSubmissionHandler(answers: ["b...csv": [.rejected(reasons: ["b...csv:1:1: error: bad"])]])
        let ingestor = box.ingestor(handler)
        var schedule = ingestor.newSchedule()

        let report = await ingestor.pass(&schedule)

        #expect(await handler.names() == ["a..b.csv", "b...csv"])
        #expect(report["..报表.csv"] == .skipped)
        #expect(box.inboxNames == ["..报表.csv"])
        #expect(box.archiveNames.count == 1 && box.archiveNames[0].hasSuffix("-a..b.csv"))
        #expect(box.rejectedNames == ["b...csv", "b...csv.error", "c.._..", "c.._...error"])
        #expect(box.names(box.outside) == before, "something was created beside the state directory")
        #expect(box.names(box.layout.stateDirectory) == ["archive", "inbox", "rejected", "tmp"])
    }

    /// A file that grows past the size limit while it is read is not taken: the read stops at the limit, the
    /// change is noticed, and the next pass sets it aside unread as too large; the file after it is taken meanwhile.
    @Test func fileGrowingPastTheLimitWhileReadIsSetAsideAndDoesNotHoldUpTheNextFile() async throws {
        let box = try IngestSandbox()
        let path = box.layout.inbox + "/a-growing.csv"
        try box.put("a-growing.csv", Self.good)
        try box.put("zz-good.csv", Self.good + "maternal_mortality_ratio,测试县,2024,18\n")
        let handler = FakeSubmissionHandler()
        var ingestor = box.ingestor(handler, maxFileSize: 1000)
        let grown = Mutex(false)
        ingestor.reader.afterRead = { name in
            guard name.description == "a-growing.csv", !grown.withLock({ let was = $0; $0 = true; return was })
            else { return }
            let fd = open(path, O_WRONLY | O_APPEND)
            let more = [UInt8](repeating: UInt8(ascii: "#"), count: 2000)
            _ = more.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        var schedule = ingestor.newSchedule()

        let first = await ingestor.pass(&schedule)
        #expect(first["a-growing.csv"] == .left("changed while being read"))
        #expect(await handler.names() == ["zz-good.csv"], "the growing file held up the next one")

        let second = await ingestor.pass(&schedule)
        #expect(second["a-growing.csv"] == .rejected("a-growing.csv"))
        #expect(await handler.names() == ["zz-good.csv"])
        let error = try #require(box.text(box.layout.rejected + "/a-growing.csv.error"))
        #expect(error.contains("file too large: \(Self.good.utf8.count + 2000) bytes"))
    }

    /// A file still being written in place (modified within `settle`) waits, without holding up the files after it.
    @Test func fileStillBeingWrittenWaitsWithoutHoldingUpTheNextFile() async throws {
        let box = try IngestSandbox()
        try box.put("a-slow.csv", "indicator,region,per")
        try box.put("zz-good.csv", Self.good)
        try box.age("zz-good.csv", by: .seconds(7200))
        let handler = FakeSubmissionHandler()
        let ingestor = box.ingestor(handler, settle: .seconds(3600))
        var schedule = ingestor.newSchedule()

        let report = await ingestor.pass(&schedule)

        #expect(await handler.names() == ["zz-good.csv"])
        #expect(report["a-slow.csv"].map { if case .left = $0 { true } else { false } } == true)
        #expect(box.inboxNames == ["a-slow.csv"])
    }

    // MARK: Staging files left by crashed writers

    /// `warnd ingest` writes `.warnd-<pid>-<random>` in the inbox and renames it; killed mid-copy, it leaves that
    /// file behind forever. The daemon removes such files once untouched for `InboxLayout.staleStagingAge`, and
    /// leaves alone fresh ones (a copy in progress), other uploaders' dot-names, and anything not a regular file.
    @Test func staleStagingFilesOfAKilledIngestAreRemovedAndEverythingElseKept() async throws {
        let box = try IngestSandbox()
        let target = box.outside + "/keep.csv"
        try Self.secret.write(toFile: target, atomically: false, encoding: .utf8)
        try box.put(".warnd-4242-deadbeef", "indicator,region,pe")  // killed mid-copy two hours ago
        try box.age(".warnd-4242-deadbeef", by: .seconds(7200))
        try box.put(".warnd-4343-cafe", "indicator,region")  // being written now
        try box.put(".upload-part", "someone else's")  // another uploader's convention
        try box.age(".upload-part", by: .seconds(7200))
        #expect(symlink(target, box.layout.inbox + "/.warnd-4444-link") == 0)
        var times = [timespec(tv_sec: FileOps.now().tv_sec - 7200, tv_nsec: 0), timespec(tv_sec: FileOps.now().tv_sec - 7200, tv_nsec: 0)]
        #expect(utimensat(AT_FDCWD, box.layout.inbox + "/.warnd-4444-link", &times, AT_SYMLINK_NOFOLLOW) == 0)
        try box.put("zz-good.csv", Self.good)
        let handler = FakeSubmissionHandler()
        let ingestor = box.ingestor(handler)
        var schedule = ingestor.newSchedule()

        _ = await ingestor.pass(&schedule)

        #expect(box.inboxNames == [".upload-part", ".warnd-4343-cafe", ".warnd-4444-link"])
        #expect(box.text(target) == Self.secret)
        #expect(await handler.names() == ["zz-good.csv"])
        let removal = try #require(box.logs.all.first { $0.message.contains(".warnd-4242-deadbeef") })
        #expect(removal.level == .warning)
        #expect(removal.message.contains("removed inbox/.warnd-4242-deadbeef (19 bytes)"), "\(removal.message)")
        #expect(InboxLayout.staleStagingAge == .seconds(3600), "docs/reliability.md and docs say one hour")
    }

    /// The daemon's own staging files in `tmp/` (a `.error` being written when it was killed) are removed at start,
    /// however fresh: only the daemon writes there, and the lock keeps it to one daemon.
    @Test func staleStagingFilesOfTheDaemonItselfAreRemovedAtStart() async throws {
        let box = try IngestSandbox()
        try box.write(box.layout.tmp, InboxName(".warnd-99-0123"), Array("rejected at".utf8))
        let ingestor = box.ingestor(FakeSubmissionHandler(), usesInotify: false)
        let task = Task { try await ingestor.run() }
        defer { task.cancel() }
        try await waitUntil("tmp/ is cleaned") { box.names(box.layout.tmp).isEmpty }
        #expect(box.logs.all.contains { $0.message.hasPrefix("removed tmp/.warnd-99-0123 (11 bytes)") })
        task.cancel()
        _ = try? await task.value
    }
}

/// The same with the real daemon: links to `/etc/shadow` and to its own live database, a hard link to that database,
/// a FIFO and (as root) a device node, dropped together in front of a good file while `warnd run` is up.
@Suite(.serialized, .timeLimit(.minutes(3))) struct HostileInboxDaemonTests {
    @Test func runningDaemonSetsAsideLinksToShadowAndItsDatabaseAndTakesTheNextFile() throws {
        let dir = try TemporaryDirectory()
        let f = try DaemonFixture()
        let state = dir.url.appendingPathComponent("state").path
        let config = dir.url.appendingPathComponent("warnd.yaml").path
        try "settle: 100ms\npoll_interval: 200ms\n".write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try CrashConsistencyTests.Daemon.start(state: state, rules: f.rulesDir.path, config: config,
            stderrPath: dir.url.appendingPathComponent("stderr.log").path)
        var ended = false  // reaped: its pid must not be signalled again
        defer { if !ended { daemon.kill(SIGTERM) } }
        let log = { (try? String(contentsOfFile: daemon.stderrPath, encoding: .utf8)) ?? "" }
        #expect(daemon.waitStarted(occurrence: 1), "\(log())")
        let inbox = state + "/inbox"
        // The inbox service starts just after the rules are loaded.
        let started = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: state + "/tmp") && Date() < started { usleep(10_000) }
        let database = state + "/warnd.sqlite"
        let databaseBefore = try #require(FileManager.default.contents(atPath: database))

        var expected: [String: String] = [
            "a-shadow.csv": "symbolic link to \"/etc/shadow\"",
            "b-database.csv": "symbolic link to \"\(database)\"",
            "c-database-hardlink.csv": "hard link: the file has 2 names",
            "d-pipe.csv": "FIFO (named pipe)",
        ]
        #expect(symlink("/etc/shadow", inbox + "/a-shadow.csv") == 0)
        #expect(symlink(database, inbox + "/b-database.csv") == 0)
        #expect(link(database, inbox + "/c-database-hardlink.csv") == 0)
        #expect(mkfifo(inbox + "/d-pipe.csv", 0o644) == 0)
        if mknod(inbox + "/e-random.csv", S_IFCHR | 0o666, dev_t((1 << 8) | 8)) == 0 {
            expected["e-random.csv"] = "character device"
        }
        try HostileInboxTests.good.write(toFile: dir.url.appendingPathComponent(".zz-good.csv").path,
            atomically: false, encoding: .utf8)
        #expect(rename(dir.url.appendingPathComponent(".zz-good.csv").path, inbox + "/zz-good.csv") == 0)

        let deadline = Date().addingTimeInterval(60)
        func archived() -> Bool {
            ((try? FileManager.default.contentsOfDirectory(atPath: state + "/archive")) ?? [])
                .contains { $0.hasSuffix("-zz-good.csv") }
        }
        while !archived() && Date() < deadline && !ended {
            ended = daemon.exited()
            usleep(20_000)
        }
        #expect(archived(), "the good file after the hostile entries was not taken\n\(log())")
        ended = ended || daemon.exited()
        #expect(!ended, "the daemon died\n\(log())")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: inbox)) ?? []).isEmpty)

        for (name, reason) in expected {
            let error = (try? String(contentsOfFile: state + "/rejected/" + name + ".error", encoding: .utf8)) ?? ""
            #expect(error.contains(reason), "\(name): \(error)")
            var st = stat()
            #expect(lstat(state + "/rejected/" + name, &st) == 0, "\(name) is not in rejected/")
        }
        // Nothing was read through the links: rejected/ holds no regular file but the hard link (the database's own
        // inode, moved, not copied), and the good file's alert is there.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: state + "/rejected")) ?? []
        where !name.hasSuffix(".error") {
            var st = stat()
            _ = lstat(state + "/rejected/" + name, &st)
            if name == "c-database-hardlink.csv" {
                var db = stat()
                _ = stat(database, &db)
                #expect(st.st_ino == db.st_ino, "a copy of the database instead of the link itself")
            } else {
                #expect(st.st_mode & S_IFMT != S_IFREG, "\(name) became a regular file: something was copied")
            }
        }
        let shadowText = FileManager.default.contents(atPath: "/etc/shadow").map { String(decoding: $0, as: UTF8.self) }
        let shadowLines: [String] = (shadowText ?? "").components(separatedBy: "\n").filter { $0.count > 12 }
        if let line = shadowLines.first {
            for path in [database, state + "/alerts/active.json", state + "/alerts/report.md", state + "/alerts/events.jsonl"] {
                let bytes = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
                #expect(bytes.firstRange(of: Array(line.utf8)) == nil, "/etc/shadow's content reached \(path)")
            }
        }
        #expect(databaseBefore.count > 0)
        // Stopped first: the daemon leaves the alert files current when it stops (they may lag while it runs).
        if !ended { daemon.kill(SIGTERM) }
        ended = true
        let active = try String(contentsOfFile: state + "/alerts/active.json", encoding: .utf8)
        #expect(active.contains("\"t-hiv\""), "the good file's alert is missing")
        #expect(try CrashConsistencyTests.sqlite(database, "PRAGMA integrity_check") == "ok")
    }
}
