import Glibc

/// An advisory `flock` on `<database>.lock` that keeps a bulk import and everything else apart.
///
/// Every `Store` takes it shared, so the daemon, tools and tests can open the same database together; `warnd import`
/// takes it exclusive, because a running daemon keeps the whole dataset in memory and would not see rows committed
/// behind its back (and its next evaluation would work from stale data). Neither waits: whoever comes second fails
/// at once with a message saying why. The lock goes with the descriptor, so a crash releases it.
final class StoreLock: Sendable {
    let fd: Int32

    init(databasePath: String, exclusive: Bool) throws {
        let path = databasePath + ".lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        if fd < 0 { throw StoreError.lockFile(path: path, errno: errno) }
        if flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK {
                throw StoreError.inUse(
                    path: databasePath,
                    reason: exclusive
                        ? "the store is open in another process (a running warnd daemon?); stop it before importing"
                        : "the store is being bulk-loaded by 'warnd import'; start once the import has finished"
                )
            }
            throw StoreError.lockFile(path: path, errno: code)
        }
    }

    deinit { close(fd) }
}
