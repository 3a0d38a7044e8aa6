/// An interning hash table keyed by byte strings, with a payload per distinct key.
///
/// A data file repeats the same few hundred indicator ids, regions, periods and dimension values across millions
/// of rows. Looking each cell up here by its bytes, and doing the expensive work (making a `String`, resolving it
/// against the catalog, parsing a period) only the first time a key is seen, keeps the hot loop free of
/// allocation. Keys live back to back in one arena; the table is open addressing with linear probing.
///
/// The hash is fast rather than collision-resistant: a file crafted to collide only makes its own parse slower.
struct ByteTable<Payload> {
    private var arena: [UInt8] = []
    /// Key `i` occupies `arena[ends[i] - lengths[i] ..< ends[i]]`.
    private var ends: [Int] = []
    private var hashes: [UInt64] = []
    private(set) var payloads: [Payload] = []
    /// Key ids by hash slot, `-1` when empty; the count is a power of two.
    private var slots: [Int32]

    init(capacity: Int = 64) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        slots = [Int32](repeating: -1, count: n)
    }

    var count: Int { payloads.count }

    /// The id of `key`, or `nil` when it has not been inserted.
    @inline(__always)
    func find(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int32? {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        return slots.withUnsafeBufferPointer { slots in
            arena.withUnsafeBufferPointer { arena in
                while true {
                    let id = slots[slot]
                    if id < 0 { return nil }
                    let i = Int(id)
                    if hashes[i] == hash {
                        let end = ends[i]
                        let start = i == 0 ? 0 : ends[i - 1]
                        if end - start == key.count, equalBytes(arena.baseAddress, start, key) { return id }
                    }
                    slot = (slot + 1) & mask
                }
            }
        }
    }

    /// Adds a key that `find` did not find, and returns its id.
    @discardableResult
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64, payload: Payload) -> Int32 {
        if (payloads.count + 1) * 2 > slots.count { grow() }
        let id = Int32(payloads.count)
        arena.append(contentsOf: key)
        ends.append(arena.count)
        hashes.append(hash)
        payloads.append(payload)
        place(id, hash: hash)
        return id
    }

    /// The id of `key`, inserting it with the payload `make` returns when it is new.
    @inline(__always)
    mutating func intern(_ key: UnsafeBufferPointer<UInt8>, _ make: () -> Payload) -> Int32 {
        let hash = byteHash(key)
        if let id = find(key, hash: hash) { return id }
        return insert(key, hash: hash, payload: make())
    }

    /// The bytes of key `id`.
    func key(_ id: Int32) -> ArraySlice<UInt8> {
        let i = Int(id)
        return arena[(i == 0 ? 0 : ends[i - 1])..<ends[i]]
    }

    mutating func setPayload(_ payload: Payload, for id: Int32) {
        payloads[Int(id)] = payload
    }

    private mutating func place(_ id: Int32, hash: UInt64) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] >= 0 { slot = (slot + 1) & mask }
        slots[slot] = id
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        for i in 0..<hashes.count { place(Int32(i), hash: hashes[i]) }
    }
}

/// Whether `key` equals the `key.count` bytes at `base + start`, comparing eight bytes at a time: keys are short,
/// and a call to `memcmp` costs more than the comparison.
@inline(__always)
private func equalBytes(_ base: UnsafePointer<UInt8>?, _ start: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
    let n = key.count
    guard n > 0, let base, let other = key.baseAddress else { return true }
    let a = UnsafeRawPointer(base + start)
    let b = UnsafeRawPointer(other)
    var i = 0
    while i + 8 <= n {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
            return false
        }
        i += 8
    }
    while i < n {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}

/// A 64-bit hash of `bytes` for ``ByteTable``, eight bytes at a time.
@inline(__always)
func byteHash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
    guard let base = bytes.baseAddress else { return mix(h) }
    let raw = UnsafeRawPointer(base)
    var i = 0
    let n = bytes.count
    while i + 8 <= n {
        let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        h = (h ^ w) &* 0xFF51_AFD7_ED55_8CCD
        h = (h << 31) | (h >> 33)
        i += 8
    }
    var tail: UInt64 = 0
    var shift: UInt64 = 0
    while i < n {
        tail |= UInt64(base[i]) << shift
        shift += 8
        i += 1
    }
    h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
    return mix(h)
}

@inline(__always)
private func mix(_ x: UInt64) -> UInt64 {
    var h = x
    h ^= h >> 33
    h = h &* 0xFF51_AFD7_ED55_8CCD
    h ^= h >> 33
    return h
}
