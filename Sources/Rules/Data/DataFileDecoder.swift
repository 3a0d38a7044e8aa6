#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns the raw bytes of a data file into UTF-8 text, working out which encoding the bureau saved it in.
///
/// Files come from Excel and WPS on Chinese Windows, which save "CSV" in the ANSI code page (GBK, a subset of
/// GB18030) unless told "CSV UTF-8". Rejecting those would only make people re-save files, and guessing wrong would
/// silently turn region names into mojibake, so the rule is strict and predictable: valid UTF-8 (with or without a
/// byte order mark) is UTF-8; anything else that decodes completely as GB18030 is GB18030; everything else is
/// refused with the position of the first byte that is not UTF-8. UTF-16 and UTF-32 (Excel's "Unicode text") are
/// refused outright, as are NUL bytes, because a text file never contains them.
public enum DataFileDecoder {
    public enum Encoding: String, Sendable, Hashable {
        case utf8 = "utf-8"
        case gb18030
    }

    /// Decoded text, always UTF-8, without the leading byte order mark.
    public struct Decoded: Sendable {
        public var utf8: [UInt8]
        public var encoding: Encoding
        public var hadByteOrderMark: Bool
        /// Problems that do not stop parsing: byte order marks in the middle of the file (files joined with `cat`).
        /// Their position is still part of the text; parsers treat U+FEFF as blank space around a value.
        public var problems: [DataError]

        public var text: String { String(decoding: utf8, as: UTF8.self) }
    }

    /// The UTF-8 byte order mark, also what U+FEFF looks like anywhere in UTF-8 text.
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// What to do about an unreadable file, in the words of the program that wrote it: "CSV UTF-8" is the name of
    /// the choice in Excel's and WPS's save dialogs, which means nothing to whoever exports JSON Lines from a system.
    static func advice(_ format: DataFormat, again: Bool = false) -> String {
        switch format {
        case .csv: return "save it \(again ? "again " : "")as UTF-8 (CSV UTF-8)"
        case .jsonl: return "write it \(again ? "again " : "")as UTF-8"
        }
    }

    /// Decodes `bytes`, or throws the reason the file cannot be read as text at all. `format` (else the file
    /// name's extension, else CSV) only chooses the wording of the advice.
    public static func decode(_ bytes: [UInt8], file: String, format: DataFormat? = nil) throws(DataError) -> Decoded {
        let start = SourceLocation(file: file, line: 1, column: 1)
        let format = format ?? DataFormat.infer(fromPath: file) ?? .csv
        if let refusal = refusal(forSignatureOf: bytes, format: format) {
            throw DataError(location: start, message: refusal)
        }
        let hadBOM = bytes.starts(with: byteOrderMark)
        let body = hadBOM ? Array(bytes[3...]) : bytes
        let scan = body.withUnsafeBufferPointer { UTF8Scan($0) }
        if scan.invalidOffset == nil {
            let problems = try check(body, scan, file: file, format: format)
            return Decoded(utf8: body, encoding: .utf8, hadByteOrderMark: hadBOM, problems: problems)
        }
        let invalid = scan.invalidOffset!
        let location = body.withUnsafeBufferPointer {
            TextPosition.locate(invalid, in: $0, from: 0, line: 1, file: file)
        }
        let shown = body[invalid..<min(body.count, invalid + scan.invalidLength)]
            .map { "0x" + String($0, radix: 16, uppercase: true) }.joined(separator: " ")
        if hadBOM {
            // A UTF-8 byte order mark is an explicit claim; trying GB18030 after it would only produce mojibake.
            throw DataError(
                location: location,
                message: "invalid UTF-8 byte sequence \(shown) in a file that starts with a UTF-8 byte order mark; "
                    + advice(format, again: true)
            )
        }
        guard var converted = body.withUnsafeBufferPointer({ convertFromGB18030($0) }) else {
            throw DataError(
                location: location,
                message: "invalid byte sequence \(shown): the file is neither UTF-8 nor GB18030; "
                    + advice(format)
            )
        }
        // GB18030 has its own byte order mark, which converts to U+FEFF.
        let gbBOM = converted.starts(with: byteOrderMark)
        if gbBOM { converted.removeFirst(3) }
        let convertedScan = converted.withUnsafeBufferPointer { UTF8Scan($0) }
        let problems = try check(converted, convertedScan, file: file, format: format)
        return Decoded(utf8: converted, encoding: .gb18030, hadByteOrderMark: gbBOM, problems: problems)
    }

