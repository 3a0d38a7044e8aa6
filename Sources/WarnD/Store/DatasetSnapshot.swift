import Dispatch
import Foundation
import Glibc
import Rules

/// A copy of the daemon's dataset in one binary file beside the store (`<state>/dataset.snapshot`), written at a
/// clean shutdown and read at the next start instead of the store's observations.
///
/// Why: at national scale a restart stepped SQLite through 11.8 M observation rows (≈ 1.9 s of CPU) before building
/// the same 910 000 series it had in memory when it stopped (issue 4, start-up to READY=1). The file holds them
/// as they are kept — each distinct string once, then per series its key's string ids and its points — so loading
/// is building the series, on every core, with nothing to decode.
///
/// It is a cache, never the record: the store stays the only truth, and a snapshot that does not match it is not
/// used. It matches when the token in its header equals the one stored in the store's `meta` table when it was
/// written, and the store's submissions counter (bumped by every committed submission, the daemon's and
/// `warnd import`'s alike) is still the one it was written at. When submissions were stored after it (a daemon
/// killed after taking files, the watchdog, a crash), it is caught up: the values set by submissions after the
/// last one it holds are read from the store (one pass over one column, ≈ 0.7 s at national scale, against ≈ 2.5 s
/// to read every observation) and applied — unless they are more than ``catchUpLimit`` rows, when reading the
/// store is as quick. A store restored from a backup (fewer submissions) or a snapshot copied from elsewhere (another
/// token) make it unusable, and the start reads the store.
/// Each part of the file carries a checksum, so a file torn by a crash is found out too (it is written without
/// fsync: losing it costs one slow start).
///
/// Layout (little-endian, the only byte order warnd runs on; the header says so):
///
///     header   magic "warnd-ds", u32 version, u32 byte-order mark, 16-byte token, i64 submissions,
///              u64 series, u64 points, u64 0
///     strings  u32 count, then per string u32 length + UTF-8 bytes
///     dims     u32 count, then per list u32 pairs + (u32 name, u32 value) string ids
///     chunks   per series in SeriesKey order: u32 indicator, u32 region, u32 dims, u32 points,
///              then per point i64 period code (as the store's) + f64 value
///     table    u32 chunks, then per chunk u64 first series, u64 series, u64 offset, u64 length, u64 checksum
///     trailer  u64 table offset, u64 checksum of header+strings+dims, u64 checksum of the table, magic "warnd-ds"
enum DatasetSnapshot {
    static let fileName = "dataset.snapshot"
    /// The `meta` key holding `<token> <submissions> <last submission id>` of the snapshot written last.
    static let metaKey = "dataset_snapshot"
    /// Rows stored since the snapshot past which the start reads the store instead of catching the snapshot up:
    /// applied one by one, a million rows cost about what loading the national store does.
    static let catchUpLimit = 1_000_000
    static let version: UInt32 = 1
    private static let magic: [UInt8] = Array("warnd-ds".utf8)
    private static let byteOrderMark: UInt32 = 0x0102_0304
    private static let headerSize = 64
    private static let trailerSize = 32
    /// Series per chunk: a national dataset makes 14 chunks, enough to keep every core busy while loading.
    static let defaultSeriesPerChunk = 65_536

    enum SnapshotError: Error, CustomStringConvertible {
        case unusable(String)
        var description: String {
            switch self {
            case .unusable(let why): return why
            }
        }
    }

    enum Loaded {
        /// `caughtUp`: the submissions and rows stored after the snapshot was written, applied to it; `nil` when it
        /// was current.
        case dataset(Dataset, caughtUp: (submissions: Int64, rows: Int)?)
        /// There is no snapshot, or none was written for this store.
        case absent
        /// There is one, but it does not match the store or is damaged: the reason, for the log.
        case unusable(String)
    }

    // MARK: writing

