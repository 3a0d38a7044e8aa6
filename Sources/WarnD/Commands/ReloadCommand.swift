import ArgumentParser
import Foundation
import Glibc

/// `warnd reload --pid PID`: asks a running daemon to reload its rules and waits for the outcome.
///
/// For `ExecReload=`: a bare `kill -HUP $MAINPID` returns before anything is known; this returns non-zero, with
/// every error printed, when the new rules were refused (the daemon keeps the old ones running).
struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Reload a running daemon's rules and wait for the outcome (exit 1 if refused)."
    )

    @OptionGroup var daemon: DaemonOptions

    @Option(help: "The daemon's process id (systemd: $MAINPID).")
    var pid: Int32

    @Option(help: "Seconds to wait for the outcome.")
    var timeout: Double = 60

    func run() throws {
        let config = try daemon.resolve()
        let path = config.reloadStatusPath
        let before = ReloadStatus.read(from: path)?.generation ?? -1
        guard kill(pid, SIGHUP) == 0 else {
            Terminal.err("warnd reload: cannot signal process \(pid): \(String(cString: strerror(errno)))")
            throw ExitCode(1)
        }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let s = ReloadStatus.read(from: path), s.generation > before {
                if s.ok {
                    print("warnd reload: rules loaded (\(s.rules) rules)")
                    return
                }
                for e in s.errors { Terminal.err(e) }
                Terminal.err("warnd reload: the new rules were refused (\(s.errors.count) error\(s.errors.count == 1 ? "" : "s")); the daemon keeps its previous \(s.rules) rules")
                throw ExitCode(1)
            }
            usleep(5_000)  // a stat of a small file: cheap, and the wait is what `systemctl reload` shows
        }
        Terminal.err("warnd reload: no outcome from process \(pid) within \(Int(timeout)) s (see journalctl -u warnd)")
        throw ExitCode(1)
    }
}
