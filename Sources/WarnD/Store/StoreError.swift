/// Why the store cannot be opened or used.
enum StoreError: Error, CustomStringConvertible {
    /// Another process holds the store in a way that excludes this one (a bulk import, or a daemon while importing).
    case inUse(path: String, reason: String)
    case lockFile(path: String, errno: Int32)

    var description: String {
        switch self {
        case .inUse(let path, let reason): return "\(path): \(reason)"
        case .lockFile(let path, let code): return "\(path): cannot open the lock file: \(String(cString: strerror(code)))"
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