    /// Writes `dataset` (which must be the store's current content) and records its token in the store. Series
    /// without points are left out, as the store's own load leaves them out.
    static func write(_ dataset: Dataset, to path: String, store: Store,
        seriesPerChunk: Int = defaultSeriesPerChunk) throws
    {
        let (submissions, lastSubmission) = try store.submissionsMark()
        var token = [UInt8](repeating: 0, count: 16)
        for i in token.indices { token[i] = UInt8.random(in: 0...255) }
        let keys = dataset.orderedKeys

        // The string table and the dimension lists, each distinct value once.
        var stringIDs: [String: UInt32] = [:]
        var strings: [String] = []
        func id(_ s: String) -> UInt32 {
            if let i = stringIDs[s] { return i }
            let i = UInt32(strings.count)
            strings.append(s)
            stringIDs[s] = i
            return i
        }
        var listIDs: [[SeriesKey.Dimension]: UInt32] = [:]
        var lists: [[(UInt32, UInt32)]] = []
        var keyIDs: [(UInt32, UInt32, UInt32)] = []
        keyIDs.reserveCapacity(keys.count)
        var points = 0
        for key in keys {
            let dims: UInt32
            if let known = listIDs[key.dimensions] {
                dims = known
            } else {
                dims = UInt32(lists.count)
                lists.append(key.dimensions.map { (id($0.name), id($0.value)) })
                listIDs[key.dimensions] = dims
            }
            keyIDs.append((id(key.indicator), id(key.region), dims))
            points += dataset.series[key]?.points.count ?? 0
        }

        var prefix = Buffer()
        prefix.bytes(magic)
        prefix.u32(version)
        prefix.u32(byteOrderMark)
        prefix.bytes(token)
        prefix.i64(submissions)
        prefix.u64(UInt64(keys.count))
        prefix.u64(UInt64(points))
        prefix.u64(0)
        prefix.u32(UInt32(strings.count))
        for s in strings {
            prefix.u32(UInt32(s.utf8.count))
            prefix.bytes(Array(s.utf8))
        }
        prefix.u32(UInt32(lists.count))
        for list in lists {
            prefix.u32(UInt32(list.count))
            for (n, v) in list {
                prefix.u32(n)
                prefix.u32(v)
            }
        }

        try AtomicFile.write(to: path, mode: 0o600, durable: false) { write in
            var offset = UInt64(prefix.data.count)
            write(prefix.data)
            var table = Buffer()
            let chunkCount = (keys.count + seriesPerChunk - 1) / seriesPerChunk
            table.u32(UInt32(chunkCount))
            for c in 0..<chunkCount {
                let range = (c * seriesPerChunk)..<min(keys.count, (c + 1) * seriesPerChunk)
                var chunk = Buffer()
                for i in range {
                    let (ind, reg, dims) = keyIDs[i]
                    let series = dataset.series[keys[i]]?.points ?? []
                    chunk.u32(ind)
                    chunk.u32(reg)
                    chunk.u32(dims)
                    chunk.u32(UInt32(series.count))
                    for p in series {
                        chunk.i64(StoreSchema.code(p.period))
                        chunk.u64(p.value.bitPattern)
                    }
                }
                table.u64(UInt64(range.lowerBound))
                table.u64(UInt64(range.count))
                table.u64(offset)
                table.u64(UInt64(chunk.data.count))
                table.u64(chunk.data.withUnsafeBytes { checksum($0) })
                offset += UInt64(chunk.data.count)
                write(chunk.data)
            }
            var trailer = Buffer()
            trailer.u64(offset)
            trailer.u64(prefix.data.withUnsafeBytes { checksum($0) })
            trailer.u64(table.data.withUnsafeBytes { checksum($0) })
            trailer.bytes(magic)
            write(table.data)
            write(trailer.data)
        }
        try store.setMeta(metaKey, hex(token) + " \(submissions) \(lastSubmission)")
    }

    // MARK: reading

    /// The dataset in the snapshot at `path`, if there is one written for the store as it is now.
    static func load(from path: String, store: Store, catchUpLimit: Int = catchUpLimit) -> Loaded {
        let expected: (token: String, submissions: Int64)
        // The catch-up is read on another thread while the file is parsed.
        let catchUp = PendingRead<[Observation], any Error>()
        let reading = DispatchGroup()
        var behind: Int64 = 0
        do {
            guard let meta = try store.meta(metaKey) else { return .absent }
            let parts = meta.split(separator: " ")
            guard parts.count == 2 || parts.count == 3, let n = Int64(parts[1]) else {
                return .unusable("its entry in the store is '\(meta)'")
            }
            let now = try store.submissionsCounter()
            if now < n {
                return .unusable("written at \(n) submissions, the store has \(now) (restored from an older copy?)")
            }
            if now > n {
                // Written by a warnd that did not record its last submission: it cannot be caught up.
                guard parts.count == 3, let last = Int64(parts[2]) else {
                    return .unusable("written at \(n) submissions, the store has \(now) (data arrived since)")
                }
                let rows = try store.rows(storedAfter: last)
                guard rows <= catchUpLimit else {
                    return .unusable("written at \(n) submissions, the store has \(now): \(rows) rows arrived since, more than \(catchUpLimit) to catch up")
                }
                behind = now - n
                DispatchQueue.global().async(group: reading) {
                    catchUp.set(Result { try store.observations(storedAfter: last) })
                }
            }
            expected = (String(parts[0]), n)
        } catch {
            return .unusable("\(error)")
        }
        // Whatever happens below, the catch-up read ends before this returns (it refers to the store).
        defer { reading.wait() }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            return errno == ENOENT ? .unusable("the file is missing") : .unusable("cannot open it: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size >= headerSize + trailerSize else { return .unusable("the file is too short") }
        let size = Int(st.st_size)
        guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
            return .unusable("cannot map it: \(String(cString: strerror(errno)))")
        }
        defer { munmap(map, size) }
        do {
            let bytes = UnsafeRawBufferPointer(start: map, count: size)
            var dataset = try parse(bytes, token: expected.token, submissions: expected.submissions)
            guard behind > 0 else { return .dataset(dataset, caughtUp: nil) }
            reading.wait()
            let since = try catchUp.take()
            dataset.apply(since)
            return .dataset(dataset, caughtUp: (behind, since.count))
        } catch {
            return .unusable("\(error)")
        }
    }

