import Glibc
import Logging
import ServiceLifecycle

/// Takes data files from the inbox to the handler and puts each where its answer says: the daemon's inbox service.
///
/// For every entry, one at a time in name order (so of two files revising the same figure, the later name wins,
/// deterministically): read it safely (`InboxReader`), hand the `Submission` to the `SubmissionHandler`, and move
/// the file by the answer:
///
/// | answer | the file goes to |
/// | --- | --- |
/// | `accepted` | `archive/<day>-<hash16>-<name>` |
/// | `duplicate` | `archive/<day>-<hash16>-duplicate-<name>` |
/// | `rejected` | `rejected/<name>` with `rejected/<name>.error` listing every reason |
/// | `failed` | stays in the inbox; retried with exponential backoff (`RetrySchedule`), the files after it waiting |
///
/// Entries that must not be read (links, FIFOs, devices, sockets, directories, hard links, oversize files, unsafe
/// names) go to `rejected/` unread, with a `.error` saying what they were. Every move is a `rename` that never
/// replaces anything, checked afterwards to have moved the very file that was read, and followed by an `fsync` of
/// both directories. Nothing is deleted: if the name no longer holds the file that was read (a department replaced
/// it meanwhile), the bytes that were read are written to the destination instead and the new file waits for the
/// next pass. Every outcome is logged with the metadata keys `file`, `sha256`, `rows`, `series`, `reason` and the
/// journal `MESSAGE_ID` of `MessageID`.
///
/// The daemon runs it in its service group:
///
/// ```swift
/// let ingestor = Ingestor(layout: InboxLayout(stateDirectory: stateDirectory), handler: store, logger: logger)
/// let group = ServiceGroup(services: [ingestor, …], gracefulShutdownSignals: [.sigterm], logger: logger)
/// ```
///
/// On graceful shutdown or cancellation the file being handled is finished and moved, and the rest wait in the
/// inbox for the next start.
struct Ingestor: Service {
    struct Configuration: Sendable {
        var reader = InboxReader.Configuration()
        var watcher = InboxWatcher.Configuration()
        /// The first wait after a failure; it doubles with each further failure of the same file.
        var retryInitial: Duration = .seconds(1)
        /// The longest wait between two attempts at a failing file.
        var retryMaximum: Duration = .seconds(300)

        init(
            reader: InboxReader.Configuration = .init(), watcher: InboxWatcher.Configuration = .init(),
            retryInitial: Duration = .seconds(1), retryMaximum: Duration = .seconds(300)
        ) {
            self.reader = reader
            self.watcher = watcher
            self.retryInitial = retryInitial
            self.retryMaximum = retryMaximum
        }
    }

    let layout: InboxLayout
    let handler: any SubmissionHandler
    let configuration: Configuration
    let logger: Logger
    /// The reader, exposed so a test can hook into it.
    var reader: InboxReader

    init(
        layout: InboxLayout, handler: any SubmissionHandler, configuration: Configuration = Configuration(),
        logger: Logger
    ) {
        self.layout = layout
        self.handler = handler
        self.configuration = configuration
        self.logger = logger
        self.reader = InboxReader(configuration: configuration.reader)
    }

    /// Creates the layout, then processes the inbox until cancellation or graceful shutdown.
    func run() async throws {
        try layout.prepare()
        // Only this daemon writes in tmp/ (`warnd run` holds the state directory's lock), and it has not started
        // writing: every staging file there was left by an earlier run that was killed, whatever its age.
        if let dirs = try? layout.open(), let names = try? FileOps.list(dirs.tmp, layout.tmp) {
            for (name, size) in InboxLayout.removeStaleStaging(
                in: dirs.tmp, names: names.map(InboxName.init(bytes:)), now: FileOps.now(), olderThan: .zero)
            {
                log(.notice, "removed tmp/\(name) (\(size) bytes): a file an earlier run of warnd was writing when "
                    + "it was stopped", ["file": "\(name)", "reason": "stale staging file"])
            }
        }
        var schedule = newSchedule()
        let watcher = InboxWatcher(directory: layout.inbox, configuration: configuration.watcher, logger: logger)
        try await watcher.run {
            await pass(&schedule).nextDue
        }
    }

