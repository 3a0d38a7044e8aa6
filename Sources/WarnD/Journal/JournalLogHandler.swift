import Logging

/// A swift-log handler that writes structured journal entries.
///
/// Metadata becomes journal fields (`indicator` → `WARND_INDICATOR`), so ops can filter with
/// `journalctl WARND_INDICATOR=maternal_mortality_ratio`; a `MESSAGE_ID` metadata value sets the entry's message id
/// so `journalctl -x` shows the catalog text.
struct JournalLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    var metadataProvider: Logger.MetadataProvider?
    let label: String
    let identifier: String

    init(label: String, identifier: String = "warnd") {
        self.label = label
        self.identifier = identifier
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// syslog priorities, which journald uses: critical 2, error 3, warning 4, notice 5, info 6, debug 7.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let m = event.metadata { merged.merge(m) { _, new in new } }
        var fields: [(name: String, value: String)] = [
            ("MESSAGE", event.message.description),
            ("PRIORITY", String(Self.priority(event.level))),
            ("SYSLOG_IDENTIFIER", identifier),
            ("CODE_FILE", event.file),
            ("CODE_LINE", String(event.line)),
            ("CODE_FUNC", event.function),
            ("WARND_LOGGER", label),
        ]
        if let error = event.error { fields.append(("WARND_ERROR", "\(error)")) }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            let name = Journal.fieldName(forMetadataKey: key)
            if let i = fields.firstIndex(where: { $0.name == name }) { fields.remove(at: i) }
            fields.append((name, Self.flatten(value)))
        }
        Journal.send(fields)
    }

    static func flatten(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c): return c.description
        case .array(let a): return a.map(flatten).joined(separator: ",")
        case .dictionary(let d): return d.sorted { $0.key < $1.key }.map { "\($0.key)=\(flatten($0.value))" }.joined(separator: ",")
        }
    }
}
