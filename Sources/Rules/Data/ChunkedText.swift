#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A big CSV file's decoded text cut at line boundaries, so that its parts can be parsed one after another while
/// the previous part is being stored (`warnd import` of one large file).
///
/// Cutting is only offered when it cannot change what the parser sees: CSV, no decoding problems, no quote character
/// anywhere (a quoted field may hold a line break), no lone CR (line numbering would need it), and a header line.
/// Each part is parsed with the header in front, and its row lines are shifted to the file's numbering. A file that
/// does not qualify, or whose parts show any problem, is parsed whole instead, so that errors read exactly as they do
/// from the inbox.
public struct ChunkedText: Sendable {
    public let file: String
    public let encoding: DataFileDecoder.Encoding
    let text: [UInt8]
    /// The header line, with its line break.
    let header: Range<Int>
    /// The parts after the header, each starting at the beginning of a line, with that line's number.
    let parts: [(range: Range<Int>, firstLine: Int)]

    public var count: Int { parts.count }

    /// The parts of `bytes`, about `partBytes` each, or `nil` when the file must be parsed whole.
    public static func split(_ bytes: [UInt8], file: String, partBytes: Int) -> ChunkedText? {
        guard (DataFormat.infer(fromPath: file) ?? .csv) == .csv, bytes.count > partBytes,
            let decoded = try? DataFileDecoder.decode(bytes, file: file), decoded.problems.isEmpty
        else { return nil }
        let text = decoded.utf8
        let lf = UInt8(ascii: "\n")
        let cut: (header: Range<Int>, parts: [(Range<Int>, Int)])? = text.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return nil }
            let n = buffer.count
            /// The offset of the first `byte` at or after `from`, by `memchr` (these scans cover the whole file).
            func find(_ byte: UInt8, from: Int, to end: Int? = nil) -> Int? {
                let limit = end ?? n
                guard from < limit, let p = memchr(base + from, Int32(byte), limit - from) else { return nil }
                return UnsafeRawPointer(p) - UnsafeRawPointer(base)
            }
            guard cutsAtAnyLine(buffer) else { return nil }
            guard let headerEnd = find(lf, from: 0), headerEnd > 0 else { return nil }
            var parts: [(Range<Int>, Int)] = []
            var start = headerEnd + 1
            var line = 2
            while start < n {
                var end = min(start + partBytes, n)
                if end < n { end = (find(lf, from: end) ?? (n - 1)) + 1 }
                parts.append((start..<end, line))
                var at = start
                while let nl = find(lf, from: at, to: end) {
                    line += 1
                    at = nl + 1
                }
                start = end
            }
            return (0..<(headerEnd + 1), parts)
        }
        guard let (header, parts) = cut else { return nil }
        guard parts.count > 1 else { return nil }
        return ChunkedText(file: file, encoding: decoded.encoding, text: text, header: header, parts: parts)
    }
}

extension ChunkedText {
    /// Whether `text` can be cut at any line break without changing what the CSV parser reads: no quote character
    /// (a quoted field may hold a line break) and a CR only as part of CRLF (line numbering would need it).
    public static func cutsAtAnyLine(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = text.baseAddress, !text.isEmpty else { return true }
        if memchr(base, Int32(UInt8(ascii: "\"")), text.count) != nil { return false }
        var from = 0
        while from < text.count, let p = memchr(base + from, Int32(UInt8(ascii: "\r")), text.count - from) {
            let i = UnsafeRawPointer(p) - UnsafeRawPointer(base)
            guard i + 1 < text.count, text[i + 1] == UInt8(ascii: "\n") else { return false }
            from = i + 1
        }
        return true
    }
}

extension ObservationParser {
    /// Parses part `index` of `chunks`: its rows carry the file's line numbers. Errors are only informative here
    /// (positions within the part); a caller that finds any parses the file whole for the report.
    public func parse(part index: Int, of chunks: ChunkedText) -> ParsedData {
        let (range, firstLine) = chunks.parts[index]
        var bytes = Array(chunks.text[chunks.header])
        bytes.append(contentsOf: chunks.text[range])
        return parse(csvPart: bytes, firstLine: firstLine, file: chunks.file, encoding: chunks.encoding)
    }

    /// Parses part of a CSV file: `text` is its header line followed by whole lines of it (decoded, UTF-8), the
    /// first of them line `firstLine` of the file. Rows carry the file's line numbers; errors are only informative,
    /// as for ``parse(part:of:)``.
    public func parse(csvPart text: [UInt8], firstLine: Int, file: String, encoding: DataFileDecoder.Encoding) -> ParsedData {
        var parsed = text.withUnsafeBufferPointer { text in
            var session = ParseSession(catalog: catalog, regions: regions, file: file, text: text, maxErrors: maxErrors)
            var reader = CSVReader(text)
            reader.run(into: &session)
            return session.finish(encoding: encoding.rawValue, format: .csv)
        }
        // The part's second line (its first row) is the file's `firstLine`.
        let shift = Int32(firstLine - 2)
        for i in parsed.table.rows.indices { parsed.table.rows[i].line += shift }
        return parsed
    }
}
