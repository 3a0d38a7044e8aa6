import Glibc
import Rules

/// A big CSV file read a part at a time from a read-only mapping, each part's pages let go once it is parsed.
///
/// Why: `warnd eval --data` of one national file (790 MB, 11.8 M rows) read it whole, parsed it whole, and built
/// an observation per row before the dataset took them: 1 717 MiB at its peak, where the dataset itself and its
/// evaluation need ≈ 630 (issue 4). Parsed in parts of a few MB, only the dataset grows.
///
/// A part is handed over only when parsing it alone cannot read differently from parsing the whole file: UTF-8
/// without a byte order mark past the file's first bytes, no quote character (a quoted field may hold a line
/// break), no lone CR (line numbers would need it), the parts cut at line breaks. Otherwise reading stops and the
/// caller parses the file whole, as ``ChunkedText`` does for `warnd import`.
struct CSVPartReader {
    enum Stop: Error {
        /// The file must be parsed whole.
        case parseWhole
    }

    private let base: UnsafeMutableRawPointer
    private let size: Int
    private let partBytes: Int
    let file: String

    /// Maps `path`, or `nil` when it cannot be mapped (the caller reads it as usual).
    init?(path: String, partBytes: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_size > 0 else { return nil }
        guard let p = mmap(nil, Int(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else { return nil }
        // Read front to back once.
        _ = madvise(p, Int(st.st_size), MADV_SEQUENTIAL)
        base = p
        size = Int(st.st_size)
        self.partBytes = max(1, partBytes)
        file = path
    }

    /// Unmaps the file.
    func unmap() {
        munmap(base, size)
    }

    /// Hands `body` each part as the header line and the part's lines, decoded, with the file line number of the
    /// part's first line; throws ``Stop/parseWhole`` as soon as a part does not qualify.
    func forEachPart(_ body: (_ text: [UInt8], _ firstLine: Int) throws -> Void) throws {
        let bytes = UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: size)
        let bom = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        guard let headerEnd = find(0x0A, in: bytes, from: bom, to: size), headerEnd > bom else { throw Stop.parseWhole }
        let header = Array(bytes[bom...headerEnd])
        var start = headerEnd + 1
        var line = 2
        var released = 0
        while start < size {
            var end = min(start + partBytes, size)
            if end < size { end = (find(0x0A, in: bytes, from: end, to: size) ?? (size - 1)) + 1 }
            var text = header
            text.append(contentsOf: bytes[start..<end])
            let decoded: DataFileDecoder.Decoded
            do {
                decoded = try DataFileDecoder.decode(text, file: file, format: .csv)
            } catch {
                throw Stop.parseWhole
            }
            guard decoded.encoding == .utf8, decoded.problems.isEmpty, !decoded.hadByteOrderMark,
                decoded.utf8.withUnsafeBufferPointer(ChunkedText.cutsAtAnyLine)
            else { throw Stop.parseWhole }
            try body(decoded.utf8, line)
            line += decoded.utf8.withUnsafeBufferPointer { Self.count(0x0A, in: $0) } - 1
            start = end
            // The pages read so far leave the process's memory (they are the file's, read again if ever needed).
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let done = start / page * page
            if done > released {
                _ = madvise(base + released, done - released, MADV_DONTNEED)
                released = done
            }
        }
    }

    private func find(_ byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from: Int, to end: Int) -> Int? {
        guard from < end, let b = bytes.baseAddress, let p = memchr(b + from, Int32(byte), end - from) else { return nil }
        return UnsafeRawPointer(p) - UnsafeRawPointer(b)
    }

    private static func count(_ byte: UInt8, in t: UnsafeBufferPointer<UInt8>) -> Int {
        guard let b = t.baseAddress else { return 0 }
        var n = 0
        var from = 0
        while from < t.count, let p = memchr(b + from, Int32(byte), t.count - from) {
            n += 1
            from = UnsafeRawPointer(p) - UnsafeRawPointer(b) + 1
        }
        return n
    }
}
