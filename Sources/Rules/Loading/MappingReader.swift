import Yams

/// Collects diagnostics while a file is read, so one pass reports every problem.
public final class DiagnosticSink {
    public var diagnostics: [Diagnostic] = []

    public init() {}

    public func error(_ location: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(location, message))
    }

    public var hasErrors: Bool { diagnostics.contains { $0.level == .error } }
}

/// Reads one YAML mapping strictly: typed getters that record a diagnostic for a wrong type, and a final check
/// that reports every key nobody asked for, with a did-you-mean.
public struct MappingReader {
    public let file: String
    public let node: Node
    /// Prefix naming what is being read, e.g. `rule "qx-w-health-2-mmr": `.
    public let context: String
    public let sink: DiagnosticSink
    private let pairs: [(key: String, keyNode: Node, value: Node)]

    public init?(_ node: Node, file: String, context: String, expected: String, sink: DiagnosticSink) {
        guard case .mapping(let m) = node else {
            sink.error(YAMLDocument.location(of: node, file: file),
                "\(context)expected \(expected) (a mapping of key: value), found \(node.kindDescription)")
            return nil
        }
        self.file = file
        self.node = node
        self.context = context
        self.sink = sink
        var pairs: [(String, Node, Node)] = []
        for (k, v) in m {
            guard case .scalar(let s) = k else {
                sink.error(YAMLDocument.location(of: k, file: file), "\(context)keys must be plain strings")
                continue
            }
            pairs.append((s.string, k, v))
        }
        self.pairs = pairs
    }

    public var location: SourceLocation { YAMLDocument.location(of: node, file: file) }

    public func location(of node: Node) -> SourceLocation { YAMLDocument.location(of: node, file: file) }

    /// The value node of a key, `nil` when absent or null.
    public func value(_ key: String) -> Node? {
        guard let v = pairs.first(where: { $0.key == key })?.value else { return nil }
        return v.isNull ? nil : v
    }

    public func keyLocation(_ key: String) -> SourceLocation? {
        pairs.first { $0.key == key }.map { location(of: $0.keyNode) }
    }

    public func has(_ key: String) -> Bool { value(key) != nil }

    public var keys: [String] { pairs.map(\.key) }

    private func missing(_ key: String, _ what: String) {
        if let loc = keyLocation(key) {
            sink.error(loc, "\(context)'\(key)' needs a value (\(what))")
        } else {
            sink.error(location, "\(context)missing required key '\(key)' (\(what))")
        }
    }

    public func string(_ key: String, required: Bool = false, what: String = "a string") -> String? {
        guard let v = value(key) else {
            if required { missing(key, what) }
            return nil
        }
        guard case .scalar(let s) = v else {
            sink.error(location(of: v), "\(context)'\(key)' must be \(what), found \(v.kindDescription)")
            return nil
        }
        return s.string
    }

    public func double(_ key: String, required: Bool = false, what: String = "a number") -> Double? {
        guard let v = value(key) else {
            if required { missing(key, what) }
            return nil
        }
        if let d = v.plainNumber { return d }
        sink.error(location(of: v), "\(context)'\(key)' must be \(what), found \(v.valueDescription)")
        return nil
    }

    public func int(_ key: String, required: Bool = false, what: String = "a whole number") -> Int? {
        guard let v = value(key) else {
            if required { missing(key, what) }
            return nil
        }
        if case .scalar(let s) = v, s.style == .plain, let i = Int(s.string) { return i }
        sink.error(location(of: v), "\(context)'\(key)' must be \(what), found \(v.valueDescription)")
        return nil
    }

    public func bool(_ key: String) -> Bool? {
        guard let v = value(key) else { return nil }
        if case .scalar(let s) = v, s.style == .plain {
            if s.string == "true" { return true }
            if s.string == "false" { return false }
        }
        sink.error(location(of: v), "\(context)'\(key)' must be true or false, found \(v.valueDescription)")
        return nil
    }

    /// A list of strings; a single scalar is an error, not silently a one-element list.
    public func stringList(_ key: String, required: Bool = false) -> [String]? {
        guard let v = value(key) else {
            if required { missing(key, "a list of strings") }
            return nil
        }
        guard case .sequence(let seq) = v else {
            sink.error(location(of: v), "\(context)'\(key)' must be a list of strings, found \(v.valueDescription)")
            return nil
        }
        var out: [String] = []
        for item in seq {
            guard case .scalar(let s) = item, !item.isNull else {
                sink.error(location(of: item), "\(context)'\(key)' items must be strings, found \(item.kindDescription)")
                continue
            }
            out.append(s.string)
        }
        return out
    }

    /// A mapping of string to string (labels, dimension selectors).
    public func stringMap(_ key: String) -> [String: String]? {
        guard let v = value(key) else { return nil }
        guard case .mapping(let m) = v else {
            sink.error(location(of: v), "\(context)'\(key)' must be a mapping of names to strings, found \(v.valueDescription)")
            return nil
        }
        var out: [String: String] = [:]
        for (k, val) in m {
            guard case .scalar(let ks) = k, case .scalar(let vs) = val, !val.isNull else {
                sink.error(location(of: val), "\(context)'\(key)' values must be strings, found \(val.kindDescription)")
                continue
            }
            out[ks.string] = vs.string
        }
        return out
    }

    /// Reports every key not in `allowed`, with the closest allowed key as a hint.
    public func rejectUnknownKeys(allowed: [String]) {
        for p in pairs where !allowed.contains(p.key) {
            sink.error(location(of: p.keyNode),
                "\(context)unknown key '\(p.key)'\(Suggestion.hint(for: p.key, among: allowed))")
        }
    }
}

extension Node {
    public var isNull: Bool {
        guard case .scalar(let s) = self, s.style == .plain else { return false }
        return s.string.isEmpty || s.string == "~" || s.string == "null" || s.string == "Null" || s.string == "NULL"
    }

    /// A plain (unquoted) finite number; quoted numbers are strings in YAML and are refused as numbers.
    public var plainNumber: Double? {
        guard case .scalar(let s) = self, s.style == .plain else { return nil }
        let t = s.string
        guard let d = Double(t), d.isFinite, !t.lowercased().contains("n"), !t.lowercased().contains("i") else {
            return nil
        }
        return d
    }

    public var kindDescription: String {
        switch self {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar: return isNull ? "nothing" : "a scalar"
        }
    }

    /// How a wrong value is quoted back in a message.
    public var valueDescription: String {
        switch self {
        case .scalar(let s):
            if isNull { return "nothing" }
            return s.style == .plain ? "'\(s.string)'" : "the string \"\(s.string)\""
        default: return kindDescription
        }
    }
}
