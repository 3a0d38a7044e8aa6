import Dispatch
import Foundation
import Testing

@testable import WarnD

@Suite struct AtomicFileTests {
    /// Writers of one path in one process each get their own temporary file: with one name per process, one
    /// writer's rename took the other's half-written file (or failed with ENOENT), and a reader could see it.
    @Test func concurrentWritersOfOnePathEachReplaceItWhole() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warnd-atomic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/region.json"
        // Distinct, large enough that a write takes several syscalls' worth of time.
        let payloads = (0..<8).map { w in Array(repeating: UInt8(ascii: "a") + UInt8(w), count: 256 * 1024) }
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: payloads.count) { w in
            for round in 0..<25 {
                do {
                    if round % 2 == 0 {
                        try AtomicFile.write(payloads[w], to: path, durable: false)
                    } else {
                        try AtomicFile.write(to: path, durable: false) { emit in
                            emit(Array(payloads[w][..<100_000]))
                            emit(Array(payloads[w][100_000...]))
                        }
                    }
                } catch {
                    failures.add("\(error)")
                }
            }
        }
        #expect(failures.all.isEmpty)
        let final = try #require(FileManager.default.contents(atPath: path))
        #expect(payloads.contains(Array(final)))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["region.json"])
    }

    @Test func aFailedWriteLeavesTheOldFileAndNoTemporaryFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warnd-atomic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/active.json"
        try AtomicFile.write(Array("old".utf8), to: path)
        // A directory where the file should go: the rename fails after the temporary file is written.
        let blocked = dir + "/blocked"
        try FileManager.default.createDirectory(atPath: blocked + "/x", withIntermediateDirectories: true)
        #expect(throws: AtomicFile.IOError.self) { try AtomicFile.write(Array("new".utf8), to: blocked) }
        #expect(String(decoding: try #require(FileManager.default.contents(atPath: path)), as: UTF8.self) == "old")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["active.json", "blocked"])
    }

    /// A big streamed file is handed to the disk a step at a time as it is written (``AtomicFile/WriteBack``), and
    /// comes out byte for byte whatever the pieces' sizes.
    @Test func aBigStreamedFileIsWrittenBackInStepsAndComesOutWhole() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warnd-atomic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let step = AtomicFile.WriteBack.step
        let bytes = (0..<(5 * step + step / 2)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let path = dir + "/active.json"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        var writeBack = AtomicFile.WriteBack()
        var at = 0
        for size in [1, 999_983, 3 * step, 7, step - 1].cycled(until: bytes.count) {
            let piece = Array(bytes[at..<min(bytes.count, at + size)])
            try AtomicFile.writeAll(fd, piece, path: path)
            writeBack.wrote(piece.count, fd: fd)
            at += piece.count
        }
        close(fd)
        #expect(writeBack.started == 5 * step, "every whole step handed over, the half step left to the final fsync")
        #expect(writeBack.failures == 0)
        #expect(Array(try #require(FileManager.default.contents(atPath: path))) == bytes)

        // The same through the streamed write itself.
        try AtomicFile.write(to: path) { emit in
            var i = 0
            while i < bytes.count {
                emit(Array(bytes[i..<min(bytes.count, i + 1_000_003)]))
                i += 1_000_003
            }
        }
        #expect(Array(try #require(FileManager.default.contents(atPath: path))) == bytes)
    }
}

extension Array where Element == Int {
    /// These sizes over and over until they add up to `total` (the last one cut short).
    fileprivate func cycled(until total: Int) -> [Int] {
        var out: [Int] = []
        var sum = 0
        while sum < total {
            let n = Swift.min(self[out.count % count], total - sum)
            out.append(n)
            sum += n
        }
        return out
    }
}

private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func add(_ s: String) { lock.withLock { list.append(s) } }
    var all: [String] { lock.withLock { list } }
}
