/// Why the store cannot be opened or used.
enum StoreError: Error, CustomStringConvertible {
    /// Another process holds the store in a way that excludes this one (a bulk import, or a daemon while importing).
    case inUse(path: String, reason: String)
    case lockFile(path: String, errno: Int32)
    /// A series and period came twice in the parts of one submission (see ``Store/accept(parts:name:sha256:receivedAt:format:encoding:)``).
    case repeatedInSubmission
    /// The file was stored before, under this name.
    case duplicate(of: String)
    /// Opened read-only, but there is no store at this path.
    case missing(path: String)
    /// Opened read-only, but the store's schema is older than this warnd's (a read-write open migrates it).
    case outdated(path: String)
    /// A record without its message changes a stored alert row, and there is none with its id.
    case noAlertRow(id: String)

    var description: String {
        switch self {
        case .inUse(let path, let reason): return "\(path): \(reason)"
        case .lockFile(let path, let code): return "\(path): cannot open the lock file: \(String(cString: strerror(code)))"
        case .repeatedInSubmission: return "a series and period appear twice in the file"
        case .duplicate(let name): return "already stored as \(name)"
        case .missing(let path): return "\(path): no store here"
        case .outdated(let path): return "\(path): the store has an older schema; start the daemon or run 'warnd import' once to migrate it"
        case .noAlertRow(let id): return "alert \(id): no stored alert to change"
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
