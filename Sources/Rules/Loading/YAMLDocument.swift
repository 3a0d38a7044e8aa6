import Foundation
import Yams

/// A YAML file composed into nodes that remember their line and column.
///
/// warnd reads YAML as a node tree rather than through `Codable` because every error must point at the exact key or
/// value, unknown keys must be caught, and all problems must be collected rather than the first one thrown.
/// Anchors and aliases are refused: rules files don't need them, and they are how "billion laughs" documents blow
/// up; flow nesting deeper than ``maxDepth`` is refused before libyaml's recursive composer sees it.
public struct YAMLDocument {
    public let file: String
    public let root: Node?

    public static let maxDepth = 64

    /// What a YAML file is to warnd, so that encoding errors name it as the operator knows it.
    public enum Content: Sendable {
        case rules, configuration

        var nulMessage: String {
            switch self {
            case .rules: "NUL byte in a YAML file; rules files are UTF-8 text"
            case .configuration: "NUL byte in the configuration file; it must be UTF-8 text"
            }
        }

        var invalidUTF8Message: String {
            switch self {
            case .rules: "invalid UTF-8; save rules files as UTF-8"
            case .configuration: "invalid UTF-8; save the configuration file as UTF-8"
            }
        }
    }

    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Parses `bytes`; on failure returns the diagnostics instead.
    public static func parse(
        _ bytes: [UInt8], file: String, content: Content = .rules
    ) -> Result<YAMLDocument, RulesLoadError> {
        var body = bytes[...]
        if body.starts(with: byteOrderMark) { body = body.dropFirst(3) }
        if let nul = body.firstIndex(of: 0) {
            return .failure(RulesLoadError([Diagnostic(location(ofByte: nul, in: bytes, file: file),
                content.nulMessage)]))
        }
        guard let text = String(validating: body, as: UTF8.self) else {
            let bad = firstInvalidUTF8(in: bytes)
            return .failure(RulesLoadError([Diagnostic(location(ofByte: bad, in: bytes, file: file),
                content.invalidUTF8Message)]))
        }
        // Left in, libyaml reports a stray BOM as whatever grammar error it causes ("did not find expected key"),
        // which sends the reader looking for a mistake they cannot see: the character is invisible in editors.
        if let bom = firstByteOrderMark(in: body) {
            return .failure(RulesLoadError([Diagnostic(location(ofByte: bom, in: bytes, file: file),
                "byte-order mark (U+FEFF) in the middle of the file; it is only allowed at the very start "
                    + "(delete this invisible character, often left by pasting from another file)")]))
        }
        if let deep = tooDeep(text, file: file) { return .failure(RulesLoadError([deep])) }
        let anchors = anchorsAndAliases(text, file: file)
        if !anchors.isEmpty { return .failure(RulesLoadError(anchors)) }
        do {
            let root = try Yams.compose(yaml: text)
            return .success(YAMLDocument(file: file, root: root))
        } catch let error as YamlError {
            return .failure(RulesLoadError([diagnostic(for: error, text: text, file: file)]))
        } catch {
            return .failure(RulesLoadError([Diagnostic(SourceLocation(file: file, line: 1, column: 1), "\(error)")]))
        }
    }

    public static func location(of node: Node, file: String) -> SourceLocation {
        let m = node.mark
        return SourceLocation(file: file, line: m?.line ?? 1, column: m?.column ?? 1)
    }

