import Rules

/// A data file taken from the inbox, read whole, ready to be judged and stored.
struct Submission: Sendable {
    /// The file name as it arrived in the inbox (no directory).
    var name: String
    /// Every byte of the file, exactly as read.
    var bytes: [UInt8]
    /// Lowercase hex SHA-256 of `bytes`: the identity that recognises a file sent twice.
    var sha256: String
}

/// What became of a submission: the ingest layer moves the file accordingly (archive, rejected, or leaves it).
enum SubmissionResult: Sendable, Equatable {
    /// Stored in one transaction: `rows` values, `series` series touched.
    case accepted(rows: Int, series: Int)
    /// Identical to the submission accepted earlier under `name`; nothing stored.
    case duplicate(of: String)
    /// Invalid; nothing stored. Each reason is `file:line:column: error: message`.
    case rejected(reasons: [String])
    /// Could not be processed now (I/O error, full disk); the file stays in the inbox to be retried.
    case failed(reason: String)
}

/// Judges and stores submissions; the daemon implements it, the ingest layer calls it.
protocol SubmissionHandler: Sendable {
    func handle(_ submission: Submission) async -> SubmissionResult
}
