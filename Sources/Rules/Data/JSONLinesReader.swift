/// Reads JSON Lines (one flat JSON object per line) of decoded UTF-8 text into a ``ParseSession``.
///
/// The objects have one fixed, flat shape, so a small byte-level parser does the job faster than
/// `JSONSerialization` and, more importantly, knows the exact column of every token for error messages. It is a
/// strict JSON parser (RFC 8259) for what it accepts: nested values under unknown keys are still checked for syntax
/// and then skipped. A syntax error abandons the rest of its line only; the next line is read as usual.
struct JSONLinesReader {
    private struct SyntaxError: Error {
        var offset: Int
        var message: String
    }

    /// A JSON string in the text: `start` is its opening quote.
    private struct StringToken {
        var start: Int
        var contentStart: Int
        var contentEnd: Int
        /// Whether the content holds backslash escapes that must be decoded.
        var escaped: Bool
    }

    private enum Token {
        case string(StringToken)
        case number(start: Int, end: Int)
        case bool(Bool)
        case null
        case object
        case array

        var kind: String {
            switch self {
            case .string: return "a string"
            case .number: return "a number"
            case .bool(let b): return b ? "true" : "false"
            case .null: return "null"
            case .object: return "an object"
            case .array: return "an array"
            }
        }
    }

    private enum Key: String, CaseIterable {
        case indicator, region, period, value, dimensions, source, note

        /// The key spelt by `bytes`, compared without making a `String` (this runs for every key of every line).
        init?(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard let first = bytes.first else { return nil }
            let key: Key
            switch (bytes.count, first) {
            case (9, UInt8(ascii: "i")): key = .indicator
            case (6, UInt8(ascii: "r")): key = .region
            case (6, UInt8(ascii: "p")): key = .period
            case (5, UInt8(ascii: "v")): key = .value
            case (10, UInt8(ascii: "d")): key = .dimensions
            case (6, UInt8(ascii: "s")): key = .source
            case (4, UInt8(ascii: "n")): key = .note
            default: return nil
            }
            let name = key.spelling
            for i in 1..<bytes.count where bytes[i] != name.utf8Start[i] { return nil }
            self = key
        }

        private var spelling: StaticString {
            switch self {
            case .indicator: return "indicator"
            case .region: return "region"
            case .period: return "period"
            case .value: return "value"
            case .dimensions: return "dimensions"
            case .source: return "source"
            case .note: return "note"
            }
        }

        var bit: UInt8 {
            switch self {
            case .indicator: return 1
            case .region: return 2
            case .period: return 4
            case .value: return 8
            case .dimensions: return 16
            case .source: return 32
            case .note: return 64
            }
        }
    }

    /// A `value` seen before the `indicator` it must be checked against may have been.
    private enum PendingValue {
        case absent
        case null
        case range(Int, Int)
        case decoded([UInt8])
    }

    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
    private static let maxDepth = 64

    private let bytes: UnsafeBufferPointer<UInt8>
    private var pos = 0
    /// The end of the current line (its line break, or the end of the text).
    private var end = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func run(into session: inout ParseSession) {
        let n = bytes.count
        var start = 0
        var line = 1
        while start < n {
            var stop = start
            while stop < n, bytes[stop] != 0x0A, bytes[stop] != 0x0D { stop += 1 }
            session.beginRow(at: start, line: line)
            readLine(from: start, to: stop, &session)
            session.endRow()
            guard stop < n else { break }
            start = stop + (bytes[stop] == 0x0D && stop + 1 < n && bytes[stop + 1] == 0x0A ? 2 : 1)
            line += 1
        }
    }

    // MARK: One line

