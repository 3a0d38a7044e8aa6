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
    ///
    /// Reads only the end of the file: at national scale the history is hundreds of MB, and startup must not
    /// read it whole to learn one number.
    func repair() throws -> Int64 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return 0 }
            throw AtomicFile.IOError(path: path, operation: "open", errno: errno)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw AtomicFile.IOError(path: path, operation: "stat", errno: errno) }
        let size = Int(st.st_size)
        guard size > 0 else { return 0 }
        // The tail, grown until it holds the last complete line (and the start of it) or the whole file.
        var window = min(size, 64 << 10)
        var tail: [UInt8] = []
        while true {
            tail = [UInt8](repeating: 0, count: window)
            var got = 0
            while got < window {
                let n = tail.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, window - got, off_t(size - window + got)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw AtomicFile.IOError(path: path, operation: "read", errno: errno) }
                got += n
            }
            let newlines = tail.lazy.filter { $0 == 0x0A }.prefix(3).count
            if window == size || newlines >= 3 { break }
            window = min(size, window * 4)
        }
        let offset = size - window
        if tail.last != 0x0A {
            let keep = (tail.lastIndex(of: 0x0A).map { $0 + 1 }) ?? 0
            guard truncate(path, off_t(offset + keep)) == 0 else {
                throw AtomicFile.IOError(path: path, operation: "truncate", errno: errno)
            }
            tail = Array(tail[..<keep])
        }
        guard let lastLineEnd = tail.lastIndex(of: 0x0A) else { return 0 }
        let start = tail[..<lastLineEnd].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let line = Data(tail[start..<lastLineEnd])
        let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any]
        return (object?["seq"] as? NSNumber)?.int64Value ?? 0
    }

    /// Appends lines and fsyncs (`sync`), or leaves them to the next ``sync()``.
    func append(_ lines: [String], sync: Bool = true) throws {
        guard !lines.isEmpty else { return }
        try append(sync: sync) { write in try write(lines) }
    }

    /// Makes every line appended so far durable.
    func sync() throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return }
            throw AtomicFile.IOError(path: path, operation: "open", errno: errno)
        }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw AtomicFile.IOError(path: path, operation: "fsync", errno: errno) }
    }

    /// Appends the lines `produce` hands over, batch by batch, and fsyncs once at the end: a first start after a
    /// bulk import appends ≈ 520 000 events, which must not be held at once (issue 4).
    func append(sync: Bool = true, _ produce: (_ write: ([String]) throws -> Void) throws -> Void) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw AtomicFile.IOError(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var wrote = false
        try produce { lines in
            guard !lines.isEmpty else { return }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(lines.reduce(0) { $0 + $1.utf8.count + 1 })
            for l in lines {
                bytes.append(contentsOf: l.utf8)
                bytes.append(0x0A)
            }
            try AtomicFile.writeAll(fd, bytes, path: path)
            wrote = true
        }
        guard !wrote || !sync || fsync(fd) == 0 else { throw AtomicFile.IOError(path: path, operation: "fsync", errno: errno) }
    }

    /// One line: `{"seq":…,"at":…,"change":…,"alert":{…}}`.
    static func line(_ e: Store.Event) -> String {
        "{\"seq\":\(e.seq),\"at\":\(jsonString(e.at)),\"change\":\(jsonString(e.change)),\"alert\":\(e.payload)}"
    }

    /// A JSON string as JSONEncoder (default options) writes it. Timestamps and change names need no escaping: they
    /// are quoted as they are, without a JSONEncoder each (two per line were most of appending 520 000 events).
    static func jsonString(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C && $0 != 0x2F }) {
            return "\"" + s + "\""
        }
        return String(decoding: try! JSONEncoder().encode(s), as: UTF8.self)
    }
}
