import Foundation
import Glibc
import Testing

@testable import WarnD

/// Two daemons on one state directory would both take the same inbox file and both append to `events.jsonl`: the
/// second `warnd run` must refuse to start, saying which lock and which process, and touch nothing.
@Suite(.serialized, .timeLimit(.minutes(2))) struct StateDirectoryLockTests {
    @Test func secondDaemonOnTheSameStateDirectoryExitsNamingTheLockAndTheHolder() throws {
        let dir = try TemporaryDirectory()
        let f = try DaemonFixture()
        let state = dir.url.appendingPathComponent("state").path
        let config = dir.url.appendingPathComponent("warnd.yaml").path
        try "settle: 100ms\npoll_interval: 200ms\n".write(toFile: config, atomically: true, encoding: .utf8)
        let first = try CrashConsistencyTests.Daemon.start(state: state, rules: f.rulesDir.path, config: config,
            stderrPath: dir.url.appendingPathComponent("first.log").path)
        var firstRunning = true
        defer { if firstRunning { first.kill(SIGTERM) } }
        #expect(first.waitStarted(occurrence: 1))
        let eventsBefore = FileManager.default.contents(atPath: state + "/alerts/events.jsonl")

        let second = try WarnDBinary.run(["run", "--config", config, "--state-dir", state, "--rules", f.rulesDir.path,
            "--log", "stderr", "--now", "2025-07-01"])

        #expect(second.status == 1, "\(second.stderr)")
        let lock = state + "/warnd.lock"
        #expect(second.stderr.contains("another warnd daemon is already running on the state directory \(state): "
            + "process \(first.pid) holds the lock \(lock); stop it first"), "\(second.stderr)")
        #expect(!second.stderr.contains("rules loaded"), "the second daemon started anyway")
        firstRunning = !first.exited()
        #expect(firstRunning, "the first daemon was disturbed")
        #expect(FileManager.default.contents(atPath: state + "/alerts/events.jsonl") == eventsBefore)
        #expect(try String(contentsOfFile: lock, encoding: .utf8) == "\(first.pid)\n", "the holder's PID was overwritten")

        // The kernel drops a flock when its holder dies, however it dies: no stale lock after a SIGKILL.
        if firstRunning { first.kill(SIGKILL) }
        firstRunning = false
        let third = try CrashConsistencyTests.Daemon.start(state: state, rules: f.rulesDir.path, config: config,
            stderrPath: dir.url.appendingPathComponent("third.log").path)
        defer { third.kill(SIGTERM) }
        #expect(third.waitStarted(occurrence: 1), "a daemon could not start after the holder was killed")
        #expect(try String(contentsOfFile: lock, encoding: .utf8) == "\(third.pid)\n")
    }
}
