import Foundation
import Glibc
import Synchronization

/// Writing files so that a reader, or a crash, never sees half of one.
enum AtomicFile {
    struct IOError: Error, CustomStringConvertible {
        var path: String
        var operation: String
        var errno: Int32
        var description: String { "\(operation) \(path): \(String(cString: strerror(errno)))" }
    }

    /// Writes `data` to a temporary file beside `path`, fsyncs it, renames it over `path` and fsyncs the directory
    /// (unless the caller writes many files and syncs the directory once).
    ///
    /// `durable: false` skips both fsyncs: for files derived from the store and rewritten at every start (the region
    /// files), where a crash may leave an old or empty version until then, but a reader never sees half a file.
    static func write(_ data: some ContiguousBytes, to path: String, mode: mode_t = 0o640, syncDirectory sync: Bool = true,
        durable: Bool = true) throws
    {
        try replace(path, mode: mode, durable: durable, syncDirectory: sync) { fd, tmp in
            try writeAll(fd, data, path: tmp)
        }
    }

    /// ``write(_:to:mode:syncDirectory:durable:)`` for a file made a piece at a time: `produce` hands each piece to
    /// the closure it is given, so a 600 MB `active.json` is never held whole (issue 4: it was, once as cached
    /// fragments and once as the document). The first failed write stops the file; it is then thrown here.
    static func write(to path: String, mode: mode_t = 0o640, durable: Bool = true,
        produce: (_ write: @escaping ([UInt8]) -> Void) -> Void) throws
    {
        try replace(path, mode: mode, durable: durable, syncDirectory: true) { fd, tmp in
            var failure: (any Error)?
            produce { piece in
                guard failure == nil else { return }
                do { try writeAll(fd, piece, path: tmp) } catch { failure = error }
            }
            if let failure { throw failure }
        }
    }

    /// Tells each write in this process its own temporary file: two writers of one path (a region file written by
    /// a submission and by the background writer, should they ever overlap) must not truncate each other's.
    private static let serial = Atomic<Int>(0)

    /// Creates the temporary file, lets `fill` write it, then fsyncs, renames and fsyncs the directory as asked;
    /// on any failure the temporary file is removed and `path` is left as it was.
    private static func replace(_ path: String, mode: mode_t, durable: Bool, syncDirectory sync: Bool,
        fill: (_ fd: Int32, _ tmp: String) throws -> Void) throws
    {
        let dir = (path as NSString).deletingLastPathComponent
        let n = serial.add(1, ordering: .relaxed).newValue
        let tmp = "\(dir.isEmpty ? "." : dir)/.\((path as NSString).lastPathComponent).tmp-\(getpid())-\(n)"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw IOError(path: tmp, operation: "create", errno: errno) }
        do {
            try fill(fd, tmp)
            guard !durable || fsync(fd) == 0 else { throw IOError(path: tmp, operation: "fsync", errno: errno) }
            close(fd)
        } catch {
            close(fd)
            unlink(tmp)
            throw error
        }
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw IOError(path: path, operation: "rename", errno: e)
        }
        if sync && durable { syncDirectory(dir.isEmpty ? "." : dir) }
    }

    static func writeAll(_ fd: Int32, _ data: some ContiguousBytes, path: String) throws {
        try data.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + off, raw.count - off)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw IOError(path: path, operation: "write", errno: errno)
                }
                off += n
            }
        }
    }

    /// fsync a directory so a rename in it is durable.
    static func syncDirectory(_ dir: String) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}
