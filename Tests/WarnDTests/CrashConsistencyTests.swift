import Foundation
import Glibc
import Testing

@testable import WarnD

/// SIGKILLs the real `warnd run` at seeded random moments while it ingests large files, restarts it, and checks
/// after every kill that nothing was lost, half-stored, stored twice, corrupted or announced twice.
///
/// Rounds of `trialsPerRound` kills each start from an empty state directory, so the store (and the start-up
/// evaluation) stays small enough for ≥ 50 trials in well under a minute. Files never overlap in series, so "its
/// rows stored exactly once" is checkable as: the submission's `rows` equals the file's data rows, and exactly that
/// many observations point at it.
@Suite(.serialized) struct CrashConsistencyTests {
    static let rounds = 5
    static let trialsPerRound = 10
    static let rowsPerFile = 2000  // 200 series × 10 years
    static let seed: UInt64 = 0x5EED_0005

    /// The trials draw from `warnd generate`'s seeded SplitMix64, so a failing trial can be replayed.
    typealias Seeded = SplitMix64

    /// One running `warnd run`, stderr to a file, killed by its pid.
    struct Daemon {
        let pid: pid_t
        let stderrPath: String

        static func start(state: String, rules: String, config: String, stderrPath: String) throws -> Daemon {
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            let argv = [WarnDBinary.path, "run", "--config", config, "--state-dir", state, "--rules", rules,
                "--log", "stderr", "--now", "2025-07-01"]
            var cArgs = argv.map { strdup($0) } + [nil]
            defer { for a in cArgs { free(a) } }
            // No NOTIFY_SOCKET / WATCHDOG_USEC from an outer systemd.
            let env = ProcessInfo.processInfo.environment.filter { !["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
                "LISTEN_FDS", "JOURNAL_STREAM"].contains($0.key) }.map { "\($0.key)=\($0.value)" }
            var cEnv = env.map { strdup($0) } + [nil]
            defer { for e in cEnv { free(e) } }
            var pid: pid_t = 0
            let rc = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, &cEnv)
            guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
            return Daemon(pid: pid, stderrPath: stderrPath)
        }