    /// A retry schedule with this ingestor's backoff, for `pass`.
    func newSchedule() -> RetrySchedule {
        RetrySchedule(initial: configuration.retryInitial, maximum: configuration.retryMaximum)
    }

    /// What became of one entry in a pass.
    enum Disposition: Sendable, Equatable {
        /// Moved to (or, when the name had been replaced meanwhile, written to) `archive/<name>`.
        case archived(String)
        /// Moved (or written) to `rejected/<name>`, with `rejected/<name>.error`.
        case rejected(String)
        /// Left in the inbox for a later pass, with why.
        case left(String)
        /// A dot-name, or gone before it could be looked at.
        case skipped
    }

    /// What one pass did, entry by entry in the order processed, and when the next pass is wanted.
    struct PassReport: Sendable {
        /// When the pass started: retry waits count from here.
        var startedAt: ContinuousClock.Instant
        var dispositions: [(name: InboxName, disposition: Disposition)] = []
        /// How long until a file left in the inbox becomes due (settled, or its retry time reached).
        var nextDue: Duration?

        subscript(_ name: String) -> Disposition? {
            dispositions.first { $0.name == InboxName(name) }?.disposition
        }

        fileprivate mutating func due(in delay: Duration) {
            nextDue = min(nextDue ?? delay, delay)
        }
    }

    /// One pass over the inbox: lists it and processes every entry, in name order, that is due at `now`.
    func pass(_ schedule: inout RetrySchedule, now: ContinuousClock.Instant = .now) async -> PassReport {
        var report = PassReport(startedAt: now)
        let dirs: InboxLayout.Directories
        let names: [InboxName]
        do {
            dirs = try layout.open()
            names = try FileOps.list(dirs.inbox, layout.inbox).map(InboxName.init(bytes:)).sorted()
            schedule.layoutProblem = nil
        } catch {
            let problem = "\(error)"
            if schedule.layoutProblem != problem {
                log(.error, "cannot read the inbox: \(problem)", [
                    "reason": "\(problem)", "MESSAGE_ID": "\(MessageID.ingestFailed)",
                ])
            }
            schedule.layoutProblem = problem
            return report
        }
        schedule.keep(only: Set(names))
        removeStaleStaging(in: dirs.inbox, names: names)
        for (index, name) in names.enumerated() {
            if InboxWatcher.stopping { break }
            if let wait = schedule.wait(for: name, now: now) {
                report.due(in: wait)
                if schedule.holdsBack(name) {
                    holdBack(names[(index + 1)...], behind: name, report: &report)
                    break
                }
                continue
            }
            let disposition = await process(name, dirs: dirs, schedule: &schedule, report: &report)
            report.dispositions.append((name, disposition))
            if case .left = disposition, schedule.holdsBack(name) {
                holdBack(names[(index + 1)...], behind: name, report: &report)
                break
            }
        }
        return report
    }

    /// Removes the `.warnd-…` staging files of writers that died (`InboxLayout.staleStagingAge`), saying so.
    private func removeStaleStaging(in dir: Int32, names: [InboxName]) {
        for (name, size) in InboxLayout.removeStaleStaging(in: dir, names: names, now: FileOps.now()) {
            let minutes = InboxLayout.staleStagingAge.components.seconds / 60
            log(.warning, "removed inbox/\(name) (\(size) bytes): the staging file of a copy that never finished "
                + "(untouched for more than \(minutes) minutes: its writer, such as a warnd ingest, was killed); "
                + "whoever sent it must send it again", ["file": "\(name)", "reason": "stale staging file"])
        }
    }

