import Glibc

/// An exclusive `flock` on `<state>/warnd.lock`, held for the life of `warnd run`.
///
/// Two daemons on one state directory would both take the same inbox file, both commit and both append to
/// `events.jsonl`, each with its own idea of the next `seq`: every file stored once is no longer guaranteed, nor is
/// every transition announced once. `flock` is released by the kernel when the process ends however it ends (even
/// `SIGKILL`), so a crashed daemon never leaves a stale lock, and the file's content (the holder's PID) is only a
/// hint for the error message, never the lock itself.
final class StateDirectoryLock: Sendable {
    /// The lock file's name in the state directory.
    static let fileName = "warnd.lock"

    let path: String
    private let fd: Int32

    /// Why the lock could not be taken, in words for the operator.
    enum LockError: Error, Sendable, CustomStringConvertible {
        /// Another process holds it; `pid` is what that process wrote in the file, when readable.
        case held(path: String, stateDirectory: String, pid: Int32?)
        case system(SystemError)

        var description: String {
            switch self {
            case let .held(path, state, pid):
                let holder = pid.map { "process \($0)" } ?? "another process (its PID is not known)"
                return "another warnd daemon is already running on the state directory \(state): \(holder) holds "
                    + "the lock \(path); stop it first, or give this daemon its own state directory"
            case let .system(e):
                return "cannot take the state directory's lock: \(e)"
            }
        }
    }

    /// Takes the lock or throws `LockError`; never waits.
    init(stateDirectory: String) throws(LockError) {
        let path = (stateDirectory.hasSuffix("/") ? String(stateDirectory.dropLast()) : stateDirectory)
            + "/" + Self.fileName
        // O_NOFOLLOW: a link planted in place of the lock file is not followed to truncate its target.
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0o640)
        if fd < 0 { throw .system(SystemError("open", path)) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let e = errno
            let pid = e == EWOULDBLOCK ? Self.readPID(fd) : nil
            close(fd)
            throw e == EWOULDBLOCK ? .held(path: path, stateDirectory: stateDirectory, pid: pid)
                : .system(SystemError("flock", path, code: e))
        }
        // Only the holder writes, so a reader sees either the old holder's PID or ours.
        let text = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 {
            _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
        self.path = path
        self.fd = fd
    }

    private static func readPID(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let text = String(decoding: buffer[..<n], as: UTF8.self).trimmingWhitespace
        return Int32(text).flatMap { $0 > 0 ? $0 : nil }
    }

    deinit {
        close(fd)
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        String(self.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
