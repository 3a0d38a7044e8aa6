import Foundation
import Glibc
import Synchronization
import Testing

@testable import WarnD

/// Hostile and unfinished inbox entries: set aside unread (never followed, never blocking) or left alone.
@Suite(.timeLimit(.minutes(2))) struct IngestReaderTests {
    /// One pass with a handler that accepts everything; returns the report and the handler.
    private func pass(
        _ box: IngestSandbox, settle: Duration = .zero, maxFileSize: Int = 64 << 20, read: ReadNames? = nil
    ) async -> (Ingestor.PassReport, FakeSubmissionHandler) {
        let handler = FakeSubmissionHandler()
        var ingestor = box.ingestor(handler, settle: settle, maxFileSize: maxFileSize)
        if let read {
            ingestor.reader.afterRead = { name in read.names.withLock { $0.append(name.description) } }
        }
        var schedule = ingestor.newSchedule()
        return (await ingestor.pass(&schedule), handler)
    }

    private func errorText(_ box: IngestSandbox, _ name: String) throws -> String {
        try #require(box.text(box.layout.rejected + "/" + name + ".error"))
    }

    @Test func symlinkToAFileOutsideIsMovedAsideAndItsTargetIsNeitherReadNorTouched() async throws {
        let box = try IngestSandbox()
        let shadow = box.outside + "/shadow"
        try "root:$6$secret:19000:0:99999:7:::\n".write(toFile: shadow, atomically: false, encoding: .utf8)
        #expect(symlink(shadow, box.layout.inbox + "/passwords.csv") == 0)

        let (report, handler) = await pass(box)

        #expect(await handler.calls.isEmpty)
        #expect(report["passwords.csv"] == .rejected("passwords.csv"))
        #expect(box.inboxNames.isEmpty)
        // The link itself was moved, still pointing where it did; the target is where it was, unchanged.
        var st = stat()
        #expect(lstat(box.layout.rejected + "/passwords.csv", &st) == 0)
        #expect(st.st_mode & S_IFMT == S_IFLNK)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: box.layout.rejected + "/passwords.csv")
            == shadow)
        #expect(box.text(shadow) == "root:$6$secret:19000:0:99999:7:::\n")
        let error = try errorText(box, "passwords.csv")
        #expect(error.contains("symbolic link to \"\(shadow)\""))
        #expect(!error.contains("secret"))
        #expect(box.archiveNames.isEmpty)
    }

    @Test func fifoIsMovedAsideWithoutBlocking() async throws {
        let box = try IngestSandbox()
        #expect(mkfifo(box.layout.inbox + "/pipe.csv", 0o644) == 0)

        let (report, handler) = await pass(box)

        #expect(await handler.calls.isEmpty)
        #expect(report["pipe.csv"] == .rejected("pipe.csv"))
        var st = stat()
        #expect(lstat(box.layout.rejected + "/pipe.csv", &st) == 0)
        #expect(st.st_mode & S_IFMT == S_IFIFO)
        #expect(try errorText(box, "pipe.csv").contains("FIFO (named pipe)"))
    }

    @Test func directoryIsMovedAsideWhole() async throws {
        let box = try IngestSandbox()
        try FileManager.default.createDirectory(atPath: box.layout.inbox + "/2024", withIntermediateDirectories: false)
        try "x".write(toFile: box.layout.inbox + "/2024/inner.csv", atomically: false, encoding: .utf8)

        let (report, handler) = await pass(box)

        #expect(await handler.calls.isEmpty)
        #expect(report["2024"] == .rejected("2024"))
        #expect(box.text(box.layout.rejected + "/2024/inner.csv") == "x")
        #expect(try errorText(box, "2024").contains("directory"))
    }

    @Test func hardLinkIsRefusedUnreadAndTheLinkedFileIsUntouched() async throws {
        let box = try IngestSandbox()
        let secret = box.outside + "/private.csv"
        try "private figures".write(toFile: secret, atomically: false, encoding: .utf8)
        #expect(link(secret, box.layout.inbox + "/linked.csv") == 0)
        let read = ReadNames()

        let (report, handler) = await pass(box, read: read)

        #expect(await handler.calls.isEmpty)
        #expect(read.names.withLock { $0 }.isEmpty)
        #expect(report["linked.csv"] == .rejected("linked.csv"))
        #expect(try errorText(box, "linked.csv").contains("hard link: the file has 2 names"))
        #expect(box.text(secret) == "private figures")
        #expect(box.archiveNames.isEmpty)
    }

    @Test func dotFileIsLeftAloneAsWorkInProgress() async throws {
        let box = try IngestSandbox()
        try box.put(".upload.csv.part", "half a fi")

        let (report, handler) = await pass(box)

        #expect(await handler.calls.isEmpty)
        #expect(report[".upload.csv.part"] == .skipped)
        #expect(box.inboxNames == [".upload.csv.part"])
        #expect(box.rejectedNames.isEmpty)
    }

    @Test func nameWithANewlineIsSetAsideUnderASafeNameWithTheOriginalEscaped() async throws {
        let box = try IngestSandbox()
        try box.put("报表\nforged: error: line.csv", "data")

        let (_, handler) = await pass(box)

        #expect(await handler.calls.isEmpty)
        #expect(box.inboxNames.isEmpty)
        #expect(box.rejectedNames == ["报表_forged: error: line.csv", "报表_forged: error: line.csv.error"])
        let error = try errorText(box, "报表_forged: error: line.csv")
        #expect(error.contains("the name contains a line break"))
        #expect(error.contains(#"original name: "报表\nforged: error: line.csv""#))
        #expect(error.split(separator: "\n").count == 2)  // the newline did not forge a line
    }

    @Test func nameThatIsNotUTF8IsSetAsideUnderASafeName() async throws {
        let box = try IngestSandbox()
        // "数据.csv" in GBK, as a Windows upload tool may write it.
        try box.put(InboxName(bytes: [0xCA, 0xFD, 0xBE, 0xDD] + Array(".csv".utf8)), "data")

        let (_, handler) = await pass(box)

        #expect(await handler.calls.isEmpty)
        #expect(box.inboxNames.isEmpty)
        #expect(box.rejectedNames == ["____.csv", "____.csv.error"])
        let error = try errorText(box, "____.csv")
        #expect(error.contains("the name is not valid UTF-8"))
        #expect(error.contains(#"original name: "\xCA\xFD\xBE\xDD.csv""#))
    }

    @Test func oversizeFileIsRefusedUnread() async throws {
        let box = try IngestSandbox()
        try box.put("big.csv", String(repeating: "x", count: 101))
        try box.put("small.csv", String(repeating: "x", count: 100))
        let read = ReadNames()

        let (report, handler) = await pass(box, maxFileSize: 100, read: read)

        #expect(await handler.names() == ["small.csv"])
        #expect(read.names.withLock { $0 } == ["small.csv"])
        #expect(report["big.csv"] == .rejected("big.csv"))
        #expect(box.text(box.layout.rejected + "/big.csv") == String(repeating: "x", count: 101))
        #expect(try errorText(box, "big.csv").contains("file too large: 101 bytes, more than the limit of 100 bytes"))
    }

    @Test func fileWrittenInPlaceIsNotTakenUntilItSettles() async throws {
        let box = try IngestSandbox()
        try box.put("slow.csv", "first rows")

        let (report, handler) = await pass(box, settle: .seconds(3600))
        #expect(await handler.calls.isEmpty)
        #expect(box.inboxNames == ["slow.csv"])
        #expect(report["slow.csv"].map { if case .left = $0 { true } else { false } } == true)
        let due = try #require(report.nextDue)
        #expect(due > .zero && due <= .seconds(3600))

        // Once the writer has left it alone for the settle time, it is taken.
        try box.age("slow.csv", by: .seconds(7200))
        let (_, later) = await pass(box, settle: .seconds(3600))
        #expect(await later.names() == ["slow.csv"])
        #expect(box.inboxNames.isEmpty)
    }

    @Test func fileThatChangesWhileReadIsLeftForTheNextPass() async throws {
        let box = try IngestSandbox()
        try box.put("growing.csv", "row 1\n")
        let path = box.layout.inbox + "/growing.csv"
        let handler = FakeSubmissionHandler()
        var ingestor = box.ingestor(handler)
        let appended = Mutex(false)
        ingestor.reader.afterRead = { _ in
            guard !appended.withLock({ let was = $0; $0 = true; return was }) else { return }
            let fd = open(path, O_WRONLY | O_APPEND)
            _ = write(fd, "row 2\n", 6)
            close(fd)
        }
        var schedule = ingestor.newSchedule()

        let first = await ingestor.pass(&schedule)
        #expect(first["growing.csv"] == .left("changed while being read"))
        #expect(await handler.calls.isEmpty)

        _ = await ingestor.pass(&schedule)
        #expect(await handler.calls.map(\.bytes) == [Array("row 1\nrow 2\n".utf8)])
    }

    @Test func escapingShowsEveryByteUnambiguously() {
        #expect(InboxName(bytes: Array("a\nb\\c\t报".utf8) + [0xFF, 0x1B]).escaped == #"a\nb\\c\t报\xFF\x1B"#)
        #expect(InboxName("\u{202E}gpj.exe").safeString == nil)
        #expect(InboxName("正常 文件(1).csv").safeString == "正常 文件(1).csv")
        #expect(InboxName(".hidden").sanitized == "_.hidden")
    }
}

/// The names the reader read, in order: proof that a refused file was never read.
final class ReadNames: Sendable {
    let names = Mutex<[String]>([])
}
