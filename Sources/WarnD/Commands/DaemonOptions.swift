import ArgumentParser
import Foundation
import Rules

/// `--config`, and the flags that override the configuration file.
struct DaemonOptions: ParsableArguments {
    @Option(help: "The configuration file (default: /etc/warnd/warnd.yaml, if it exists).")
    var config: String?

    @Option(name: .customLong("rules"), parsing: .singleValue, help: "A rules directory or file (overrides 'rules').")
    var rules: [String] = []

    @Option(name: .customLong("state-dir"), help: "The state directory (overrides 'state_directory').")
    var stateDirectory: String?

    @Option(help: "Where logs go: journal, stderr or auto (overrides 'log').")
    var log: String?

    /// The effective configuration, or every problem in the file printed and exit 1.
    func resolve() throws -> DaemonConfiguration {
        var c = DaemonConfiguration.defaults()
        let path = config ?? DaemonConfiguration.defaultPath
        if let data = FileManager.default.contents(atPath: path) {
            switch DaemonConfiguration.load(path: path, bytes: [UInt8](data), over: c) {
            case .success(let loaded): c = loaded
            case .failure(let e):
                Terminal.printDiagnostics(e.diagnostics)
                Terminal.err("warnd: the configuration has \(e.errors.count) error\(e.errors.count == 1 ? "" : "s")")
                throw ExitCode(1)
            }
        } else if config != nil {
            Terminal.err("\(path): error: cannot read the configuration file")
            throw ExitCode(1)
        }
        if let s = stateDirectory {
            c.stateDirectory = s
            c.alertsDirectory = s + "/alerts"
            c.database = s + "/warnd.sqlite"
        }
        if !rules.isEmpty { c.rules = rules }
        if let log {
            guard let t = DaemonConfiguration.LogTarget(rawValue: log) else {
                throw ValidationError("--log must be journal, stderr or auto, found '\(log)'")
            }
            c.log = t
        }
        return c
    }
}
