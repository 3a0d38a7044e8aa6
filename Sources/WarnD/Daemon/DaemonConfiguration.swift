import Foundation
import Rules

/// The daemon's settings: from `/etc/warnd/warnd.yaml` (optional), then flags; every key is documented in
/// `docs/configuration.md`.
///
/// Defaults follow systemd's `$STATE_DIRECTORY` and `$CONFIGURATION_DIRECTORY` so the unit needs no paths. The file
/// is read as strictly as rules files: an unknown key is an error with `file:line:column` and a did-you-mean.
struct DaemonConfiguration: Sendable, Equatable {
    enum LogTarget: String, Sendable, CaseIterable {
        case journal, stderr, auto
    }

    var rules: [String]
    var stateDirectory: String
    var alertsDirectory: String
    var database: String
    var evaluationInterval: Duration
    var log: LogTarget
    var logLevel: String
    var maxFileSize: Int
    var settle: Duration
    var pollInterval: Duration
    /// The longest `active.json` and `report.md` lag behind the alert state while files keep arriving: they are
    /// rewritten at most once per interval, off the submission path (region files and the journal do not wait).
    var alertFilesInterval: Duration = .seconds(5)

    static let keys = [
        "rules", "state_directory", "alerts_directory", "database", "evaluation_interval", "log", "log_level",
        "max_file_size", "settle", "poll_interval", "alert_files_interval",
    ]

    static let defaultPath = "/etc/warnd/warnd.yaml"

    /// The defaults, given the environment (systemd sets `STATE_DIRECTORY` and `CONFIGURATION_DIRECTORY`).
    static func defaults(environment: [String: String] = ProcessInfo.processInfo.environment) -> DaemonConfiguration {
        // systemd may pass several colon-separated directories; the first is warnd's.
        let state = environment["STATE_DIRECTORY"].flatMap { $0.split(separator: ":").first.map(String.init) } ?? "/var/lib/warnd"
        let conf = environment["CONFIGURATION_DIRECTORY"].flatMap { $0.split(separator: ":").first.map(String.init) } ?? "/etc/warnd"
        return DaemonConfiguration(
            rules: [conf + "/rules"], stateDirectory: state, alertsDirectory: state + "/alerts",
            database: state + "/warnd.sqlite", evaluationInterval: .seconds(3600),
            log: .auto, logLevel: "info", maxFileSize: 64 << 20, settle: .seconds(2), pollInterval: .seconds(5))
    }

    /// Reads a configuration file over the defaults; paths in it are taken as written (relative to the working
    /// directory). A state directory given in the file moves the defaults that hang off it.
    static func load(path: String, bytes: [UInt8], over base: DaemonConfiguration) -> Result<DaemonConfiguration, RulesLoadError> {
        let doc: YAMLDocument
        switch YAMLDocument.parse(bytes, file: path, content: .configuration) {
        case .failure(let e): return .failure(e)
        case .success(let d): doc = d
        }
        guard let root = doc.root else { return .success(base) }
        let sink = DiagnosticSink()
        guard let r = MappingReader(root, file: path, context: "", expected: "a configuration", sink: sink) else {
            return .failure(RulesLoadError(sink.diagnostics))
        }
        r.rejectUnknownKeys(allowed: keys)
        var c = base
        if let s = r.string("state_directory") {
            c.stateDirectory = s
            c.alertsDirectory = s + "/alerts"
            c.database = s + "/warnd.sqlite"
        }
        if r.has("rules") {
            if case .sequence = r.value("rules")! {
                c.rules = r.stringList("rules") ?? c.rules
            } else if let s = r.string("rules") {
                c.rules = [s]
            }
        }
        c.alertsDirectory = r.string("alerts_directory") ?? c.alertsDirectory
        c.database = r.string("database") ?? c.database
        func duration(_ key: String) -> Duration? {
            guard let s = r.string(key) else { return nil }
            if let d = parseDuration(s) { return d }
            sink.error(r.location(of: r.value(key)!), "'\(key)' must be a duration like 90s, 30m or 1h, found '\(s)'")
            return nil
        }
        c.evaluationInterval = duration("evaluation_interval") ?? c.evaluationInterval
        c.settle = duration("settle") ?? c.settle
        c.pollInterval = duration("poll_interval") ?? c.pollInterval
        c.alertFilesInterval = duration("alert_files_interval") ?? c.alertFilesInterval
        if let l = r.string("log") {
            if let t = LogTarget(rawValue: l) {
                c.log = t
            } else {
                sink.error(r.location(of: r.value("log")!), "'log' must be journal, stderr or auto, found '\(l)'"
                    + Suggestion.hint(for: l, among: LogTarget.allCases.map(\.rawValue)))
            }
        }
        if let l = r.string("log_level") {
            if ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(l) {
                c.logLevel = l
            } else {
                sink.error(r.location(of: r.value("log_level")!), "'log_level' must be one of trace, debug, info, notice, warning, error, critical, found '\(l)'")
            }
        }
        if let s = r.string("max_file_size") {
            if let n = parseSize(s), n > 0 {
                c.maxFileSize = n
            } else {
                sink.error(r.location(of: r.value("max_file_size")!), "'max_file_size' must be a size like 64MiB or 1048576, found '\(s)'")
            }
        }
        if sink.hasErrors { return .failure(RulesLoadError(sink.diagnostics)) }
        return .success(c)
    }

    /// `90s`, `30m`, `1h`, `2d`, `500ms`.
    static func parseDuration(_ s: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, factor) in units where s.hasSuffix(suffix) {
            let number = s.dropLast(suffix.count)
            if suffix == "s", number.hasSuffix("m") { continue }
            guard let v = Double(number), v > 0, v.isFinite else { return nil }
            return .milliseconds(Int64((v * factor * 1000).rounded()))
        }
        return nil
    }

    /// `64MiB`, `1GiB`, `512KiB`, or bytes.
    static func parseSize(_ s: String) -> Int? {
        for (suffix, factor) in [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30)] where s.hasSuffix(suffix) {
            return Int(s.dropLast(3)).map { $0 * factor }
        }
        return Int(s)
    }

    var reloadStatusPath: String { stateDirectory + "/reload.json" }

    /// The inbox is always `<state>/inbox`: it must share a filesystem with `archive/` and `rejected/` so that
    /// moving a file out of it is one atomic rename.
    var inbox: String { stateDirectory + "/inbox" }
}
