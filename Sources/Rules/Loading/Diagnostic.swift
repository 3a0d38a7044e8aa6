/// One problem found in a rules, catalog, test or configuration file, with where it is.
///
/// Prints in the gcc shape (`file:line:column: error: message`) that editors and CI annotate.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Level: String, Sendable, Hashable {
        case error, warning
    }

    public var location: SourceLocation
    public var level: Level
    public var message: String

    public init(_ location: SourceLocation, _ message: String, level: Level = .error) {
        self.location = location
        self.level = level
        self.message = message
    }

    public var description: String { "\(location): \(level.rawValue): \(message)" }
}

/// The error a load throws: every diagnostic found, in file order.
public struct RulesLoadError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    public var errors: [Diagnostic] { diagnostics.filter { $0.level == .error } }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