    /// Leaves `later` files for after `name`, which failed, so revisions apply in name order.
    private func holdBack(_ later: ArraySlice<InboxName>, behind name: InboxName, report: inout PassReport) {
        let waiting = later.filter { !$0.isHidden }
        guard !waiting.isEmpty else { return }
        let reason = "waiting for \(name), earlier in name order, to go through"
        log(.debug, "\(waiting.count) file\(waiting.count == 1 ? "" : "s") \(reason)", ["reason": "\(reason)"])
        for later in waiting { report.dispositions.append((later, .left(reason))) }
    }

    /// Logs `message`, built with `+` across lines (which `Logger.Message` literals do not allow).
    private func log(_ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata = [:]) {
        logger.log(level: level, "\(message)", metadata: metadata)
    }

    // MARK: One entry

    private func process(
        _ name: InboxName, dirs: InboxLayout.Directories, schedule: inout RetrySchedule, report: inout PassReport
    ) async -> Disposition {
        switch reader.examine(name, in: dirs.inbox) {
        case .ignored, .vanished:
            return .skipped
        case .notReady(let retryIn, let reason):
            log(.debug, "not taken yet: \(reason)", ["file": "\(name)", "reason": "\(reason)"])
            report.due(in: retryIn)
            return .left(reason)
        case .unavailable(let reason):
            return leave(name, reason: reason, holdsBack: true, schedule: &schedule, report: &report)
        case .setAside(let identity, let reason):
            return setAside(name, identity: identity, reason: reason, dirs: dirs, schedule: &schedule, report: &report)
        case .ready(let file):
            let result = await handler.handle(file.submission)
            return settle(file, result: result, dirs: dirs, schedule: &schedule, report: &report)
        }
    }

    /// Moves a file that was read by the handler's answer.
    private func settle(
        _ file: InboxFile, result: SubmissionResult, dirs: InboxLayout.Directories, schedule: inout RetrySchedule,
        report: inout PassReport
    ) -> Disposition {
        var metadata: Logger.Metadata = ["file": "\(file.displayName)", "sha256": "\(file.sha256)"]
        let day = InboxLayout.day(FileOps.now())
        do {
            switch result {
            case .accepted(let rows, let series):
                let base = InboxLayout.archiveName(
                    day: day, sha256: file.sha256, name: file.displayName, duplicate: false)
                let stored = try store(file, in: dirs.archive, base: base, dirs: dirs)
                schedule.succeeded(file.name)
                metadata["rows"] = "\(rows)"
                metadata["series"] = "\(series)"
                metadata["MESSAGE_ID"] = "\(MessageID.fileAccepted)"
                log(.notice, "accepted \(file.displayName): \(rows) values in \(series) series; "
                    + "archived as archive/\(stored)", metadata)
                return .archived(stored)
            case .duplicate(let original):
                let base = InboxLayout.archiveName(
                    day: day, sha256: file.sha256, name: file.displayName, duplicate: true)
                let stored = try store(file, in: dirs.archive, base: base, dirs: dirs)
                schedule.succeeded(file.name)
                metadata["reason"] = "duplicate of \(original)"
                metadata["MESSAGE_ID"] = "\(MessageID.fileDuplicate)"
                log(.notice, "\(file.displayName) is identical to \(original), accepted earlier; nothing stored; "
                    + "archived as archive/\(stored)", metadata)
                return .archived(stored)
            case .rejected(let reasons):
                let lines = reasons.isEmpty ? ["\(file.displayName): error: rejected (no reason given)"] : reasons
                let n = reasons.count
                let summary = "invalid data (\(n) error\(n == 1 ? "" : "s")); nothing from this file was stored; "
                    + "fix every line below and send the file again"
                let stored = try store(
                    file, in: dirs.rejected, base: InboxLayout.rejectedName(file.displayName), dirs: dirs,
                    errorReport: errorReport(summary: summary, lines: lines))
                schedule.succeeded(file.name)
                metadata["reason"] = "\(lines.joined(separator: "\n"))"
                metadata["MESSAGE_ID"] = "\(MessageID.fileRejected)"
                log(.warning, "rejected \(file.displayName): \(n) error\(n == 1 ? "" : "s"), first: "
                    + "\(lines[0]); set aside as rejected/\(stored)", metadata)
                return .rejected(stored)
            case .failed(let reason):
                return leave(
                    file.name, reason: reason, sha256: file.sha256, holdsBack: true, schedule: &schedule,
                    report: &report)
            }
        } catch {
            // The handler answered but the file could not be moved: it stays, and the next attempt gets `duplicate`
            // for an accepted file (the store recognises the hash), so nothing is stored twice.
            return leave(file.name, reason: "could not move the file after the handler's answer (\(result)): \(error)",
                sha256: file.sha256, holdsBack: false, schedule: &schedule, report: &report)
        }
    }