    /// Why a file is refused from its first bytes alone, or `nil`.
    static func refusal(forSignatureOf bytes: [UInt8], format: DataFormat = .csv) -> String? {
        if bytes.starts(with: [0x00, 0x00, 0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE, 0x00, 0x00]) {
            return "UTF-32 is not supported; " + advice(format)
        }
        if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) {
            return "UTF-16 is not supported; " + advice(format)
        }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) {
            // A workbook is a spreadsheet's, whatever its name says: the CSV advice is the one that helps.
            return "this is a spreadsheet workbook (.xlsx/.xls/.et), not a text file; " + advice(.csv)
        }
        return nil
    }

    /// The errors of otherwise valid UTF-8: a NUL byte stops everything, stray byte order marks do not.
    private static func check(_ text: [UInt8], _ scan: UTF8Scan, file: String, format: DataFormat) throws(DataError)
        -> [DataError]
    {
        if let nul = scan.nulOffset {
            let location = text.withUnsafeBufferPointer {
                TextPosition.locate(nul, in: $0, from: 0, line: 1, file: file)
            }
            throw DataError(
                location: location,
                message: "NUL byte: this is not a text file (UTF-16 without a byte order mark, or a binary file?); "
                    + advice(format)
            )
        }
        guard !scan.byteOrderMarks.isEmpty else { return [] }
        return text.withUnsafeBufferPointer { buffer in
            // Locate incrementally so that many marks in a big file cost one pass, not one pass each.
            var line = 1
            var anchor = 0
            return scan.byteOrderMarks.map { offset in
                let location = TextPosition.locate(offset, in: buffer, from: anchor, line: line, file: file)
                line = location.line
                var i = offset
                while i > anchor, buffer[i - 1] != 0x0A, buffer[i - 1] != 0x0D { i -= 1 }
                anchor = i
                return DataError(
                    location: location,
                    message: "byte order mark (U+FEFF) in the middle of the file (were files joined?); "
                        + "it is only allowed at the very start"
                )
            }
        }
    }

    /// The whole input converted from GB18030 to UTF-8 by iconv, or `nil` if any of it is not GB18030.
    static func convertFromGB18030(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard let cd = iconv_open("UTF-8", "GB18030"), Int(bitPattern: cd) != -1 else { return nil }
        defer { iconv_close(cd) }
        guard let base = input.baseAddress, !input.isEmpty else { return [] }
        var inPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(mutating: base)
            .assumingMemoryBound(to: CChar.self)
        var inLeft = input.count
        // Two GB18030 bytes become at most three UTF-8 bytes, four at most four.
        var out = [UInt8](repeating: 0, count: input.count + input.count / 2 + 16)
        var produced = 0
        while true {
            let (result, error) = out.withUnsafeMutableBufferPointer { buffer -> (Int, Int32) in
                var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(buffer.baseAddress! + produced)
                    .assumingMemoryBound(to: CChar.self)
                var outLeft = buffer.count - produced
                let result = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                let error = errno
                produced = buffer.count - outLeft
                return (result, error)
            }
            if result != -1 { break }
            guard error == E2BIG else { return nil }
            out.append(contentsOf: repeatElement(0, count: out.count))
        }
        out.removeLast(out.count - produced)
        return out
    }
}

/// One pass over bytes that checks UTF-8 validity and notes NUL bytes and byte order marks.
///
/// Eight ASCII bytes are checked at a time, since data files are mostly digits and ASCII ids.
struct UTF8Scan {
    /// The start of the first ill-formed sequence, and how many bytes of it are shown in the error.
    var invalidOffset: Int?
    var invalidLength = 0
    var nulOffset: Int?
    var byteOrderMarks: [Int] = []

    init(_ p: UnsafeBufferPointer<UInt8>) {
        let n = p.count
        guard let base = p.baseAddress else { return }
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i < n {
            if i + 8 <= n {
                let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let high = w & 0x8080_8080_8080_8080
                let zero = (w &- 0x0101_0101_0101_0101) & ~w & 0x8080_8080_8080_8080
                if high | zero == 0 {
                    i += 8
                    continue
                }
            }
            let b = p[i]
            if b < 0x80 {
                if b == 0, nulOffset == nil { nulOffset = i }
                i += 1
                continue
            }
            // The common cases first: Chinese characters are three bytes, lead bytes E1–EC and EE–EF.
            if b >= 0xE1, b <= 0xEF, b != 0xED, i + 2 < n, p[i + 1] & 0xC0 == 0x80, p[i + 2] & 0xC0 == 0x80 {
                if b == 0xEF, p[i + 1] == 0xBB, p[i + 2] == 0xBF { byteOrderMarks.append(i) }
                i += 3
                continue
            }
            guard let length = Self.sequenceLength(p, at: i) else {
                invalidOffset = i
                invalidLength = Self.invalidLength(p, at: i)
                return
            }
            i += length
        }
    }

    /// The length of the well-formed sequence at `i`, or `nil`.
    private static func sequenceLength(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> Int? {
        let length = invalidLength(p, at: i, checkingOnly: true)
        return length > 0 ? length : nil
    }

    /// How many bytes of the sequence at `i` are shown as ill-formed: its lead byte and the continuation bytes that
    /// were fine before the one that broke it. With `checkingOnly`, the length of a well-formed sequence instead,
    /// or 0 when it is ill-formed.
    private static func invalidLength(_ p: UnsafeBufferPointer<UInt8>, at i: Int, checkingOnly: Bool = false) -> Int {
        let n = p.count
        let b = p[i]
        var need = 0
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch b {
        case 0xC2...0xDF: need = 1
        case 0xE0: need = 2; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: need = 2
        case 0xED: need = 2; high = 0x9F  // no UTF-16 surrogates
        case 0xF0: need = 3; low = 0x90
        case 0xF1...0xF3: need = 3
        case 0xF4: need = 3; high = 0x8F  // nothing above U+10FFFF
        default: return checkingOnly ? 0 : 1
        }
        for k in 1...need {
            let c: UInt8 = i + k < n ? p[i + k] : 0
            let ok = k == 1 ? (c >= low && c <= high) : (c & 0xC0 == 0x80)
            if !ok { return checkingOnly ? 0 : k }
        }
        return need + 1
    }
}
