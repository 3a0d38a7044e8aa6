/// Where something came from: a file, a 1-based line and a 1-based column.
///
/// Every diagnostic warnd prints carries one so editors and CI can jump to it (`file:line:column: error: …`).
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}