    private mutating func readLine(from start: Int, to stop: Int, _ session: inout ParseSession) {
        pos = start
        end = stop
        skipSpace()
        if pos == end { return }
        session.rowCount += 1
        let objectStart = pos
        var seen: UInt8 = 0
        var indicator: Int32?
        var region: Int32?
        var period: Period?
        var value = PendingValue.absent
        var valueOffset = objectStart
        var source: Int32?
        var note: Int32?
        do throws(SyntaxError) {
            guard peek == UInt8(ascii: "{") else {
                let hint = peek == UInt8(ascii: "[") ? " (JSON Lines has one object per line, not an array)" : ""
                throw SyntaxError(offset: pos, message: "expected a JSON object ('{') at the start of the line\(hint)")
            }
            pos += 1
            skipSpace()
            if peek == UInt8(ascii: "}") {
                pos += 1
            } else {
                while true {
                    skipSpace()
                    guard peek == Self.quote else { throw expected("a key in double quotes") }
                    let keyToken = try readString()
                    skipSpace()
                    guard peek == UInt8(ascii: ":") else { throw expected("':' after the key") }
                    pos += 1
                    skipSpace()
                    let key = withString(keyToken) { Key($0) }
                    let valueStart = pos
                    if let key, seen & key.bit == 0 {
                        seen |= key.bit
                        switch key {
                        case .indicator:
                            let token = try readValue()
                            if case .string(let s) = token {
                                indicator = withString(s) { session.indicator($0, at: s.start) }
                            } else {
                                session.error(at: valueStart, "expected a string for 'indicator', found \(token.kind)")
                            }
                        case .region:
                            let token = try readValue()
                            if case .string(let s) = token {
                                region = withString(s) { session.region($0, at: s.start) }
                            } else {
                                session.error(at: valueStart, "expected a string for 'region', found \(token.kind)")
                            }
                        case .period:
                            period = try readPeriod(&session)
                        case .value:
                            valueOffset = valueStart
                            value = try readPendingValue(&session)
                        case .dimensions:
                            try readDimensions(&session)
                        case .source:
                            source = try readText(for: "source", &session)
                        case .note:
                            note = try readText(for: "note", &session)
                        }
                    } else {
                        let name = withString(keyToken) { CellText.string($0) }
                        if key != nil {
                            session.error(at: keyToken.start, "duplicate key '\(name)'")
                        } else {
                            let hint = Suggestion.hint(for: name, among: Key.allCases.map(\.rawValue))
                            session.error(at: keyToken.start, "unknown key '\(name)'\(hint)")
                        }
                        _ = try readValue()
                    }
                    skipSpace()
                    if peek == UInt8(ascii: ",") {
                        pos += 1
                        continue
                    }
                    if peek == UInt8(ascii: "}") {
                        pos += 1
                        break
                    }
                    throw expected("',' or '}' after a value")
                }
            }
            skipSpace()
            guard pos == end else {
                throw SyntaxError(offset: pos, message: "unexpected text after the object")
            }
        } catch {
            session.error(at: error.offset, "invalid JSON: \(error.message)")
            return
        }
        for key in [Key.indicator, .region, .period] where seen & key.bit == 0 {
            session.error(at: objectStart, "missing key '\(key.rawValue)'")
        }
        let checked: (ok: Bool, value: Double?)
        switch value {
        case .absent, .null:
            checked = (true, nil)
        case .range(let s, let e):
            checked = session.value(UnsafeBufferPointer(rebasing: bytes[s..<e]), at: valueOffset, indicator: indicator)
        case .decoded(let text):
            checked = text.withUnsafeBufferPointer { session.value($0, at: valueOffset, indicator: indicator) }
        }
        guard let indicator, let region, let period, checked.ok else { return }
        session.finishRow(
            indicator: indicator, region: region, period: period, value: checked.value, valueOffset: valueOffset,
            source: source, note: note
        )
    }

    /// `period`: a string like `2024Q3`, or an integer year.
    private mutating func readPeriod(_ session: inout ParseSession) throws(SyntaxError) -> Period? {
        let valueStart = pos
        let token = try readValue()
        switch token {
        case .string(let s):
            return withString(s) { session.period($0, at: s.start) }
        case .number(let s, let e):
            let digits = UnsafeBufferPointer(rebasing: bytes[s..<e])
            if digits.allSatisfy({ $0 &- 0x30 < 10 }) { return session.period(digits, at: s) }
            session.error(at: s, ParseSession.periodMessage(CellText.string(digits)))
            return nil
        default:
            session.error(at: valueStart, "expected a string or an integer year for 'period', found \(token.kind)")
            return nil
        }
    }

    /// `value`: a number, a numeric string or null, kept until the object's indicator is known.
    private mutating func readPendingValue(_ session: inout ParseSession) throws(SyntaxError) -> PendingValue {
        let valueStart = pos
        let token = try readValue()
        switch token {
        case .number(let s, let e):
            return .range(s, e)
        case .string(let s):
            return s.escaped ? .decoded(decode(s)) : .range(s.contentStart, s.contentEnd)
        case .null:
            return .null
        default:
            session.error(
                at: valueStart, "expected a number, a numeric string or null for 'value', found \(token.kind)"
            )
            return .absent
        }
    }

    /// `source` or `note`: a string or null.
    private mutating func readText(for key: String, _ session: inout ParseSession) throws(SyntaxError) -> Int32? {
        let valueStart = pos
        let token = try readValue()
        switch token {
        case .string(let s):
            return withString(s) { session.text($0) }
        case .null:
            return nil
        default:
            session.error(at: valueStart, "expected a string or null for '\(key)', found \(token.kind)")
            return nil
        }
    }

