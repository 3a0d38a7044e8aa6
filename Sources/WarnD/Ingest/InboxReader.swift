import Glibc

/// Looks at one inbox entry and reads it whole, without ever following, opening or blocking on a hostile one.
///
/// Anyone who can write to the inbox can put anything there: a symbolic link to `/etc/shadow` or to warnd's own
/// database, a FIFO that would block a reader forever, a device node, a hard link to a file they could not otherwise
/// get into the archive, a name with a newline that would forge a log line. The reader decides from `lstat` what the
/// entry is before opening it, opens only regular files, relative to the inbox descriptor, with `O_NOFOLLOW |
/// O_NONBLOCK` (so a link or FIFO swapped in after the `lstat` can neither be followed nor block), checks with
/// `fstat` that it opened the very inode it looked at, and reads the bytes through that descriptor only.
///
/// It also waits for writers: a file modified within `settle` may still be being written in place, and a file whose
/// size, modification or change time moved while it was read is left for a later pass. Writers who write under a
/// dot-name and rename (as `warnd ingest` does) are never caught half-way; `settle` is for those who do not.
struct InboxReader: Sendable {
    struct Configuration: Sendable {
        /// Larger files are set aside unread: a data file of the plans is kilobytes, so anything this big is a
        /// mistake, and reading it would hold that much memory.
        var maxFileSize: Int = 64 << 20
        /// How long a regular file must have been left unmodified before it is read.
        var settle: Duration = .seconds(2)

        init(maxFileSize: Int = 64 << 20, settle: Duration = .seconds(2)) {
            self.maxFileSize = maxFileSize
            self.settle = settle
        }
    }

    /// What to do with an entry.
    enum Outcome: Sendable {
        /// A dot-name: work in progress by convention, never touched.
        case ignored
        /// Gone since the directory was listed (taken by someone else, or renamed again).
        case vanished
        /// Still being written, or changed while looked at: look again after `retryIn`.
        case notReady(retryIn: Duration, reason: String)
        /// Not to be read: move the entry itself, unread, to `rejected/` with `reason` (a complete sentence that
        /// starts with the entry's kind). `identity` is the inode examined, so the move can check it moved that one.
        case setAside(identity: InboxFile.Identity, reason: String)
        /// Could not be looked at now (out of descriptors, an I/O error): retry later with backoff.
        case unavailable(reason: String)
        /// Read whole and verified.
        case ready(InboxFile)
    }

    var configuration: Configuration

    /// Called after the bytes are read and before they are checked against a second `fstat`: lets a test change
    /// the file at exactly that moment. Always `nil` in the daemon.
    var afterRead: (@Sendable (_ name: InboxName) -> Void)?