    /// Moves an entry that must not be read to `rejected/` with a `.error` that says what it was.
    private func setAside(
        _ name: InboxName, identity: InboxFile.Identity, reason: String, dirs: InboxLayout.Directories,
        schedule: inout RetrySchedule, report: inout PassReport
    ) -> Disposition {
        let base = InboxLayout.rejectedName(name.safeString ?? name.sanitized)
        let shown = name.safeString ?? name.escaped
        let text = errorReport(summary: "set aside unread: \(reason)", lines: ["\(shown): error: \(reason)"])
        do {
            for attempt in 0..<Self.maxAttempts {
                let candidate = InboxLayout.candidate(base, attempt)
                guard let placed = try place(
                    name, identity: identity, in: dirs.rejected, as: candidate, errorReport: text, dirs: dirs)
                else { continue }
                guard placed else {
                    return .left("changed while being set aside")  // the next pass looks at what is there now
                }
                schedule.succeeded(name)
                log(.warning, "set aside \(shown) unread as rejected/\(candidate): \(reason)", [
                    "file": "\(shown)", "reason": "\(reason)", "MESSAGE_ID": "\(MessageID.fileRejected)",
                ])
                return .rejected(candidate)
            }
            throw SystemError("rename", "rejected/\(base)", code: EEXIST)
        } catch {
            return leave(name, reason: "could not set it aside (\(reason)): \(error)", holdsBack: false,
                schedule: &schedule, report: &report)
        }
    }

    /// Leaves an entry in the inbox and schedules its retry; `holdsBack` when its content has not been applied.
    private func leave(
        _ name: InboxName, reason: String, sha256: String? = nil, holdsBack: Bool, schedule: inout RetrySchedule,
        report: inout PassReport
    ) -> Disposition {
        let wait = schedule.failed(name, holdsBack: holdsBack, now: report.startedAt)
        report.due(in: wait)
        var metadata: Logger.Metadata = [
            "file": "\(name)", "reason": "\(reason)", "MESSAGE_ID": "\(MessageID.ingestFailed)",
        ]
        if let sha256 { metadata["sha256"] = "\(sha256)" }
        log(.error, "could not process \(name) (attempt \(schedule.failures(of: name))): \(reason); "
            + "it stays in the inbox, next attempt in \(wait)"
            + (holdsBack ? "; the files after it in name order wait for it, so revisions apply in order" : ""),
            metadata)
        return .left(reason)
    }

    // MARK: Moving

    /// How many `.N` suffixes to try before giving up on a name.
    private static let maxAttempts = 1000

