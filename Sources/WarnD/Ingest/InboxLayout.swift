import Glibc

/// The directories the ingest layer uses under the daemon's state directory, and how files are named in them.
///
/// ```text
/// <state>/inbox/      departments drop files here (mode 2770: group-writable, setgid so files get warnd's group)
/// <state>/archive/    every file taken, accepted or duplicate, under a name that carries its day and hash (0750)
/// <state>/rejected/   every file set aside, each with a `.error` file beside it saying why (0750)
/// <state>/tmp/        warnd's own staging for files it writes (`.error`, copies), on the same filesystem (0700)
/// ```
///
/// Nothing submitted is ever deleted: a file ends in `archive/` or `rejected/`, or stays in `inbox/`. All four must be
/// on one filesystem, because moves are `rename(2)`, which is atomic only there; `prepare()` checks this so a
/// misplaced symbolic link stops the daemon at start instead of failing every file.
///
/// Names:
/// - accepted: `archive/<YYYYMMDD>-<sha256 first 16 hex>-<name>`, the day (local time) it was taken, so
///   `ls archive/` sorts by day and the journal's `sha256` finds the file;
/// - duplicate: `archive/<YYYYMMDD>-<hash16>-duplicate-<name>`; the hash is the same as the accepted original's
///   (the bytes are identical), so `ls archive/*-<hash16>-*` lists the original and all its repeats;
/// - rejected: `rejected/<name>`, with `rejected/<name>.error`;
/// - a name already taken gets `.1`, `.2`, … appended (`bad.csv.1` and `bad.csv.1.error`): nothing is replaced.
///
/// Names are shortened (keeping the extension) when the prefix would take them past the 255-byte limit of a name.
struct InboxLayout: Sendable {
    let stateDirectory: String

    init(stateDirectory: String) {
        self.stateDirectory = stateDirectory.count > 1 && stateDirectory.hasSuffix("/")
            ? String(stateDirectory.dropLast()) : stateDirectory
    }

    var inbox: String { stateDirectory + "/inbox" }
    var archive: String { stateDirectory + "/archive" }
    var rejected: String { stateDirectory + "/rejected" }
    var tmp: String { stateDirectory + "/tmp" }

    /// Each directory and the mode it is created with when missing (existing directories keep theirs: the
    /// administrator may have chosen otherwise).
    var directories: [(path: String, mode: mode_t)] {
        [(inbox, 0o2770), (archive, 0o750), (rejected, 0o750), (tmp, 0o700)]
    }

    /// Creates the state directory (with its parents) and the four directories where missing, with exactly their
    /// modes (whatever the umask: systemd's default 022 would otherwise strip the group write departments need), and
    /// checks that they are directories on one filesystem.
    func prepare() throws {
        var parent = stateDirectory.hasPrefix("/") ? "" : "."
        for component in stateDirectory.split(separator: "/") {
            parent += "/" + component
            try Self.makeDirectory(parent, mode: 0o750)
        }
        var device: dev_t?
        for (path, mode) in directories {
            try Self.makeDirectory(path, mode: mode)
            var st = stat()
            if stat(path, &st) != 0 { throw SystemError("stat", path) }
            guard st.st_mode & S_IFMT == S_IFDIR else { throw SystemError("mkdir", path, code: ENOTDIR) }
            if let device, device != st.st_dev {
                throw LayoutError(message: "\(path) is on another filesystem than \(inbox): files are moved with "
                    + "rename(2), which works only within one filesystem")
            }
            device = st.st_dev
        }
    }

    /// Open descriptors of the four directories, closed when the value goes away.
    ///
    /// Opened afresh for every pass over the inbox, so an administrator who replaces a directory is followed.
    final class Directories: Sendable {
        let inbox: Int32
        let archive: Int32
        let rejected: Int32
        let tmp: Int32

        fileprivate init(inbox: Int32, archive: Int32, rejected: Int32, tmp: Int32) {
            self.inbox = inbox
            self.archive = archive
            self.rejected = rejected
            self.tmp = tmp
        }

        deinit {
            for fd in [inbox, archive, rejected, tmp] where fd >= 0 { close(fd) }
        }
    }

    func open() throws -> Directories {
        let inbox = try FileOps.openDirectory(inbox)
        var fds = [inbox]
        do {
            for path in [archive, rejected, tmp] { fds.append(try FileOps.openDirectory(path)) }
        } catch {
            for fd in fds { close(fd) }
            throw error
        }
        return Directories(inbox: fds[0], archive: fds[1], rejected: fds[2], tmp: fds[3])
    }

    /// An invalid layout, said in words for the operator.
    struct LayoutError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    // MARK: Stale staging files

    /// The prefix of the dot-names under which `warnd ingest` (in `inbox/`) and the daemon (in `tmp/`) write a file
    /// before renaming it into place (`FileOps.createFile`).
    static let stagingPrefix = ".warnd-"

    /// How long a staging file in the inbox must have gone unmodified before it counts as left by a writer that
    /// died. A live writer touches its file with every write and renames it within moments, so an hour without a
    /// write is a dead one (`warnd ingest` killed mid-copy). Other dot-names are never touched: they belong to other
    /// uploaders, whose conventions warnd cannot know. (In `tmp/`, which only the daemon writes, every staging file
    /// found at start is stale, whatever its age.)
    static let staleStagingAge: Duration = .seconds(3600)