        /// `true` once start-up (event log repair and catch-up, first evaluation) has finished.
        func waitStarted(occurrence: Int, timeout: Double = 20) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
                if text.components(separatedBy: "rules loaded").count - 1 >= occurrence { return true }
                if exited() { return false }
                usleep(10_000)
            }
            return false
        }

        func exited() -> Bool {
            var status: Int32 = 0
            return waitpid(pid, &status, WNOHANG) == pid
        }

        func kill(_ signal: Int32 = SIGKILL) {
            Glibc.kill(pid, signal)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
    }

    struct DroppedFile {
        var name: String
        var sha256: String
        var rows: Int
    }

    static func csv(file index: Int, rng: inout Seeded) -> String {
        var s = "indicator,region,period,batch,value\n"
        s.reserveCapacity(rowsPerFile * 70)
        for series in 0..<(rowsPerFile / 10) {
            // A few series per file breach the every-year target (≤ 2), so transitions are announced.
            let breaching = series % 60 == 0
            for year in 2015...2024 {
                let v = breaching && year == 2024 ? 2.5 + Double(rng.next() % 10) / 10 : Double(rng.next() % 15) / 10
                s += "hiv_mother_to_child_transmission_rate,测试县,\(year),f\(index)-s\(series),\(v)\n"
            }
        }
        return s
    }

    static func sqlite(_ db: String, _ sql: String) throws -> String {
        let out = try WarnDBinary.runTool("/usr/bin/sqlite3", [db, sql])
        if out.status != 0 { Issue.record("sqlite3 \(sql): \(out.stderr)") }
        return out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func killedAtRandomPointsLosesNothingAndAnnouncesNothingTwice() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") else {
            try Test.cancel("SKIP: no sqlite3 CLI")
        }
        var rng = Seeded(seed: Self.seed)
        let started = Date()
        var trials = 0
        for round in 0..<Self.rounds {
            let dir = try TemporaryDirectory()
            let root = dir.url.path
            let rules = root + "/rules"
            try FileManager.default.createDirectory(atPath: rules, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: WarnDBinary.fixtures.appendingPathComponent("catalog.yaml").path,
                toPath: rules + "/indicators.yaml")
            try DaemonFixture.rules.write(toFile: rules + "/plan.yaml", atomically: true, encoding: .utf8)
            let config = root + "/warnd.yaml"
            try "settle: 100ms\npoll_interval: 200ms\n".write(toFile: config, atomically: true, encoding: .utf8)
            let state = root + "/state"
            let inbox = state + "/inbox"
            try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
            let stderrPath = root + "/stderr.log"
            var dropped: [DroppedFile] = []
            var starts = 0

            func drop() throws {
                let index = dropped.count
                let text = Self.csv(file: index, rng: &rng)
                let name = String(format: "r%d-f%03d.csv", round, index)
                let bytes = Array(text.utf8)
                // Written under a hidden name, then renamed: the daemon never sees half a file.
                try Data(bytes).write(to: URL(fileURLWithPath: inbox + "/." + name))
                rename(inbox + "/." + name, inbox + "/" + name)
                dropped.append(DroppedFile(name: name, sha256: SHA256.hex(bytes), rows: Self.rowsPerFile))
            }

            for trial in 0..<Self.trialsPerRound {
                let context = "round \(round) trial \(trial) (seed \(Self.seed))"
                let d = try Daemon.start(state: state, rules: rules, config: config, stderrPath: stderrPath)
                starts += 1
                guard d.waitStarted(occurrence: starts) else {
                    d.kill()
                    let log = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
                    Issue.record("\(context): the daemon did not start\n\(log.suffix(3000))")
                    return
                }
                // Keep a couple of files waiting so every kill lands somewhere in ingestion.
                let waiting = (try FileManager.default.contentsOfDirectory(atPath: inbox)).filter { !$0.hasPrefix(".") }
                for _ in 0..<max(0, 2 - waiting.count) { try drop() }
                usleep(UInt32(30_000 + rng.next() % 500_000))
                d.kill()
                trials += 1
                try check(state: state, dropped: dropped, final: false, context: context)
            }
            // Let it finish: every file must end up stored exactly once.
            let d = try Daemon.start(state: state, rules: rules, config: config, stderrPath: stderrPath)
            starts += 1
            #expect(d.waitStarted(occurrence: starts))
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                let waiting = (try FileManager.default.contentsOfDirectory(atPath: inbox)).filter { !$0.hasPrefix(".") }
                if waiting.isEmpty { break }
                usleep(50_000)
            }
            usleep(300_000)  // the evaluation after the last file
            d.kill(SIGTERM)
            try check(state: state, dropped: dropped, final: true, context: "round \(round) final")
        }
        #expect(trials >= 50)
        print("crash consistency: \(trials) kills in \(Int(Date().timeIntervalSince(started))) s; at the kills, "
            + "\(tally.waitingUnstored) files were waiting unstored and \(tally.storedButStillInInbox) were stored but "
            + "not yet moved (the commit/move window)")
    }

    /// What the kills landed on, to show the trials exercise the interesting windows (printed, not asserted: the
    /// timing depends on the machine).
    final class Tally: @unchecked Sendable {
        var storedButStillInInbox = 0
        var waitingUnstored = 0
        var archivedSinceLastKill = 0
    }
    let tally = Tally()

    /// The invariants that must hold whenever the daemon is dead; `final`: after it drained the inbox and stopped.
    func check(state: String, dropped: [DroppedFile], final: Bool, context: String) throws {
        let fm = FileManager.default
        let inbox = (try fm.contentsOfDirectory(atPath: state + "/inbox")).filter { !$0.hasPrefix(".") }
        let archive = (try? fm.contentsOfDirectory(atPath: state + "/archive")) ?? []
        let rejected = (try? fm.contentsOfDirectory(atPath: state + "/rejected")) ?? []
        #expect(rejected.isEmpty, "\(context): files were rejected: \(rejected)")
        let db = state + "/warnd.sqlite"
        #expect(try Self.sqlite(db, "PRAGMA integrity_check") == "ok", "\(context)")
        var stored: [String: (rows: Int, observations: Int)] = [:]
        for line in try Self.sqlite(db, """
            SELECT s.sha256, s.rows, (SELECT count(*) FROM observation o WHERE o.submission_id = s.id) FROM submission s
            """).split(separator: "\n") {
            let f = line.split(separator: "|")
            stored[String(f[0])] = (Int(f[1]) ?? -1, Int(f[2]) ?? -1)
        }
        for file in dropped {
            let inInbox = inbox.contains(file.name)
            let archived = archive.filter { $0.hasSuffix("-" + file.name) }
            #expect(inInbox != (archived.count == 1), "\(context): \(file.name) inbox=\(inInbox) archive=\(archived)")
            #expect(archived.count <= 1, "\(context): \(file.name) archived \(archived.count) times")
            if final { #expect(!inInbox, "\(context): \(file.name) still waiting") }
            if !final && inInbox { if stored[file.sha256] != nil { tally.storedButStillInInbox += 1 } else { tally.waitingUnstored += 1 } }
            if let s = stored[file.sha256] {
                #expect(s.rows == file.rows && s.observations == file.rows, "\(context): \(file.name) stored \(s)")
            } else {
                // Archived only after its transaction committed.
                #expect(archived.isEmpty, "\(context): \(file.name) archived but not in the store")
            }
        }
        let total = Int(try Self.sqlite(db, "SELECT count(*) FROM observation")) ?? -1
        #expect(total == stored.values.map(\.rows).reduce(0, +), "\(context): observations \(total)")

        // active.json always parses (atomic replace).
        if let data = fm.contents(atPath: state + "/alerts/active.json") {
            #expect((try? JSONSerialization.jsonObject(with: data)) != nil, "\(context): active.json does not parse")
        }
        // events.jsonl: only the very last line may be torn (a kill mid-append), and only before a restart; a torn
        // line followed by more lines means start-up did not repair it.
        let data = fm.contents(atPath: state + "/alerts/events.jsonl") ?? Data()
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        let tail = lines.removeLast()
        if final { #expect(tail.isEmpty, "\(context): events.jsonl ends in a torn line") }
        var seqs = Set<Int64>()
        var transitions = Set<String>()
        var lastSeq: Int64 = 0
        for (n, line) in lines.enumerated() {
            guard let o = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                let seq = (o["seq"] as? NSNumber)?.int64Value, let change = o["change"] as? String,
                let id = (o["alert"] as? [String: Any])?["id"] as? String
            else {
                Issue.record("\(context): events.jsonl line \(n + 1) is torn or invalid: \(String(decoding: line, as: UTF8.self).prefix(200))")
                continue
            }
            #expect(seqs.insert(seq).inserted, "\(context): seq \(seq) appears twice")
            #expect(seq > lastSeq, "\(context): seq \(seq) after \(lastSeq)")
            lastSeq = seq
            // Files never touch each other's series, so an alert fires at most once.
            #expect(transitions.insert(id + " " + change).inserted, "\(context): \(change) of \(id) announced twice")
        }
        if final {
            let events = Int(try Self.sqlite(db, "SELECT count(*) FROM alert_event")) ?? -1
            #expect(events == lines.count, "\(context): \(events) events stored, \(lines.count) in events.jsonl")
            #expect(events > 0, "\(context): no transitions at all; the test would not see duplicates")
        }
    }
}

extension WarnDBinary {
    /// Runs another program (sqlite3) the way ``run(_:cwd:environment:)`` runs warnd.
    static func runTool(_ tool: String, _ arguments: [String]) throws -> Output {
        try Harness.spawn([tool] + arguments)
    }
}