    /// `dimensions`: an object of dimension name to label; an empty or null label means no such dimension.
    private mutating func readDimensions(_ session: inout ParseSession) throws(SyntaxError) {
        guard peek == UInt8(ascii: "{") else {
            let valueStart = pos
            let token = try readValue()
            if case .null = token { return }
            session.error(at: valueStart, "expected an object of strings for 'dimensions', found \(token.kind)")
            return
        }
        pos += 1
        skipSpace()
        if peek == UInt8(ascii: "}") {
            pos += 1
            return
        }
        var names: [Int32] = []
        while true {
            skipSpace()
            guard peek == Self.quote else { throw expected("a dimension name in double quotes") }
            let nameToken = try readString()
            skipSpace()
            guard peek == UInt8(ascii: ":") else { throw expected("':' after the dimension name") }
            pos += 1
            skipSpace()
            let valueStart = pos
            let token = try readValue()
            if let name = withString(nameToken, { session.dimensionName($0, at: nameToken.start) }) {
                if names.contains(name) {
                    session.error(at: nameToken.start, "duplicate dimension '\(session.string(name))'")
                } else {
                    names.append(name)
                    switch token {
                    case .string(let s):
                        if let label = withString(s, { session.text($0) }) {
                            session.dimensionPairs.append((name, label))
                        }
                    case .null:
                        break
                    default:
                        session.error(
                            at: valueStart,
                            "expected a string for dimension '\(session.string(name))', found \(token.kind)"
                        )
                    }
                }
            }
            skipSpace()
            if peek == UInt8(ascii: ",") {
                pos += 1
                continue
            }
            if peek == UInt8(ascii: "}") {
                pos += 1
                return
            }
            throw expected("',' or '}' after a dimension")
        }
    }

    // MARK: Tokens

    /// The byte at `pos`, or 0 at the end of the line (0 cannot occur: the decoder refuses NUL bytes).
    private var peek: UInt8 { pos < end ? bytes[pos] : 0 }

    private mutating func skipSpace() {
        while pos < end {
            let b = bytes[pos]
            if b == 0x20 || b == 0x09 {
                pos += 1
            } else if b == 0xEF, pos + 2 < end, bytes[pos + 1] == 0xBB, bytes[pos + 2] == 0xBF {
                pos += 3  // a stray byte order mark, already reported by the decoder
            } else {
                break
            }
        }
    }

    /// "expected X, found Y" at `pos`.
    private func expected(_ what: String) -> SyntaxError {
        SyntaxError(offset: pos, message: "expected \(what), found \(found(at: pos))")
    }

    /// The character at `offset` for a message, or "end of line".
    private func found(at offset: Int) -> String {
        guard offset < end else { return "end of line" }
        var stop = offset + 1
        while stop < end, bytes[stop] & 0xC0 == 0x80 { stop += 1 }
        return "'\(CellText.string(UnsafeBufferPointer(rebasing: bytes[offset..<stop])))'"
    }

    private mutating func readValue(depth: Int = 0) throws(SyntaxError) -> Token {
        let start = pos
        switch peek {
        case Self.quote:
            return .string(try readString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try readNumber()
        case UInt8(ascii: "{"):
            try skipContainer(close: UInt8(ascii: "}"), depth: depth)
            return .object
        case UInt8(ascii: "["):
            try skipContainer(close: UInt8(ascii: "]"), depth: depth)
            return .array
        default:
            if matchesWord("true") {
                pos += 4
                return .bool(true)
            }
            if matchesWord("false") {
                pos += 5
                return .bool(false)
            }
            if matchesWord("null") {
                pos += 4
                return .null
            }
            var stop = pos
            while stop < end, Self.isWordByte(bytes[stop]) { stop += 1 }
            if stop > start {
                let word = CellText.string(UnsafeBufferPointer(rebasing: bytes[start..<stop]))
                throw SyntaxError(offset: start, message: "expected a value, found '\(word)'")
            }
            throw expected("a value")
        }
    }

    private static func isWordByte(_ b: UInt8) -> Bool {
        b >= 0x80 || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "+")
            || (b | 0x20 >= UInt8(ascii: "a") && b | 0x20 <= UInt8(ascii: "z")) || b &- 0x30 < 10
    }

    /// Whether `word` is at `pos` and not just the start of a longer word (`nullx`).
    private func matchesWord(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard pos + n <= end else { return false }
        let p = word.utf8Start
        for i in 0..<n where bytes[pos + i] != p[i] { return false }
        return pos + n == end || !Self.isWordByte(bytes[pos + n])
    }