    /// Parses and checks a whole snapshot (mapped, or read into memory by tests).
    static func parse(_ bytes: UnsafeRawBufferPointer, token: String, submissions: Int64) throws -> Dataset {
        let size = bytes.count
        guard size >= headerSize + trailerSize else { throw fail("the file is too short") }
        var trailer = Reader(bytes, at: size - trailerSize, end: size)
        let tableOffset = Int(clamping: try trailer.u64())
        let prefixSum = try trailer.u64()
        let tableSum = try trailer.u64()
        guard Array(bytes[(size - 8)...]) == magic, Array(bytes[0..<8]) == magic else {
            throw fail("not a complete snapshot (no end mark: cut short?)")
        }
        guard tableOffset >= headerSize, tableOffset <= size - trailerSize else { throw fail("its chunk table is out of place") }
        let tableBytes = UnsafeRawBufferPointer(rebasing: bytes[tableOffset..<(size - trailerSize)])
        guard checksum(tableBytes) == tableSum else { throw fail("its chunk table is damaged") }

        var table = Reader(bytes, at: tableOffset, end: size - trailerSize)
        let chunkCount = Int(try table.u32())
        var chunks: [(first: Int, count: Int, offset: Int, length: Int, sum: UInt64)] = []
        var expectedOffset: Int?
        var expectedFirst = 0
        for _ in 0..<chunkCount {
            let c = (first: Int(clamping: try table.u64()), count: Int(clamping: try table.u64()),
                offset: Int(clamping: try table.u64()), length: Int(clamping: try table.u64()), sum: try table.u64())
            guard c.first == expectedFirst, c.offset == (expectedOffset ?? c.offset), c.offset >= headerSize,
                c.offset <= tableOffset, c.length <= tableOffset - c.offset
            else {
                throw fail("its chunk table does not add up")
            }
            expectedFirst += c.count
            expectedOffset = c.offset + c.length
            chunks.append(c)
        }
        guard (expectedOffset ?? tableOffset) == tableOffset else { throw fail("its chunk table does not add up") }
        // The header, strings and dimension lists end where the first chunk begins: checked before they are read.
        let prefixEnd = chunks.first?.offset ?? tableOffset
        guard checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<prefixEnd])) == prefixSum else {
            throw fail("its header or string table is damaged")
        }

        var header = Reader(bytes, at: 8, end: prefixEnd)
        let v = try header.u32()
        guard v == version else { throw fail("format version \(v), this warnd reads \(version)") }
        guard try header.u32() == byteOrderMark else { throw fail("written with another byte order") }
        let fileToken = hex(Array(bytes[16..<32]))
        header.position = 32
        guard fileToken == token else { throw fail("written for another state of the store (token \(fileToken), the store names \(token))") }
        guard try header.i64() == submissions else { throw fail("its header and the store disagree on the submissions") }
        let seriesCount = Int(clamping: try header.u64())
        let pointCount = Int(clamping: try header.u64())
        _ = try header.u64()

        var strings: [String] = []
        let stringCount = Int(try header.u32())
        strings.reserveCapacity(stringCount)
        for _ in 0..<stringCount {
            let n = Int(try header.u32())
            strings.append(String(decoding: try header.bytes(n), as: UTF8.self))
        }
        var interner = SeriesKey.Interner()
        let stringIDs = strings.map { interner.string($0) }
        var lists: [Int] = []
        let listCount = Int(try header.u32())
        for _ in 0..<listCount {
            let n = Int(try header.u32())
            var map: [String: String] = [:]
            for _ in 0..<n {
                let name = Int(try header.u32())
                let value = Int(try header.u32())
                guard name < strings.count, value < strings.count else { throw fail("a dimension names a string it does not have") }
                map[strings[name]] = strings[value]
            }
            guard map.count == n else { throw fail("a dimension list names one dimension twice") }
            lists.append(interner.dimensions(map))
        }
        guard header.position == prefixEnd, expectedFirst == seriesCount else { throw fail("its parts do not add up") }

        // Each chunk on its own core: checked, then built into keyed series and point counts.
        let built = DatasetReader.Slots<([Series], Dataset.PeriodCounts)>(count: chunks.count)
        let (frozen, shared, chunkList, listIDs) = (interner, Shared(bytes: bytes), chunks, lists)
        DispatchQueue.concurrentPerform(iterations: chunkList.count) { i in
            let c = chunkList[i]
            let bytes = shared.bytes
            built.set(i, Result {
                let region = UnsafeRawBufferPointer(rebasing: bytes[c.offset..<(c.offset + c.length)])
                guard checksum(region) == c.sum else { throw fail("chunk \(i + 1) of \(chunkList.count) is damaged") }
                var r = Reader(bytes, at: c.offset, end: c.offset + c.length)
                var out: [Series] = []
                out.reserveCapacity(c.count)
                var counts = Dataset.PeriodCounts()
                var points: [Series.Point] = []
                for _ in 0..<c.count {
                    let (ind, reg, dims, n) = (Int(try r.u32()), Int(try r.u32()), Int(try r.u32()), Int(try r.u32()))
                    guard ind < stringIDs.count, reg < stringIDs.count, dims < listIDs.count, n > 0 else {
                        throw fail("chunk \(i + 1) names a key it does not have")
                    }
                    points.removeAll(keepingCapacity: true)
                    for _ in 0..<n {
                        guard let period = StoreSchema.period(code: try r.i64()) else { throw fail("chunk \(i + 1) has a bad period") }
                        points.append(Series.Point(period: period, value: Double(bitPattern: try r.u64())))
                    }
                    let series = Series(key: frozen.key(indicator: stringIDs[ind], region: stringIDs[reg],
                        dimensions: listIDs[dims]), points: points)
                    counts.add(series.points)
                    out.append(series)
                }
                guard r.position == r.end else { throw fail("chunk \(i + 1) has bytes after its last series") }
                return (out, counts)
            })
        }
        var ordered: [Series] = []
        ordered.reserveCapacity(seriesCount)
        var counts = Dataset.PeriodCounts()
        var total = 0
        for i in chunks.indices {
            let (series, c) = try built.get(i)
            ordered += series
            counts.merge(c)
            total += series.reduce(0) { $0 + $1.points.count }
        }
        guard total == pointCount else { throw fail("it holds \(total) points, its header says \(pointCount)") }
        // In key order as written (the checksums vouch for that; comparing 900 000 Chinese keys again would cost
        // what the snapshot saves).
        return Dataset(orderedSeries: ordered, counts: counts)
    }

    private static func fail(_ why: String) -> SnapshotError { .unusable(why) }

    /// The mapped file, shared read-only by the chunk tasks (it outlives them: `load` unmaps it after `parse`).
    private struct Shared: @unchecked Sendable {
        let bytes: UnsafeRawBufferPointer
    }

    /// Removes the snapshot (one that is unusable would only take space until the next shutdown replaces it).
    static func remove(at path: String) {
        unlink(path)
    }

    // MARK: parts

    /// A 64-bit checksum, eight bytes at a time: finds a torn or damaged file, at memory speed (a national snapshot
    /// is ≈ 200 MB).
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ UInt64(bytes.count)
        var i = 0
        let n = bytes.count
        while i + 8 <= n {
            let w = bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ w) &* 0x0000_0100_0000_01b3
            h ^= h >> 29
            i += 8
        }
        while i < n {
            h = (h ^ UInt64(bytes[i])) &* 0x0000_0100_0000_01b3
            i += 1
        }
        return h ^ (h >> 32)
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    private struct Buffer {
        var data: [UInt8] = []
        mutating func bytes(_ b: [UInt8]) { data += b }
        mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
        mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
        mutating func i64(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { data += $0 } }
    }

    /// Reads fields in order, never past `end`.
    private struct Reader {
        let base: UnsafeRawBufferPointer
        var position: Int
        let end: Int
        init(_ base: UnsafeRawBufferPointer, at position: Int, end: Int) {
            self.base = base
            self.position = position
            self.end = end
        }
        mutating func take(_ n: Int) throws -> Int {
            guard n >= 0, n <= end - position else { throw SnapshotError.unusable("a field runs past its part of the file") }
            defer { position += n }
            return position
        }
        mutating func u32() throws -> UInt32 { UInt32(littleEndian: base.loadUnaligned(fromByteOffset: try take(4), as: UInt32.self)) }
        mutating func u64() throws -> UInt64 { UInt64(littleEndian: base.loadUnaligned(fromByteOffset: try take(8), as: UInt64.self)) }
        mutating func i64() throws -> Int64 { Int64(littleEndian: base.loadUnaligned(fromByteOffset: try take(8), as: Int64.self)) }
        mutating func bytes(_ n: Int) throws -> UnsafeRawBufferPointer {
            let at = try take(n)
            return UnsafeRawBufferPointer(rebasing: base[at..<(at + n)])
        }
    }
}
