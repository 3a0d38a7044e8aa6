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
            var writeBack = WriteBack()
            produce { piece in
                guard failure == nil else { return }
                do {
                    try writeAll(fd, piece, path: tmp)
                    writeBack.wrote(piece.count, fd: fd)
                } catch { failure = error }
            }
            if let failure { throw failure }
        }
    }

    /// Hands a big file's pages to the disk as it is written, a few MB at a time, instead of leaving hundreds of MB
    /// dirty for one fsync at the end (`bytes_per_sync` in RocksDB, `backend_flush_after` in PostgreSQL).
    ///
    /// Why: at national scale `active.json` is 610 MB. Left to the end, its write-back filled the disk queue just
    /// as submissions committed: the store's fsync (and `events.jsonl`'s) waited behind it, and a submission that
    /// usually takes 15 ms took up to 780 ms (issue 4, BENCHMARKS.md); with 2 MB steps the worst seen was 180 ms. Each
    /// step starts write-back of the last `step` bytes and waits for the step before it, so at most two steps are
    /// ever dirty or in flight.
    struct WriteBack {
        static let step = 2 << 20
        private var written = 0
        /// The bytes handed to write-back so far (a multiple of `step`), and the calls that failed (the file is
        /// then still synced whole at the end; counted for the tests).
        private(set) var started = 0
        private(set) var failures = 0

        mutating func wrote(_ count: Int, fd: Int32) {
            written += count
            guard let syncRange = Self.syncFileRange else { return }
            while written - started >= Self.step {
                if syncRange(fd, Int64(started), Int64(Self.step), Self.write) != 0 { failures += 1 }
                if started >= Self.step,
                    syncRange(fd, Int64(started - Self.step), Int64(Self.step), Self.waitBefore | Self.write | Self.waitAfter) != 0
                {
                    failures += 1
                }
                started += Self.step
            }
        }

        // <fcntl.h>'s SYNC_FILE_RANGE_* (Linux ABI): Swift's Glibc module leaves out the _GNU_SOURCE declarations.
        private static let waitBefore: UInt32 = 1
        private static let write: UInt32 = 2
        private static let waitAfter: UInt32 = 4

        /// glibc's `sync_file_range`, looked up once; where it is missing the file is synced at the end only.
        private static let syncFileRange: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32)? = {
            guard let f = dlsym(nil, "sync_file_range") else { return nil }
            return unsafeBitCast(f, to: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self)
        }()
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

    /// Removes the temporary files that writes by other processes left in `dir` (`.NAME.tmp-PID-N`): a process
    /// killed mid-write leaves one behind, and for `active.json` or `dataset.snapshot` that is hundreds of MB. Only
    /// the daemon, holding the state directory's lock, calls this, so no other process is writing there; files of
    /// this process are kept (a test may run two daemons in one process).
    static func removeLeftovers(in dir: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        let mine = "-\(getpid())-"
        for name in names where name.hasPrefix(".") {
            guard let r = name.range(of: ".tmp-", options: .backwards) else { continue }
            let tail = name[r.upperBound...].split(separator: "-", omittingEmptySubsequences: false)
            guard tail.count == 2, tail.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
                !name[r.lowerBound...].contains(mine)
            else { continue }
            unlink(dir + "/" + name)
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
