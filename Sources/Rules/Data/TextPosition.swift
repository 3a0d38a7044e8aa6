/// Turns byte offsets in decoded UTF-8 text into the `line:column` positions people see in an editor.
///
/// Parsers work on bytes for speed and only need positions when something is wrong, so positions are computed
/// lazily from a known line start instead of being tracked for every byte. A line ends at LF, CRLF or a lone CR
/// (old Mac exports); a column counts Unicode scalars, so each Chinese character is one column.
enum TextPosition {
    /// The position of `offset`, scanning forward from `anchor`, which must be the start of line `line`.
    static func locate(
        _ offset: Int, in bytes: UnsafeBufferPointer<UInt8>, from anchor: Int, line: Int, file: String
    ) -> SourceLocation {
        let end = min(offset, bytes.count)
        var line = line
        var lineStart = anchor
        var i = anchor
        while i < end {
            let b = bytes[i]
            if b == 0x0A {
                line += 1
                lineStart = i + 1
            } else if b == 0x0D, i + 1 >= bytes.count || bytes[i + 1] != 0x0A {
                line += 1
                lineStart = i + 1
            }
            i += 1
        }
        var column = 1
        var j = lineStart
        while j < end {
            if bytes[j] & 0xC0 != 0x80 { column += 1 }
            j += 1
        }
        return SourceLocation(file: file, line: line, column: column)
    }

    /// Whether a line break starts at `i`, and how many bytes it takes (0 when none).
    @inline(__always)
    static func lineBreakLength(at i: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        let b = bytes[i]
        if b == 0x0A { return 1 }
        if b == 0x0D { return i + 1 < bytes.count && bytes[i + 1] == 0x0A ? 2 : 1 }
        return 0
    }
}
