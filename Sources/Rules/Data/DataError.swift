/// One problem found in a data file, pinned to the place it was found.
///
/// Statisticians fix files in an editor, and CI logs are read by tools that understand compiler output, so the
/// description uses the gcc spelling `file:line:column: error: message`. Columns are 1-based and count Unicode
/// characters of the decoded line, not bytes, so that `地区` counts as two columns as it does on screen.
public struct DataError: Error, Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    public var message: String

    public init(location: SourceLocation, message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { "\(location): error: \(message)" }
}