    private mutating func readNumber() throws(SyntaxError) -> Token {
        let start = pos
        func digits() -> Bool {
            let first = pos
            while pos < end, bytes[pos] &- 0x30 < 10 { pos += 1 }
            return pos > first
        }
        if peek == UInt8(ascii: "-") { pos += 1 }
        if peek == UInt8(ascii: "0") {
            pos += 1
        } else if !digits() {
            throw SyntaxError(offset: start, message: "invalid number")
        }
        if peek == UInt8(ascii: ".") {
            pos += 1
            guard digits() else { throw SyntaxError(offset: start, message: "invalid number") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            pos += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { pos += 1 }
            guard digits() else { throw SyntaxError(offset: start, message: "invalid number") }
        }
        return .number(start: start, end: pos)
    }

    /// Checks and skips an object or array that nothing reads.
    private mutating func skipContainer(close: UInt8, depth: Int) throws(SyntaxError) {
        guard depth < Self.maxDepth else { throw SyntaxError(offset: pos, message: "nesting too deep") }
        let isObject = close == UInt8(ascii: "}")
        pos += 1
        skipSpace()
        if peek == close {
            pos += 1
            return
        }
        while true {
            skipSpace()
            if isObject {
                guard peek == Self.quote else { throw expected("a key in double quotes") }
                _ = try readString()
                skipSpace()
                guard peek == UInt8(ascii: ":") else { throw expected("':' after the key") }
                pos += 1
                skipSpace()
            }
            _ = try readValue(depth: depth + 1)
            skipSpace()
            if peek == UInt8(ascii: ",") {
                pos += 1
                continue
            }
            if peek == close {
                pos += 1
                return
            }
            throw expected("',' or '\(Character(Unicode.Scalar(close)))'")
        }
    }

    /// Reads the string at `pos`, checking its escapes (surrogate pairs included) without decoding them.
    private mutating func readString() throws(SyntaxError) -> StringToken {
        let start = pos
        pos += 1
        var escaped = false
        while true {
            guard pos < end else { throw SyntaxError(offset: start, message: "unterminated string") }
            let b = bytes[pos]
            if b == Self.quote { break }
            if b < 0x20 {
                throw SyntaxError(
                    offset: pos, message: "control character in a string (write it as an escape like \\t)"
                )
            }
            if b != Self.backslash {
                pos += 1
                continue
            }
            escaped = true
            switch pos + 1 < end ? bytes[pos + 1] : 0 {
            case Self.quote, Self.backslash, UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                pos += 2
            case UInt8(ascii: "u"):
                guard let unit = hex4(at: pos + 2) else {
                    throw SyntaxError(offset: pos, message: "invalid \\u escape: expected four hexadecimal digits")
                }
                if (0xD800...0xDBFF).contains(unit) {
                    guard pos + 7 < end, bytes[pos + 6] == Self.backslash, bytes[pos + 7] == UInt8(ascii: "u"),
                        let low = hex4(at: pos + 8), (0xDC00...0xDFFF).contains(low)
                    else {
                        throw SyntaxError(offset: pos, message: "unpaired surrogate in \\u escape")
                    }
                    pos += 12
                } else if (0xDC00...0xDFFF).contains(unit) {
                    throw SyntaxError(offset: pos, message: "unpaired surrogate in \\u escape")
                } else {
                    pos += 6
                }
            default:
                throw SyntaxError(offset: pos, message: "invalid escape: '\\' followed by \(found(at: pos + 1))")
            }
        }
        let token = StringToken(start: start, contentStart: start + 1, contentEnd: pos, escaped: escaped)
        pos += 1
        return token
    }

    private func hex4(at offset: Int) -> UInt32? {
        guard offset + 4 <= end else { return nil }
        var v: UInt32 = 0
        for i in offset..<(offset + 4) {
            let b = bytes[i]
            let d: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b - UInt8(ascii: "A") + 10
            default: return nil
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// The UTF-8 content of a string read by ``readString()``, escapes decoded.
    private func decode(_ s: StringToken) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.contentEnd - s.contentStart)
        var i = s.contentStart
        while i < s.contentEnd {
            let b = bytes[i]
            guard b == Self.backslash else {
                out.append(b)
                i += 1
                continue
            }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(at: i)!
                i += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    let low = hex4(at: i + 2)!
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                out.append(contentsOf: UTF8.encode(Unicode.Scalar(scalar)!)!)
            default: out.append(e)  // " \ /
            }
        }
        return out
    }

    /// Calls `body` with the content of `s`, escapes decoded.
    @inline(__always)
    private func withString<R>(_ s: StringToken, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if !s.escaped { return body(UnsafeBufferPointer(rebasing: bytes[s.contentStart..<s.contentEnd])) }
        return decode(s).withUnsafeBufferPointer(body)
    }
}
