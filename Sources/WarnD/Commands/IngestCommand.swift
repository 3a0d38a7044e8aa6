import ArgumentParser
import Foundation
import Glibc
import Rules

/// `warnd ingest FILE…`: hands data files to a running daemon through its inbox, or (`--dry-run`) only checks them.
///
/// Copying a file into the inbox with `cp` exposes it half-written under its final name, and the daemon could take
/// it then (only its settle time protects against that). This command writes each file under a dot-name in the
/// inbox itself (the daemon ignores dot-names; same directory, so same filesystem), fsyncs it, renames it to its
/// name without replacing a file still waiting there, and fsyncs the directory: the daemon sees the whole file or
/// nothing, and a power cut cannot leave an empty file behind. It stages in the inbox rather than in `tmp/` because
/// the departments that submit can write to the inbox, while `tmp/` is warnd's own, and `--inbox` has no `tmp/`.
struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Hand data files to the running daemon's inbox (or, with --dry-run, only check them).",
        discussion: """
            Each file is copied into the inbox atomically under its own name, which must not start with '.'. \
            The daemon then stores it or sets it aside in rejected/ with the reasons.
            --dry-run checks each file against the rules' indicator catalog and regions instead, prints every \
            problem as 'file:line:column: error: message', and exits 1 if any file is invalid.
            The inbox is <state-dir>/inbox; the state directory defaults to $STATE_DIRECTORY, else /var/lib/warnd.
            """
    )

    @Flag(help: "Only check the files against the rules; hand nothing to the daemon.")
    var dryRun = false

    @Option(
        name: .customLong("state-dir"),
        help: "The daemon's state directory (default: $STATE_DIRECTORY, else /var/lib/warnd)."
    )
    var stateDirectory: String?

    @Option(help: "The inbox directory itself, instead of <state-dir>/inbox.")
    var inbox: String?

    @OptionGroup var rulesOptions: RulesOptions

    @Argument(help: "Data files (CSV or JSON Lines).")
    var files: [String] = []

    func validate() throws {
        if stateDirectory != nil && inbox != nil { throw ValidationError("give --state-dir or --inbox, not both") }
        if files.isEmpty { throw ValidationError("give at least one data file") }
    }

    func run() throws {
        if dryRun {
            try check()
        } else {
            try handOver()
        }
    }

    /// The inbox this command writes to.
    var inboxPath: String {
        if let inbox { return inbox }
        if let stateDirectory { return InboxLayout(stateDirectory: stateDirectory).inbox }
        // systemd sets STATE_DIRECTORY to a colon-separated list when a unit has several; the first is warnd's.
        let fromSystemd = ProcessInfo.processInfo.environment["STATE_DIRECTORY"]?
            .split(separator: ":").first.map(String.init)
        return InboxLayout(stateDirectory: fromSystemd ?? "/var/lib/warnd").inbox
    }

    // MARK: --dry-run

    private func check() throws {
        let ruleSet = try rulesOptions.load()
        let parser = ObservationParser(catalog: ruleSet.catalog, regions: ruleSet.regions)
        var invalid = 0
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                Terminal.err("\(file): error: cannot read the file")
                invalid += 1
                continue
            }
            let parsed = parser.parse([UInt8](data), file: file)
            if parsed.isValid {
                let series = parsed.table.keys.count
                print("\(file): OK, \(parsed.rowCount) rows, \(series) series (\(parsed.format.rawValue), "
                    + "\(parsed.encoding))")
            } else {
                for error in parsed.errors { Terminal.err(error.description) }
                invalid += 1
            }
        }
        if invalid > 0 {
            Terminal.err("warnd: \(invalid) of \(files.count) file\(files.count == 1 ? "" : "s") invalid")
            throw ExitCode(1)
        }
    }

    // MARK: Handing over

    private func handOver() throws {
        let inbox = inboxPath
        let dir: Int32
        do {
            dir = try FileOps.openDirectory(inbox)
        } catch {
            Terminal.err("warnd: cannot open the inbox: \(error) (is the daemon set up? see --state-dir and --inbox)")
            throw ExitCode(1)
        }
        defer { close(dir) }
        var failed = 0
        for file in files {
            do {
                let (name, sha256) = try copy(file, into: dir)
                print("\(file): handed to \(inbox)/\(name) (sha256 \(sha256.prefix(16)))")
            } catch let problem as Problem {
                Terminal.err("\(file): error: \(problem.message)")
                failed += 1
            } catch {
                Terminal.err("\(file): error: \(error)")
                failed += 1
            }
        }
        if failed > 0 {
            Terminal.err("warnd: \(failed) of \(files.count) file\(files.count == 1 ? "" : "s") not handed over")
            throw ExitCode(1)
        }
    }

    private struct Problem: Error {
        var message: String
    }

    /// Copies `path` into the inbox `dir` under its own name; returns that name and the file's SHA-256.
    private func copy(_ path: String, into dir: Int32) throws -> (String, String) {
        let name = String(path.split(separator: "/", omittingEmptySubsequences: true).last ?? "")
        let inboxName = InboxName(name)
        if inboxName.isHidden {
            throw Problem(message: "the name starts with '.', and the daemon ignores such names as unfinished; "
                + "rename the file")
        }
        if let reason = inboxName.unsafeReason {
            throw Problem(message: "\(reason); the daemon would set it aside unread; rename the file")
        }
        let source = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        if source < 0 { throw Problem(message: SystemError("open", path).message) }
        defer { close(source) }
        var st = stat()
        if fstat(source, &st) != 0 { throw Problem(message: SystemError("fstat", path).message) }
        guard st.st_mode & S_IFMT == S_IFREG else { throw Problem(message: "not a regular file") }
        var hasher = SHA256()
        do {
            try FileOps.createFile(named: inboxName.cString, in: dir, staging: dir, mode: 0o640) { fd, staging in
                var buffer = [UInt8](repeating: 0, count: 1 << 20)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw SystemError("read", path)
                    }
                    if n == 0 { break }
                    let chunk = Array(buffer[0..<n])
                    hasher.update(chunk)
                    try FileOps.writeAll(fd, chunk, path: staging)
                }
            }
        } catch let e as SystemError where e.code == EEXIST && e.call == "rename" {
            throw Problem(message: "the inbox already holds a file named '\(name)' that the daemon has not taken "
                + "yet; send this one again once it is gone (or under another name)")
        }
        try FileOps.syncDirectory(dir, inboxPath)
        return (name, hasher.finalizeHex())
    }
}