    /// Anchors (`&name`) and aliases (`*name`) where YAML would read them: at the start of a value, after
    /// `- `, `: `, `[`, `{` or `,`, outside quotes and comments.
    ///
    /// Found in the text because Yams resolves aliases while composing and keeps no trace of them on the nodes.
    private static func anchorsAndAliases(_ text: String, file: String) -> [Diagnostic] {
        var out: [Diagnostic] = []
        var line = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            line += 1
            // A byte scan: Foundation's contains(_: String) searched each line through CFStringFind.
            guard raw.utf8.contains(where: { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "*") }) else { continue }
            var quote: Character? = nil
            var previous: Character? = nil  // the last non-space character outside quotes
            var afterSpace = true
            var column = 0
            for c in raw {
                column += 1
                if let q = quote {
                    if c == q { quote = nil }
                    previous = c
                    afterSpace = false
                    continue
                }
                if c == "#" && afterSpace { break }
                if (c == "\"" || c == "'") && (previous == nil || ":-[{,".contains(previous!)) {
                    quote = c
                    continue
                }
                let startsValue = previous == nil || (":-[{,".contains(previous!) && (afterSpace || "[{,".contains(previous!)))
                if (c == "&" || c == "*") && startsValue {
                    out.append(Diagnostic(SourceLocation(file: file, line: line, column: column),
                        "anchors and aliases are not supported in warnd files; write the value out"))
                    break
                }
                if c == " " || c == "\t" {
                    afterSpace = true
                } else {
                    previous = c
                    afterSpace = false
                }
            }
        }
        return out
    }

    /// Flow collections nested deeper than ``maxDepth`` (block nesting that deep needs an absurd file anyway).
    private static func tooDeep(_ text: String, file: String) -> Diagnostic? {
        var depth = 0
        var line = 1
        var column = 0
        var quote: UInt8? = nil
        var comment = false
        for b in text.utf8 {
            if b & 0xC0 != 0x80 { column += 1 }
            if b == 0x0A {
                line += 1
                column = 0
                comment = false
                continue
            }
            if comment { continue }
            if let q = quote {
                if b == q { quote = nil }
                continue
            }
            switch b {
            case UInt8(ascii: "#"): comment = true
            case UInt8(ascii: "\""), UInt8(ascii: "'"): if depth > 0 { quote = b }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > maxDepth {
                    return Diagnostic(SourceLocation(file: file, line: line, column: column),
                        "YAML nested more than \(maxDepth) levels deep")
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth = max(0, depth - 1)
            default: break
            }
        }
        return nil
    }

    private static func diagnostic(for error: YamlError, text: String, file: String) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
            let .composer(context, problem, mark, _):
            let ctx = context.map { " \($0.text) (opened at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return Diagnostic(at(mark), "invalid YAML: \(problem)\(ctx)")
        case let .duplicatedKeysInMapping(duplicates, context):
            let key = duplicates.first ?? ""
            let first = context.mark
            let second = secondOccurrence(of: key, after: first, in: text)
                .map { SourceLocation(file: file, line: $0.line, column: $0.column) } ?? at(first)
            return Diagnostic(second,
                "duplicate key '\(key)' (first at line \(first.line)); each key may appear once in a mapping")
        case let .reader(problem, offset, _, _):
            if let offset, let loc = lineColumn(ofByte: offset, in: text) {
                return Diagnostic(SourceLocation(file: file, line: loc.0, column: loc.1), "invalid YAML: \(problem)")
            }
            return Diagnostic(SourceLocation(file: file, line: 1, column: 1), "invalid YAML: \(problem)")
        default:
            return Diagnostic(SourceLocation(file: file, line: 1, column: 1), "invalid YAML: \(error)")
        }
    }

    /// Where a duplicated key is written again: same column, a later line.
    private static func secondOccurrence(of key: String, after mark: Mark, in text: String) -> (line: Int, column: Int)? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard mark.line <= lines.count else { return nil }
        for i in mark.line..<lines.count {
            let scalars = Array(lines[i].unicodeScalars)
            guard scalars.count >= mark.column else { continue }
            let rest = String(String.UnicodeScalarView(scalars[(mark.column - 1)...]))
            for candidate in [key, "\"\(key)\"", "'\(key)'"] {
                if rest.hasPrefix(candidate + ":") { return (i + 1, mark.column) }
            }
        }
        return nil
    }

    private static func lineColumn(ofByte offset: Int, in text: String) -> (Int, Int)? {
        var line = 1
        var column = 1
        var i = 0
        for b in text.utf8 {
            if i == offset { return (line, column) }
            if b == 0x0A {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
            i += 1
        }
        return i == offset ? (line, column) : nil
    }

    static func location(ofByte offset: Int, in bytes: [UInt8], file: String) -> SourceLocation {
        var line = 1
        var column = 1
        for b in bytes[..<min(offset, bytes.count)] {
            if b == 0x0A {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
        }
        return SourceLocation(file: file, line: line, column: column)
    }

    /// The index of the first U+FEFF in `bytes`, or `nil`.
    static func firstByteOrderMark(in bytes: ArraySlice<UInt8>) -> Int? {
        var i = bytes.startIndex
        while let e = bytes[i...].firstIndex(of: 0xEF) {
            if bytes[e...].starts(with: byteOrderMark) { return e }
            i = e + 1
        }
        return nil
    }

    static func firstInvalidUTF8(in bytes: [UInt8]) -> Int {
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let len: Int
            if b < 0x80 { len = 1 } else if b & 0xE0 == 0xC0 { len = 2 } else if b & 0xF0 == 0xE0 { len = 3 }
            else if b & 0xF8 == 0xF0 { len = 4 } else { return i }
            if i + len > bytes.count { return i }
            if String(validating: bytes[i..<(i + len)], as: UTF8.self) == nil { return i }
            i += len
        }
        return bytes.count
    }
}

