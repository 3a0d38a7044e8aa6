import Foundation
import Logging

/// The log handler for a terminal (`log: stderr`): the message first, as a person reads it, then the fields that
/// identify what it is about.
///
/// Journal field names and message ids matter to journald, not to someone watching `make demo`, so they are left
/// out; the full metadata goes to the journal when warnd runs under systemd.
struct TerminalLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    var metadataProvider: Logger.MetadataProvider?

    /// The fields worth a glance, in this order.
    static let shown = ["file", "rule", "rows", "series", "reason", "rules_file"]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let m = event.metadata { merged.merge(m) { _, new in new } }
        var line = "\(Self.clock()) \(event.level.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(event.message)"
        let fields = Self.shown.compactMap { key in merged[key].map { "\(key)=\(JournalLogHandler.flatten($0))" } }
            .filter { !$0.contains("\n") }
        if !fields.isEmpty { line += "  [" + fields.joined(separator: " ") + "]" }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    static func clock() -> String {
        var t = time(nil)
        var tm = tm()
        localtime_r(&t, &tm)
        return String(format: "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec)
    }
}