    /// Removes the regular files named `.warnd-…` in `dir` whose last modification is more than `olderThan` before
    /// `now`, and returns their names and sizes. Nothing is followed: only regular files qualify, and `unlinkat`
    /// removes a name, never a link's target.
    static func removeStaleStaging(
        in dir: Int32, names: [InboxName], now: timespec, olderThan: Duration = staleStagingAge
    ) -> [(name: InboxName, size: Int)] {
        let prefix = Array(stagingPrefix.utf8)
        let limit = FileOps.nanoseconds(now) - InboxReader.nanoseconds(olderThan)
        var removed: [(name: InboxName, size: Int)] = []
        for name in names where name.bytes.starts(with: prefix) {
            guard let st = try? FileOps.lstat(dir, name.cString), st.st_mode & S_IFMT == S_IFREG,
                FileOps.nanoseconds(st.st_mtim) <= limit
            else { continue }
            if unlinkat(dir, name.cString, 0) == 0 { removed.append((name, Int(st.st_size))) }
        }
        return removed
    }

    // MARK: Names

    /// The longest file name Linux filesystems take, in bytes.
    static let nameMax = 255

    /// The archive name of a file taken on `day` (`YYYYMMDD`) with digest `sha256`.
    static func archiveName(day: String, sha256: String, name: String, duplicate: Bool) -> String {
        let prefix = "\(day)-\(sha256.prefix(16))-" + (duplicate ? "duplicate-" : "")
        return prefix + fit(name, bytes: nameMax - prefix.utf8.count - suffixReserve)
    }

    /// The base name in `rejected/` for `name` (the `.N` and `.error` suffixes still fit after it).
    static func rejectedName(_ name: String) -> String {
        fit(name, bytes: nameMax - suffixReserve - ".error".utf8.count)
    }

    /// Room kept for a `.N` suffix.
    private static let suffixReserve = 5

    /// The `attempt`-th name to try for `base`: `base`, `base.1`, `base.2`, …
    static func candidate(_ base: String, _ attempt: Int) -> String {
        attempt == 0 ? base : "\(base).\(attempt)"
    }

    /// `name` cut to at most `bytes` UTF-8 bytes on a character boundary, keeping a short extension: `长…名.csv`
    /// becomes `长~.csv`.
    static func fit(_ name: String, bytes: Int) -> String {
        guard name.utf8.count > bytes else { return name }
        var ext = ""
        if let dot = name.lastIndex(of: "."), dot != name.startIndex, name.utf8[dot...].count <= 16 {
            ext = String(name[dot...])
        }
        let stemBudget = bytes - ext.utf8.count - 1
        var stem = ""
        for c in name.dropLast(ext.count) {
            if stem.utf8.count + String(c).utf8.count > stemBudget { break }
            stem.append(c)
        }
        return stem + "~" + ext
    }

    /// The local day of `time` as `YYYYMMDD`: the day the operators lived, for the archive name.
    static func day(_ time: timespec) -> String {
        let t = local(time)
        return pad(Int(t.tm_year) + 1900, 4) + pad(Int(t.tm_mon) + 1, 2) + pad(Int(t.tm_mday), 2)
    }

    /// `time` as ISO 8601 in local time with its offset, `2025-07-01T10:23:45+08:00`, for the `.error` file.
    static func timestamp(_ time: timespec) -> String {
        let t = local(time)
        let offset = Int(t.tm_gmtoff) / 60
        let sign = offset < 0 ? "-" : "+"
        return pad(Int(t.tm_year) + 1900, 4) + "-" + pad(Int(t.tm_mon) + 1, 2) + "-" + pad(Int(t.tm_mday), 2)
            + "T" + pad(Int(t.tm_hour), 2) + ":" + pad(Int(t.tm_min), 2) + ":" + pad(Int(t.tm_sec), 2)
            + sign + pad(abs(offset) / 60, 2) + ":" + pad(abs(offset) % 60, 2)
    }

    private static func local(_ time: timespec) -> tm {
        var seconds = time.tv_sec
        var t = tm()
        localtime_r(&seconds, &t)
        return t
    }

    private static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// `mkdir` with exactly `mode` when the directory is missing.
    /// Creates a missing directory; an existing one is left as it is (under systemd, tmpfiles.d made it).
    ///
    /// Checks first rather than trying `mkdir`: with `RestrictSUIDSGID=yes` even a `mkdir` with the setgid bit of a
    /// directory that exists fails with EPERM. A new directory gets the setgid bit only where the sandbox allows it.
    private static func makeDirectory(_ path: String, mode: mode_t) throws {
        var st = stat()
        if stat(path, &st) == 0 { return }
        let plain = mode & ~mode_t(S_ISGID | S_ISUID)
        if mkdir(path, plain) != 0 {
            let e = errno
            guard e == EEXIST else { throw SystemError("mkdir", path, code: e) }
            return
        }
        if chmod(path, mode) != 0 {
            guard errno == EPERM, chmod(path, plain) == 0 else { throw SystemError("chmod", path) }
        }
    }
}
