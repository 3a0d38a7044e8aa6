import ArgumentParser
import Dispatch
import Foundation
import Glibc
import Rules

/// `warnd import FILE…`: loads data files straight into the store, for the years of history an office loads
/// before it starts the service.
///
/// Each file is checked against the rules' indicator catalog and regions exactly as the inbox checks it, and stored
/// in one transaction (all its rows or none); a file whose SHA-256 the store already holds is skipped. The store
/// is opened exclusively: a running daemon keeps the whole dataset in memory and would not see rows written behind
/// its back, so the import refuses to run beside it (and a daemon refuses to start during an import).
///
/// Reading, hashing and parsing the next file runs on the second core while the current one is committed.
///
/// Then it evaluates the whole store and records the alert state, as the daemon's first start would, and leaves
/// `dataset.snapshot` beside the store: after a national import that first evaluation records 518 674 new alerts
/// and their events (≈ 0.7 GB), which held the daemon's READY=1 back 15–17 s; done here, the first start is a
/// restart (issue 4). The daemon sends the recorded transitions to the journal and `events.jsonl` after READY=1.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load data files directly into the store (bulk history, with the daemon stopped).",
        discussion: """
            Every file is validated against the rules like an inbox file and stored in one transaction; a file \
            already stored (same SHA-256) is skipped. Problems are printed as 'file:line:column: error: message' \
            and leave the store unchanged for that file; the exit status is 1 if any file was refused. \
            The daemon must not be running: the import needs the store to itself, and refuses otherwise. \
            Afterwards the whole store is evaluated against the rules and the alert state recorded, so that the \
            daemon starts as quickly as a restart and reports the transitions (journal, events.jsonl) once running.
            """
    )

    @Option(
        name: .customLong("state-dir"),
        help: "The daemon's state directory, holding warnd.sqlite (default: $STATE_DIRECTORY, else /var/lib/warnd)."
    )
    var stateDirectory: String?

    @Option(help: "The database itself, instead of <state-dir>/warnd.sqlite.")
    var database: String?

    @OptionGroup var rulesOptions: RulesOptions

    @Flag(help: "After importing, time loading the whole store as the daemon does at start-up.")
    var timeLoad = false

    @Flag(inversion: .prefixedNo,
        help: "Evaluate the store once imported and record the alert state for the daemon (--no-evaluate: leave that to the daemon's next start, e.g. between several imports).")
    var evaluate = true

    @Option(help: "The evaluation day (YYYY-MM-DD) of that evaluation; default: today (UTC).")
    var now: String?

    /// Files above twice this size are stored in parts of about this size, parsed on one core while the other
    /// stores (hidden: tests make it small).
    @Option(help: .hidden)
    var partBytes = 4 << 20

    @Argument(help: "Data files (CSV or JSON Lines).")
    var files: [String] = []

    func validate() throws {
        if stateDirectory != nil && database != nil { throw ValidationError("give --state-dir or --database, not both") }
        if files.isEmpty && !timeLoad { throw ValidationError("give at least one data file") }
        if let now, CivilDate(now) == nil { throw ValidationError("--now: expected a day like 2025-07-01, found '\(now)'") }
    }

    var databasePath: String {
        if let database { return database }
        let fromSystemd = ProcessInfo.processInfo.environment["STATE_DIRECTORY"]?
            .split(separator: ":").first.map(String.init)
        return (stateDirectory ?? fromSystemd ?? "/var/lib/warnd") + "/warnd.sqlite"
    }

    /// A file read, hashed and parsed, ready to store (or to report); a big file is only read and cut into parts,
    /// which are parsed while earlier parts are stored.
    private struct Prepared: @unchecked Sendable {
        var path: String
        var sha256 = ""
        var parsed: ParsedData?
        var chunks: ChunkedText?
        var bytes: [UInt8] = []
        var readError: String?
        var seconds = 0.0
    }


    func run() throws {
        let ruleSet = try rulesOptions.load()
        let parser = ObservationParser(catalog: ruleSet.catalog, regions: ruleSet.regions)
        let path = databasePath
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let store: Store
        do {
            store = try Store(path: path, exclusive: true)
        } catch let error as StoreError {
            Terminal.err("warnd: \(error)")
            throw ExitCode(1)
        }
        var refused = 0
        var imported = 0
        var skipped = 0
        var totalRows = 0
        let started = ContinuousClock.now
        let cpuStarted = Self.cpuSeconds()
        if !files.isEmpty {
            var next = Self.prepare(files[0], parser, partBytes: partBytes)
            for index in files.indices {
                let current = next
                let following = index + 1 < files.count ? files[index + 1] : nil
                // The next file is read and parsed on the other core while this one is committed.
                let (outcome, prepared) = Self.inParallel(
                    { Self.store(current, into: store, parser) },
                    following.map { path in { Self.prepare(path, parser, partBytes: partBytes) } })
                if let prepared { next = prepared }
                switch outcome {
                case .imported(let rows):
                    imported += 1
                    totalRows += rows
                case .duplicate: skipped += 1
                case .refused: refused += 1
                }
            }
            let seconds = Self.seconds(since: started)
            let cpu = Self.cpuSeconds() - cpuStarted
            print("total: \(imported) imported (\(totalRows) rows), \(skipped) already stored, \(refused) refused; "
                + "\(Self.format(seconds)) s, \(Self.rate(totalRows, seconds)) rows/s; cpu \(Self.format(cpu)) s")
        }
        if timeLoad {
            let scanStarted = ContinuousClock.now
            let scanCPU = Self.cpuSeconds()
            try store.scanObservations()
            print("scan: \(Self.format(Self.seconds(since: scanStarted))) s; cpu \(Self.format(Self.cpuSeconds() - scanCPU)) s "
                + "(reading the rows from SQLite only)")
            let t = ContinuousClock.now
            let cpu = Self.cpuSeconds()
            let dataset = try store.loadDataset()
            let seconds = Self.seconds(since: t)
            let counts = try store.counts()
            print("load: \(dataset.count) series, \(counts.observations) observations in \(Self.format(seconds)) s; "
                + "cpu \(Self.format(Self.cpuSeconds() - cpu)) s")
        }
        if evaluate && imported > 0 {
            do {
                try recordAlertState(store: store, ruleSet: ruleSet, snapshot: directory + "/" + DatasetSnapshot.fileName)
            } catch {
                Terminal.err("warnd: the import is stored, but evaluating it failed: \(error); the daemon's next start evaluates it")
                throw ExitCode(1)
            }
        }
        if refused > 0 {
            Terminal.err("warnd: \(refused) of \(files.count) file\(files.count == 1 ? "" : "s") refused")
            throw ExitCode(1)
        }
    }

    /// The daemon's first evaluation, done here: the whole store evaluated, what changed recorded (alert state and
    /// events, one transaction), and the dataset left for the daemon's start.
    private func recordAlertState(store: Store, ruleSet: RuleSet, snapshot: String) throws {
        ProcessMemory.releaseFreeMemory()
        let started = ContinuousClock.now
        var tracker = AlertTracker(records: try store.alertRecords())
        let result: Evaluator.Result
        let series: Int
        var (loaded, evaluated) = (started, started)
        // The dataset (≈ 490 MiB at national scale) is let go before the recording, which then holds the alerts,
        // their transitions and new records: together they were the import's peak. The snapshot matches the store
        // whether or not the recording follows (it records alert state only).
        do {
            let dataset = try store.loadDataset()
            loaded = ContinuousClock.now
            let day = now.flatMap(CivilDate.init) ?? CivilDate.today()
            result = Evaluator(ruleSet: ruleSet).evaluate(dataset, at: EvaluationTime(at: nil, now: day), only: nil,
                keeping: .alerts)
            evaluated = ContinuousClock.now
            tracker.shareKeys(with: dataset)
            try DatasetSnapshot.write(dataset, to: snapshot, store: store)
            series = dataset.count
        }
        ProcessMemory.releaseFreeMemory()
        let written = ContinuousClock.now
        // The events recorded before this import were sent by the daemon that recorded them; those recorded here are
        // after the mark, so the daemon's next start sends them.
        if try store.meta(Store.journalMarkKey) == nil {
            try store.setMeta(Store.journalMarkKey, "\(try store.lastEventSeq())")
        }
        let recorded = try AlertRecording.record(result, complete: true, tracker: &tracker, store: store,
            now: WarnDaemon.timestamp())
        let firing = result.alerts.count { $0.state == .firing }
        print("evaluated: \(series) series, \(result.alerts.count) alerts (\(firing) firing); "
            + "\(recorded.transitions.count) transitions recorded, sent to the journal and events.jsonl by the daemon once it runs; "
            + "load \(Self.format(Self.seconds(loaded - started))) s, evaluate \(Self.format(Self.seconds(evaluated - loaded))) s, "
            + "snapshot \(Self.format(Self.seconds(written - evaluated))) s, record \(Self.format(Self.seconds(ContinuousClock.now - written))) s")
    }

    private enum Outcome {
        case imported(rows: Int)
        case duplicate
        case refused
    }

    /// A result handed from a lane of `concurrentPerform` to the caller, which reads it after both lanes joined.
    private final class Slot<T>: @unchecked Sendable {
        var value: T?
    }

    /// Runs `a` and, when given, `b` on two threads; returns when both are done.
    private static func inParallel<A, B>(_ a: @escaping @Sendable () -> A, _ b: (@Sendable () -> B)?) -> (A, B?) {
        let first = Slot<A>()
        let second = Slot<B>()
        DispatchQueue.concurrentPerform(iterations: b == nil ? 1 : 2) { lane in
            if lane == 0 { first.value = a() } else { second.value = b!() }
        }
        return (first.value!, second.value)
    }

    /// Reads, hashes and parses one file; the hash runs beside the parse on a big file.
    private static func prepare(_ path: String, _ parser: ObservationParser, partBytes: Int) -> Prepared {
        let started = ContinuousClock.now
        var p = Prepared(path: path)
        // Read straight into the array: going through `Data` would hold a big file twice.
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        var st = stat()
        guard fd >= 0, fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG,
            let read = try? FileOps.readAll(fd, expected: Int(st.st_size), limit: Int.max - 1, path: path)
        else {
            if fd >= 0 { close(fd) }
            p.readError = "cannot read the file"
            return p
        }
        close(fd)
        let bytes = read
        if bytes.count > 2 * partBytes, let chunks = ChunkedText.split(bytes, file: path, partBytes: partBytes) {
            p.chunks = chunks
            p.bytes = bytes
        } else if bytes.count > 1 << 20 {
            // A big file: hash it on one core while parsing on the other.
            let (parsed, sha) = inParallel({ parser.parse(bytes, file: path) }, { SHA256.hex(bytes) })
            p.parsed = parsed
            p.sha256 = sha ?? ""
        } else {
            p.sha256 = SHA256.hex(bytes)
            p.parsed = parser.parse(bytes, file: path)
        }
        p.seconds = seconds(since: started)
        return p
    }

    private enum PartProblem: Error {
        case invalid
    }

    /// Stores a big file part by part in one transaction: part k+1 is parsed (and the whole file hashed) on other
    /// threads while part k is stored. `nil` when the file must be parsed whole instead: a part with any problem (the
    /// whole-file parse reports them exactly as the inbox would) or a series and period repeated across parts.
    private static func storeInParts(_ p: Prepared, into store: Store, _ parser: ObservationParser) -> Outcome? {
        guard let chunks = p.chunks else { return nil }
        let started = ContinuousClock.now
        let bytes = p.bytes
        let hashing = DispatchGroup()
        let hash = Slot<String>()
        DispatchQueue.global().async(group: hashing) { hash.value = SHA256.hex(bytes) }
        do {
            let stored = try store.accept(
                parts: { commit in
                    var next = parser.parse(part: 0, of: chunks)
                    for k in 0..<chunks.count {
                        let current = next
                        guard current.isValid else { throw PartProblem.invalid }
                        let parsing = DispatchGroup()
                        let following = Slot<ParsedData>()
                        if k + 1 < chunks.count {
                            DispatchQueue.global().async(group: parsing) {
                                following.value = parser.parse(part: k + 1, of: chunks)
                            }
                        }
                        try commit(current.table)
                        parsing.wait()
                        if let parsed = following.value { next = parsed }
                    }
                },
                name: (p.path as NSString).lastPathComponent,
                sha256: {
                    hashing.wait()
                    return hash.value!
                },
                receivedAt: timestamp(), format: DataFormat.csv.rawValue, encoding: chunks.encoding.rawValue)
            let total = seconds(since: started) + p.seconds
            print("\(p.path): \(stored.rows) rows, \(stored.series) series; parsed and stored in \(chunks.count) parts "
                + "in \(format(total)) s, \(rate(stored.rows, total)) rows/s")
            return .imported(rows: stored.rows)
        } catch StoreError.duplicate(let earlier) {
            hashing.wait()
            print("\(p.path): already stored as \(earlier) (sha256 \(hash.value!.prefix(16))), skipped")
            return .duplicate
        } catch PartProblem.invalid {
            hashing.wait()
            return nil
        } catch StoreError.repeatedInSubmission {
            hashing.wait()
            return nil
        } catch {
            hashing.wait()
            Terminal.err("\(p.path): error: \(error); nothing stored")
            return .refused
        }
    }

    private static func store(_ p: Prepared, into store: Store, _ parser: ObservationParser) -> Outcome {
        if let problem = p.readError {
            Terminal.err("\(p.path): error: \(problem)")
            return .refused
        }
        if p.chunks != nil, let outcome = storeInParts(p, into: store, parser) { return outcome }
        var p = p
        if p.parsed == nil, !p.bytes.isEmpty {
            // A big file that could not be stored in parts: parse it whole, as the inbox does.
            let started = ContinuousClock.now
            let (bytes, path) = (p.bytes, p.path)
            let (parsed, sha) = inParallel({ parser.parse(bytes, file: path) }, { SHA256.hex(bytes) })
            p.parsed = parsed
            p.sha256 = sha ?? ""
            p.seconds = seconds(since: started)
        }
        guard let parsed = p.parsed else { return .refused }
        do {
            if let earlier = try store.submission(sha256: p.sha256) {
                print("\(p.path): already stored as \(earlier.name) (sha256 \(p.sha256.prefix(16))), skipped")
                return .duplicate
            }
            guard parsed.isValid else {
                for error in parsed.errors { Terminal.err(error.description) }
                Terminal.err("\(p.path): refused, nothing stored")
                return .refused
            }
            let started = ContinuousClock.now
            let stored = try store.accept(parsed.table, name: (p.path as NSString).lastPathComponent, sha256: p.sha256,
                receivedAt: timestamp(), format: parsed.format.rawValue, encoding: parsed.encoding)
            let commit = seconds(since: started)
            let total = commit + p.seconds
            print("\(p.path): \(stored.rows) rows, \(stored.series.count) series; parse \(format(p.seconds)) s, "
                + "commit \(format(commit)) s, \(rate(stored.rows, total)) rows/s")
            return .imported(rows: stored.rows)
        } catch {
            Terminal.err("\(p.path): error: \(error); nothing stored")
            return .refused
        }
    }

    static func timestamp() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date())
    }

    private static func seconds(since start: ContinuousClock.Instant) -> Double {
        seconds(ContinuousClock.now - start)
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// User + system CPU time of the whole process so far: on a shared machine, what the work cost whatever the wait.
    private static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }

    private static func format(_ s: Double) -> String { String(format: "%.3f", s) }

    private static func rate(_ rows: Int, _ seconds: Double) -> String {
        seconds > 0 ? String(Int(Double(rows) / seconds)) : "-"
    }
}
