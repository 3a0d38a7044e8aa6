/// The journal `MESSAGE_ID` of each kind of event warnd logs, one fixed 128-bit id each.
///
/// Ops filter on them (`journalctl MESSAGE_ID=…`) and `deploy/systemd/warnd.catalog` explains each one, so
/// `journalctl -x` shows what happened and what to do. Never change an id: that would break saved filters.
enum MessageID {
    /// An alert started firing.
    static let alertFiring = "bd425d13448347d588f370f9d1056479"
    /// A firing alert resolved.
    static let alertResolved = "616c9372623f4a93b7e9bbaa8063581f"
    /// A data file was accepted and stored.
    static let fileAccepted = "f29412e3a68d41bf876767d4119cbf91"
    /// A data file was rejected.
    static let fileRejected = "04c4cd9ab51440599a4cde95dd1870ac"
    /// A data file identical to an accepted one was set aside.
    static let fileDuplicate = "a0e164608d364c50901164d7f85ae9dd"
    /// Rules were loaded (at startup or on reload).
    static let rulesLoaded = "5abf600bc4bd4595974b96ce938db439"
    /// A reload was refused; the old rules keep running.
    static let reloadFailed = "51f6cda5d7544b6a9dff44d547942ccc"
    /// An evaluation finished.
    static let evaluationFinished = "ff00852c9be64e9abb0cb2e9f616ee5f"
    /// A data file could not be processed (I/O, full disk); it stays in the inbox.
    static let ingestFailed = "8942ac0e6f734f6e9b126452ff16ae83"
    /// Warnd is ready.
    static let started = "6d3c1ad6e2104f47b51de6d8f1f55b35"

    static let all: [(name: String, id: String)] = [
        ("alertFiring", alertFiring),
        ("alertResolved", alertResolved),
        ("fileAccepted", fileAccepted),
        ("fileRejected", fileRejected),
        ("fileDuplicate", fileDuplicate),
        ("rulesLoaded", rulesLoaded),
        ("reloadFailed", reloadFailed),
        ("evaluationFinished", evaluationFinished),
        ("ingestFailed", ingestFailed),
        ("started", started),
    ]
}
