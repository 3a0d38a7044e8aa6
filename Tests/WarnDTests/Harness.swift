import Foundation
import Glibc
import Testing

/// Runs the scripts of `scripts/harness` (a private journald, a private systemd) from Swift Testing.
///
/// Exit status 77 is the scripts' "SKIP: reason" (not root, unshare refused): the test is cancelled with that
/// reason, so it shows as skipped, never as passed.
enum Harness {
    static let dir = WarnDBinary.root.appendingPathComponent("scripts/harness")

    /// The start of a daemon scenario script run by `journald-harness.sh` (arguments: the work directory with its
    /// `warnd.yaml`, and the warnd binary): starts `warnd run` in the background as `$pid`, defines
    /// `wait_for CONDITION` (up to 120 s: a generous bound, as CI runs every suite at once on two cores; a passing
    /// condition returns at its first true poll) and waits until the daemon has written its first `reload.json`.
    static let daemonScenarioPrologue = """
        set -u
        W="$1"; B="$2"
        "$B" run --config "$W/warnd.yaml" --now 2025-03-01 & pid=$!
        wait_for() { i=0; while [ $i -lt 1200 ]; do eval "$1" && return 0; sleep 0.1; i=$((i+1)); done; echo "timeout: $1"; return 1; }
        wait_for '[ -f "$W/state/reload.json" ]'

        """

    @discardableResult
    static func run(_ script: String, _ arguments: [String], allowFailure: Bool = false) throws -> WarnDBinary.Output {
        // The scripts take paths relative to the repository (deploy/systemd/…): run them from there.
        let result = try spawn(["/bin/bash", "-c", "cd \"$0\" && exec /bin/bash \"$@\"", WarnDBinary.root.path,
            dir.appendingPathComponent(script).path] + arguments)
        if result.status == 77 {
            let reason = result.stdout.split(separator: "\n").first { $0.hasPrefix("SKIP") } ?? "SKIP: \(script)"
            try Test.cancel("\(reason)")
        }
        if !allowFailure && result.status != 0 {
            Issue.record("\(script) \(arguments.joined(separator: " ")) exited \(result.status)\n\(result.stdout)\n\(result.stderr)")
        }
        return result
    }

    /// Runs a command with stdout and stderr in files and waits for exactly that process.
    ///
    /// Not Foundation's `Process`: `boot` leaves the namespace running in the background, which inherits the
    /// descriptors Foundation watches to learn that the child ended, so `waitUntilExit()` would never return.
    static func spawn(_ argv: [String]) throws -> WarnDBinary.Output {
        // Under .build, not /tmp: the systemd harness checks that nothing in the host's /tmp changed.
        let outputs = WarnDBinary.root.appendingPathComponent(".build/harness-output")
        try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
        let base = outputs.appendingPathComponent(UUID().uuidString)
        let outPath = base.path + ".out"
        let errPath = base.path + ".err"
        defer {
            unlink(outPath)
            unlink(errPath)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for a in cArgs { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ)
        guard rc == 0 else { throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return WarnDBinary.Output(status: exit,
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    /// A work folder the namespaces can share with the host: under `.build`, never under /tmp (private inside).
    static func workDirectory() throws -> URL {
        let url = WarnDBinary.root.appendingPathComponent(".build/harness-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The journal entries of a `journalctl -o json` dump, one object a line.
    static func entries(_ url: URL) -> [[String: Any]] {
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}

extension Dictionary where Key == String, Value == Any {
    /// A journal field as text (journalctl prints non-UTF-8 or binary values as byte arrays).
    func field(_ name: String) -> String? {
        if let s = self[name] as? String { return s }
        if let bytes = self[name] as? [UInt8] { return String(decoding: bytes, as: UTF8.self) }
        if let numbers = self[name] as? [NSNumber] { return String(decoding: numbers.map { $0.uint8Value }, as: UTF8.self) }
        return nil
    }
}
