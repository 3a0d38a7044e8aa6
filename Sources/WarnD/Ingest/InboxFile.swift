import Glibc

/// One inbox file read whole through a descriptor, with the identity of the inode the bytes came from.
///
/// The identity lets the ingestor check, when it moves the file after the handler answered, that the name still
/// holds these bytes: a department may have replaced the file under the same name meanwhile, and that new file
/// must not be archived as if it were this one.
struct InboxFile: Sendable {
    /// The entry's name in the inbox (always a safe name: unsafe ones are set aside before reading).
    let name: InboxName
    /// `name` as text: what the handler, the logs and the archive see.
    let displayName: String
    let bytes: [UInt8]
    let sha256: String
    let identity: Identity

    /// The inode a name pointed at: two names (or one name at two moments) with the same identity are one file.
    struct Identity: Sendable, Hashable {
        var device: UInt64
        var inode: UInt64

        init(_ st: stat) {
            device = UInt64(st.st_dev)
            inode = UInt64(st.st_ino)
        }
    }

    var submission: Submission {
        Submission(name: displayName, bytes: bytes, sha256: sha256)
    }
}
