/// Byte-level helpers shared by the CSV and JSON Lines readers for the text of one cell.
enum CellText {
    /// `bytes` without blank space at either end: ASCII space, tab and line breaks (inside quoted cells), the
    /// ideographic space U+3000 (typed by
    /// Chinese input methods), the no-break space U+00A0 (Excel) and U+FEFF (a stray byte order mark, reported
    /// separately by the decoder). A lead byte can never be a continuation byte, so checking the last bytes of the
    /// cell for these sequences cannot split another character.
    @inline(__always)
    static func trim(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var s = 0
        var e = bytes.count
        while s < e {
            let b = bytes[s]
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D {
                s += 1
            } else if b == 0xE3, e - s >= 3, bytes[s + 1] == 0x80, bytes[s + 2] == 0x80 {
                s += 3
            } else if b == 0xEF, e - s >= 3, bytes[s + 1] == 0xBB, bytes[s + 2] == 0xBF {
                s += 3
            } else if b == 0xC2, e - s >= 2, bytes[s + 1] == 0xA0 {
                s += 2
            } else {
                break
            }
        }
        while e > s {
            let b = bytes[e - 1]
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D {
                e -= 1
            } else if b == 0x80, e - s >= 3, bytes[e - 3] == 0xE3, bytes[e - 2] == 0x80 {
                e -= 3
            } else if b == 0xBF, e - s >= 3, bytes[e - 3] == 0xEF, bytes[e - 2] == 0xBB {
                e -= 3
            } else if b == 0xA0, e - s >= 2, bytes[e - 2] == 0xC2 {
                e -= 2
            } else {
                break
            }
        }
        if s == 0, e == bytes.count { return bytes }
        return UnsafeBufferPointer(rebasing: bytes[s..<e])
    }

    static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    /// How a cell's text is quoted in a diagnostic: whole up to 80 characters, else its start and how long it was,
    /// so a megabyte-long cell does not become a megabyte-long journal field, `.error` line and terminal line.
    static func shown(_ text: String) -> String {
        guard text.unicodeScalars.count > 80 else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.prefix(80))) + "…(\(text.utf8.count) bytes)"
    }
}
