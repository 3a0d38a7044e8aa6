import Glibc

/// The few system calls the ingest layer needs, with errno turned into `SystemError`.
///
/// Everything works relative to open directory descriptors (`openat`, `renameat`, `fstatat`) so that a name in the
/// inbox is looked up exactly once per call and never through a symbolic link; Foundation's path-based API follows
/// links and cannot express "move, but never replace".
enum FileOps {
    /// `renameat2` from glibc ≥ 2.28; Swift's Glibc module does not export it, so it is looked up once by name.
    private typealias RenameAt2 = @convention(c) (
        Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UInt32
    ) -> Int32

    private static let renameat2: RenameAt2? = {
        guard let symbol = dlsym(nil, "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: RenameAt2.self)
    }()

    private static let renameNoReplaceFlag: UInt32 = 1  // RENAME_NOREPLACE

    /// Renames without ever replacing an existing destination; throws `SystemError` with `EEXIST` when it exists.
    ///
    /// A plain `rename(2)` silently replaces the destination, which would destroy an archived or rejected file (or,
    /// for `warnd ingest`, a submission still waiting in the inbox). `RENAME_NOREPLACE` makes the check atomic; on a
    /// filesystem without it (`EINVAL`) the check is made just before the rename, which leaves a tiny window that
    /// only another writer of the same directory could hit.
    static func renameNoReplace(from fromDir: Int32, _ from: [CChar], to toDir: Int32, _ to: [CChar]) throws {
        if let renameat2 {
            if renameat2(fromDir, from, toDir, to, renameNoReplaceFlag) == 0 { return }
            let e = errno
            guard e == EINVAL || e == ENOSYS else {
                throw SystemError("rename", text(from) + " → " + text(to), code: e)
            }
        }
        if exists(toDir, to) {
            throw SystemError("rename", text(from) + " → " + text(to), code: EEXIST)
        }
        if renameat(fromDir, from, toDir, to) != 0 {
            throw SystemError("rename", text(from) + " → " + text(to))
        }
    }

    /// A NUL-terminated name as text for messages (invalid UTF-8 shown as U+FFFD).
    static func text(_ name: [CChar]) -> String {
        String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `name` exists in `dir`, without following a symbolic link.
    static func exists(_ dir: Int32, _ name: [CChar]) -> Bool {
        var st = stat()
        return fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0
    }

    /// `fstatat` without following a symbolic link; `nil` when the name does not exist.
    static func lstat(_ dir: Int32, _ name: [CChar]) throws -> stat? {
        var st = stat()
        if fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 { return st }
        let e = errno
        if e == ENOENT { return nil }
        throw SystemError("stat", text(name), code: e)
    }

    /// Opens a directory (following symbolic links: the layout's directories are the administrator's to place).
    static func openDirectory(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw SystemError("open", path) }
        return fd
    }

    /// Flushes a directory's entries to disk, so a rename survives a power cut; `fsync` on a directory is how.
    static func syncDirectory(_ fd: Int32, _ path: String) throws {
        if fsync(fd) != 0 { throw SystemError("fsync", path) }
    }

    /// The names in a directory (not `.` and `..`), as raw bytes: a name need not be UTF-8.
    static func list(_ dir: Int32, _ path: String) throws -> [[UInt8]] {
        let copy = dup(dir)
        if copy < 0 { throw SystemError("dup", path) }
        guard let stream = fdopendir(copy) else {
            let e = errno
            close(copy)
            throw SystemError("opendir", path, code: e)
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw SystemError("readdir", path) }
                break
            }
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { raw -> [UInt8] in
                let bytes = raw.bindMemory(to: UInt8.self)
                let n = bytes.firstIndex(of: 0) ?? bytes.count
                return Array(bytes[0..<n])
            }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        return names
    }

    /// Reads `fd` to its end, but never more than `limit` bytes; `nil` when there was more than that.
    static func readAll(_ fd: Int32, expected: Int, limit: Int, path: String) throws -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(min(expected, limit) + 1)
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, chunk) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("read", path)
            }
            if n == 0 { return out }
            out.append(contentsOf: buffer[0..<n])
            if out.count > limit { return nil }
        }
    }

    /// Writes all of `bytes` to `fd`.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write", path)
            }
            offset += n
        }
    }

    /// Creates `name` in `dir` with exactly `bytes`, durably and atomically (see the other overload).
    static func createFile(
        _ bytes: [UInt8], named name: [CChar], in dir: Int32, staging stagingDir: Int32, mode: mode_t
    ) throws {
        try createFile(named: name, in: dir, staging: stagingDir, mode: mode) { fd, path in
            try writeAll(fd, bytes, path: path)
        }
    }

    /// Creates `name` in `dir` whole or not at all: `write` fills a file under a dot-name in `stagingDir` (same
    /// filesystem), which is fsynced, given `mode` exactly (whatever the umask), and renamed into place without
    /// replacing anything (`EEXIST` if the name is taken). Nobody ever sees a partial file under `name`, and the
    /// dot-name is one the inbox ignores. The caller fsyncs `dir` when it wants the entry itself durable.
    static func createFile(
        named name: [CChar], in dir: Int32, staging stagingDir: Int32, mode: mode_t,
        write: (_ fd: Int32, _ path: String) throws -> Void
    ) throws {
        let staging = ".warnd-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
        let stagingName = Array(staging.utf8CString)
        let fd = openat(stagingDir, stagingName, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd < 0 { throw SystemError("create", staging) }
        do {
            do {
                // Closed before the rename: under its final name the file is complete and nobody holds it open.
                defer { close(fd) }
                try write(fd, staging)
                if fchmod(fd, mode) != 0 { throw SystemError("chmod", staging) }
                if fsync(fd) != 0 { throw SystemError("fsync", staging) }
            }
            try renameNoReplace(from: stagingDir, stagingName, to: dir, name)
        } catch {
            unlinkat(stagingDir, stagingName, 0)
            throw error
        }
    }

    /// A time as nanoseconds since the epoch, comparable and exact.
    static func nanoseconds(_ t: timespec) -> Int64 {
        Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }

    /// The current wall-clock time: file modification times are on this clock.
    static func now() -> timespec {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return t
    }
}