    /// Puts the file that was read into `dir` under `base` or its first free `.N` variant, with `errorReport` as
    /// `<that name>.error` when given; returns the name used.
    private func store(
        _ file: InboxFile, in dir: Int32, base: String, dirs: InboxLayout.Directories, errorReport: String? = nil
    ) throws -> String {
        for attempt in 0..<Self.maxAttempts {
            let candidate = InboxLayout.candidate(base, attempt)
            guard let placed = try place(
                file.name, identity: file.identity, in: dir, as: candidate, errorReport: errorReport, dirs: dirs)
            else { continue }
            if placed { return candidate }
            // The inbox name no longer holds the file that was read: keep the bytes that were read, whole.
            do {
                if let errorReport {
                    try FileOps.createFile(
                        Array(errorReport.utf8), named: Array((candidate + ".error").utf8CString), in: dir,
                        staging: dirs.tmp, mode: 0o640)
                }
                try FileOps.createFile(
                    file.bytes, named: Array(candidate.utf8CString), in: dir, staging: dirs.tmp, mode: 0o640)
                try FileOps.syncDirectory(dir, "destination")
                log(.warning, "\(file.displayName) was replaced in the inbox while it was handled; the bytes "
                    + "handled were written to \(candidate) and the new file waits for the next pass",
                    ["file": "\(file.displayName)", "sha256": "\(file.sha256)"])
                return candidate
            } catch let e as SystemError where e.code == EEXIST {
                continue
            }
        }
        throw SystemError("rename", base, code: EEXIST)
    }

    /// Moves inbox entry `name` to `dir/candidate` if it is still the inode `identity`, never replacing anything.
    ///
    /// Returns `nil` when `candidate` (or its `.error`) is taken, `false` when the inbox name no longer holds that
    /// inode (nothing moved), `true` when moved. The `.error` file, if any, is written first, so a crash between the
    /// two leaves a reason without a file rather than a file without a reason.
    private func place(
        _ name: InboxName, identity: InboxFile.Identity, in dir: Int32, as candidate: String, errorReport: String?,
        dirs: InboxLayout.Directories
    ) throws -> Bool? {
        let target = Array(candidate.utf8CString)
        let errorName = Array((candidate + ".error").utf8CString)
        if FileOps.exists(dir, target) || (errorReport != nil && FileOps.exists(dir, errorName)) { return nil }
        guard let st = try FileOps.lstat(dirs.inbox, name.cString), InboxFile.Identity(st) == identity else {
            return false
        }
        if let errorReport {
            do {
                try FileOps.createFile(
                    Array(errorReport.utf8), named: errorName, in: dir, staging: dirs.tmp, mode: 0o640)
            } catch let e as SystemError where e.code == EEXIST {
                return nil
            }
        }
        do {
            try FileOps.renameNoReplace(from: dirs.inbox, name.cString, to: dir, target)
        } catch let e as SystemError where e.code == EEXIST || e.code == ENOENT {
            if errorReport != nil { unlinkat(dir, errorName, 0) }
            return e.code == EEXIST ? nil : false
        } catch {
            if errorReport != nil { unlinkat(dir, errorName, 0) }
            throw error
        }
        // The name may have been replaced between the check and the rename: then the file moved is not the one
        // read. Put it back for the next pass; the caller then writes the bytes that were read instead.
        if let moved = try FileOps.lstat(dir, target), InboxFile.Identity(moved) != identity {
            do {
                try FileOps.renameNoReplace(from: dir, target, to: dirs.inbox, name.cString)
            } catch {
                log(.error, "\(name) was replaced in the inbox during its move and the new file could not be put "
                    + "back: it is at \(candidate) (\(error)); send it again", [
                        "file": "\(name)", "reason": "\(error)", "MESSAGE_ID": "\(MessageID.ingestFailed)",
                    ])
                try? FileOps.syncDirectory(dir, candidate)
                return nil
            }
            if errorReport != nil { unlinkat(dir, errorName, 0) }
            try FileOps.syncDirectory(dirs.inbox, "inbox")
            return false
        }
        try FileOps.syncDirectory(dir, candidate)
        try FileOps.syncDirectory(dirs.inbox, "inbox")
        return true
    }

    /// The `.error` text: when and why, then one reason per line.
    private func errorReport(summary: String, lines: [String]) -> String {
        "rejected at \(InboxLayout.timestamp(FileOps.now())) by warnd: \(summary)\n"
            + lines.map { $0.replacingNewlines() + "\n" }.joined()
    }
}

extension String {
    /// Keeps one reason on one line of the `.error` file, whatever the handler put in it.
    fileprivate func replacingNewlines() -> String {
        String(unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : Character($0) })
    }
}
