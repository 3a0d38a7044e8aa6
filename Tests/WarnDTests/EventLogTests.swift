import Foundation
import Testing

@testable import WarnD

/// `events.jsonl` repair reads only the file's tail, however long the history.
@Suite struct EventLogTests {
    static func line(_ seq: Int) -> String {
        "{\"seq\":\(seq),\"at\":\"2025-03-01T00:00:00Z\",\"change\":\"firing\",\"alert\":{\"id\":\"\(String(repeating: "x", count: 40))\"}}\n"
    }

    @Test func tornTailOfALongHistoryIsCutAndTheLastSeqFound() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("events.jsonl").path
        let lines = (1...5000).map(Self.line).joined()
        #expect(lines.utf8.count > 4 * (64 << 10), "longer than the first tail window")
        try (lines + "{\"seq\":5001,\"at\":\"20").write(toFile: path, atomically: false, encoding: .utf8)
        let log = EventLog(path: path)
        #expect(try log.repair() == 5000)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == lines, "the torn line is cut, nothing else")
        #expect(try log.repair() == 5000, "an intact file is left as it is")
    }

    @Test func quotedStringsAreJSONEncodersBytes() throws {
        for s in ["2025-03-01T00:00:00Z", "firing", "resolved", "a/b", "x\"y", "back\\slash", "\u{1}\n", "中文", ""] {
            #expect(EventLog.jsonString(s) == String(decoding: try JSONEncoder().encode(s), as: UTF8.self))
        }
    }

    @Test func linesAppendedInBatchesAreAllThereInOrder() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("events.jsonl").path
        let log = EventLog(path: path)
        try log.append([Self.line(1)].map { String($0.dropLast()) })
        try log.append { write in
            try write((2...3).map { String(Self.line($0).dropLast()) })
            try write([])
            try write([String(Self.line(4).dropLast())])
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == (1...4).map(Self.line).joined())
        #expect(try log.repair() == 4)
    }

    @Test func oneLineAndEmptyAndMissingFiles() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("events.jsonl").path
        #expect(try EventLog(path: path).repair() == 0)
        try "".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(try EventLog(path: path).repair() == 0)
        try Self.line(7).write(toFile: path, atomically: false, encoding: .utf8)
        #expect(try EventLog(path: path).repair() == 7)
        try "{\"seq\":1,".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(try EventLog(path: path).repair() == 0)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "")
    }
}