    init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Examines `name` in the directory `inbox` at wall-clock time `now`, reading it when it is ready.
    func examine(_ name: InboxName, in inbox: Int32, now: timespec = FileOps.now()) -> Outcome {
        if name.isHidden { return .ignored }
        let cName = name.cString
        let st: stat
        do {
            guard let found = try FileOps.lstat(inbox, cName) else { return .vanished }
            st = found
        } catch {
            return .unavailable(reason: "\(error)")
        }
        let identity = InboxFile.Identity(st)
        if let reason = name.unsafeReason {
            let original = "original name: \"\(name.escaped)\""
            return .setAside(identity: identity, reason: "unsafe file name: \(reason); \(original)")
        }
        guard st.st_mode & S_IFMT == S_IFREG else {
            return .setAside(identity: identity, reason: describeNonRegular(st, name: cName, in: inbox))
        }
        if let wait = unsettled(st, now: now) {
            return .notReady(retryIn: wait, reason: "modified less than \(configuration.settle) ago")
        }
        if let reason = refusal(st) { return .setAside(identity: identity, reason: reason) }

        let fd = openat(inbox, cName, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        if fd < 0 {
            let e = errno
            switch e {
            case ENOENT:
                return .vanished
            case EACCES, EPERM:
                return .setAside(identity: identity, reason: "unreadable file: warnd has no permission to read it "
                    + "(give warnd's group read access, e.g. mode 0640, and send it again)")
            case ELOOP, ENXIO, EWOULDBLOCK, ETXTBSY:
                // Replaced by a link, socket or busy file since the lstat: the next pass sees what it is now.
                return .notReady(retryIn: retryAfterChange, reason: "replaced while being examined")
            default:
                return .unavailable(reason: "\(SystemError("open", name.description, code: e))")
            }
        }
        defer { close(fd) }
        var opened = stat()
        if fstat(fd, &opened) != 0 { return .unavailable(reason: "\(SystemError("fstat", name.description))") }
        guard InboxFile.Identity(opened) == identity, opened.st_mode & S_IFMT == S_IFREG else {
            return .notReady(retryIn: retryAfterChange, reason: "replaced while being examined")
        }
        if let reason = refusal(opened) { return .setAside(identity: identity, reason: reason) }

        let bytes: [UInt8]
        do {
            guard let read = try FileOps.readAll(
                fd, expected: Int(opened.st_size), limit: configuration.maxFileSize, path: name.description
            ) else {
                return .notReady(retryIn: retryAfterChange, reason: "grew past the size limit while being read")
            }
            bytes = read
        } catch {
            return .unavailable(reason: "\(error)")
        }
        afterRead?(name)
        var after = stat()
        if fstat(fd, &after) != 0 { return .unavailable(reason: "\(SystemError("fstat", name.description))") }
        guard after.st_size == opened.st_size, Int(after.st_size) == bytes.count,
            FileOps.nanoseconds(after.st_mtim) == FileOps.nanoseconds(opened.st_mtim),
            FileOps.nanoseconds(after.st_ctim) == FileOps.nanoseconds(opened.st_ctim)
        else {
            return .notReady(retryIn: retryAfterChange, reason: "changed while being read")
        }
        let display = name.safeString!
        return .ready(InboxFile(
            name: name, displayName: display, bytes: bytes, sha256: SHA256.hex(bytes), identity: identity))
    }

    /// Why a regular file is refused unread, or `nil`.
    private func refusal(_ st: stat) -> String? {
        if st.st_nlink > 1 {
            return "hard link: the file has \(st.st_nlink) names; a file linked from elsewhere is not read, "
                + "because a link to a file outside the inbox would copy it into the archive (send a copy instead)"
        }
        if Int(st.st_size) > configuration.maxFileSize {
            return "file too large: \(st.st_size) bytes, more than the limit of \(configuration.maxFileSize) bytes; "
                + "it was not read"
        }
        return nil
    }

    /// How long until a regular file counts as settled, or `nil` when it already does.
    ///
    /// The modification time says when a writer last wrote. One in the future (a copy that kept the times of a
    /// machine whose clock is ahead) says nothing, so the change time, which only the kernel sets, is used instead;
    /// and a change time still in the future means the clock was set back after the last write.
    private func unsettled(_ st: stat, now: timespec) -> Duration? {
        let settle = Self.nanoseconds(configuration.settle)
        let nowNs = FileOps.nanoseconds(now)
        let mtime = FileOps.nanoseconds(st.st_mtim)
        let changed = mtime <= nowNs + settle ? mtime : FileOps.nanoseconds(st.st_ctim)
        if changed > nowNs + settle { return nil }
        let age = nowNs - changed
        return age < settle ? .nanoseconds(settle - age) : nil
    }

    /// How long to wait after catching an entry changing under the reader.
    private var retryAfterChange: Duration {
        max(configuration.settle, .milliseconds(500))
    }

    /// What a non-regular entry is, in words for the `.error` file and the log.
    private func describeNonRegular(_ st: stat, name: [CChar], in dir: Int32) -> String {
        let only = "; only regular files are read, and this entry was not opened"
        switch st.st_mode & S_IFMT {
        case S_IFLNK:
            var target = [CChar](repeating: 0, count: 4096)
            let n = target.withUnsafeMutableBufferPointer { readlinkat(dir, name, $0.baseAddress!, $0.count) }
            let bytes = target.prefix(max(n, 0)).map { UInt8(bitPattern: $0) }
            let shown = n >= 0 ? " to \"\(InboxName(bytes: bytes).escaped)\"" : ""
            return "symbolic link\(shown)\(only) (its target was not touched)"
        case S_IFIFO: return "FIFO (named pipe)\(only)"
        case S_IFCHR: return "character device\(only)"
        case S_IFBLK: return "block device\(only)"
        case S_IFSOCK: return "socket\(only)"
        case S_IFDIR: return "directory\(only); put data files directly in the inbox"
        default: return "entry of unknown type\(only)"
        }
    }

    static func nanoseconds(_ d: Duration) -> Int64 {
        let (seconds, attoseconds) = d.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
