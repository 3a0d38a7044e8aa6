import Foundation
import Glibc

/// `events.jsonl`: the append-only history of alert transitions, one JSON object a line, fsync'd.
///
/// Every line carries the store's event sequence number, so after a crash the file is caught up from the store
/// exactly once: a torn last line (a crash mid-write) is cut off, then every event after the last complete line's
/// `seq` is appended.
struct EventLog: Sendable {
    let path: String

    /// Cuts a torn tail and returns the last `seq` in the file (0 when empty).
    func repair() throws -> Int64 {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return 0 }
        var bytes = [UInt8](data)
        if bytes.last != 0x0A {
            let keep = (bytes.lastIndex(of: 0x0A).map { $0 + 1 }) ?? 0
            guard truncate(path, off_t(keep)) == 0 else {
                throw AtomicFile.IOError(path: path, operation: "truncate", errno: errno)
            }
            bytes = Array(bytes[..<keep])
        }
        guard let lastLineEnd = bytes.lastIndex(of: 0x0A) else { return 0 }
        let start = bytes[..<lastLineEnd].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let line = Data(bytes[start..<lastLineEnd])
        let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any]
        return (object?["seq"] as? NSNumber)?.int64Value ?? 0
    }

    /// Appends lines and fsyncs.
    func append(_ lines: [String]) throws {
        guard !lines.isEmpty else { return }
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw AtomicFile.IOError(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        try AtomicFile.writeAll(fd, Data(lines.map { $0 + "\n" }.joined().utf8), path: path)
        guard fsync(fd) == 0 else { throw AtomicFile.IOError(path: path, operation: "fsync", errno: errno) }
    }

    /// One line: `{"seq":…,"at":…,"change":…,"alert":{…}}`.
    static func line(_ e: Store.Event) -> String {
        "{\"seq\":\(e.seq),\"at\":\(jsonString(e.at)),\"change\":\(jsonString(e.change)),\"alert\":\(e.payload)}"
    }

    static func jsonString(_ s: String) -> String {
        String(decoding: try! JSONEncoder().encode(s), as: UTF8.self)
    }
}
