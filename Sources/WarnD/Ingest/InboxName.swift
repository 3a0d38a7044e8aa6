/// The name of one inbox entry, kept as the raw bytes the directory holds.
///
/// A Linux file name is any bytes but `/` and NUL, and a department's upload tool may produce a name that is not
/// UTF-8 or that holds a newline. Converting such a name to `String` would alter it, and a call made with the altered
/// name would miss the file (or hit another one), so the bytes are kept for every system call and a `String` exists
/// only for names that are safe to print, log and pass to the parsers.
struct InboxName: Sendable, Hashable, Comparable, CustomStringConvertible {
    let bytes: [UInt8]

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    init(_ string: String) {
        self.bytes = Array(string.utf8)
    }

    /// The NUL-terminated form for system calls.
    var cString: [CChar] {
        bytes.map { CChar(bitPattern: $0) } + [0]
    }

    /// A name starting with `.` is a file still being written: by convention uploaders write `.name` and rename it
    /// to `name` when complete, and `warnd ingest` does exactly that. Such entries are never touched.
    var isHidden: Bool { bytes.first == UInt8(ascii: ".") }

    /// The name as text when it is safe to use as a file name in the archive, in logs and in error messages: valid
    /// UTF-8, no control characters (a newline would forge a line in the `.error` file or the log, an escape
    /// sequence would repaint an operator's terminal, a bidirectional override would make `gpj.exe` look like
    /// `exe.jpg`), and not empty. `nil` otherwise.
    var safeString: String? {
        guard !bytes.isEmpty, !bytes.contains(UInt8(ascii: "/")) else { return nil }
        guard let s = String(validating: bytes, as: UTF8.self) else { return nil }
        return s.unicodeScalars.contains(where: Self.isUnsafe) ? nil : s
    }

    /// Why `safeString` is `nil`, in words for the `.error` file.
    var unsafeReason: String? {
        guard safeString == nil else { return nil }
        if bytes.isEmpty { return "the name is empty" }
        if String(validating: bytes, as: UTF8.self) == nil { return "the name is not valid UTF-8" }
        if bytes.contains(UInt8(ascii: "\n")) { return "the name contains a line break" }
        if bytes.contains(UInt8(ascii: "/")) { return "the name contains '/'" }
        return "the name contains control characters"
    }

    /// The bytes written so that any name prints on one line and reads back unambiguously: printable UTF-8 as is,
    /// `\n`, `\t`, `\\` and other bytes as `\xHH`.
    var escaped: String {
        var out = ""
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "\n"): out += "\\n"; i += 1; continue
            case UInt8(ascii: "\t"): out += "\\t"; i += 1; continue
            case UInt8(ascii: "\\"): out += "\\\\"; i += 1; continue
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(b)); i += 1; continue
            default: break
            }
            // A multi-byte UTF-8 sequence that decodes to a printable scalar is kept as the character.
            if b >= 0xC2, let (scalar, length) = Self.decodeScalar(bytes, at: i), !Self.isUnsafe(scalar) {
                out.unicodeScalars.append(scalar)
                i += length
                continue
            }
            out += "\\x" + String(b, radix: 16, uppercase: true).leftPadded(to: 2)
            i += 1
        }
        return out
    }

    /// A name that is safe to create in `rejected/` for an entry whose own name is not: each invalid byte, control
    /// character or override becomes `_` (so `报表\n.csv` becomes `报表_.csv`), and it never starts with `.`. The
    /// `.error` file beside it keeps the original bytes, escaped.
    var sanitized: String {
        var s = ""
        for u in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            s.unicodeScalars.append(Self.isUnsafe(u) || u == "\u{FFFD}" || u == "/" ? "_" : u)
        }
        if s.isEmpty || s.hasPrefix(".") { s = "_" + s }
        return s
    }

    /// C0 and C1 controls, DEL, and the bidirectional embeddings, overrides and isolates.
    private static func isUnsafe(_ u: Unicode.Scalar) -> Bool {
        u.value < 0x20 || (0x7F...0x9F).contains(u.value) || (0x202A...0x202E).contains(u.value)
            || (0x2066...0x2069).contains(u.value)
    }

    var description: String { safeString ?? escaped }

    static func < (a: InboxName, b: InboxName) -> Bool {
        a.bytes.lexicographicallyPrecedes(b.bytes)
    }

    /// One well-formed UTF-8 scalar starting at `i`, or `nil`.
    private static func decodeScalar(_ bytes: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        let b = bytes[i]
        let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
        guard b < 0xF5, i + length <= bytes.count else { return nil }
        guard let s = String(validating: bytes[i..<(i + length)], as: UTF8.self), s.unicodeScalars.count == 1
        else { return nil }
        return (s.unicodeScalars.first!, length)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
