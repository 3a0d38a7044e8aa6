/// The identity of one series: an indicator in a region, broken down by dimension values (e.g. `area=农村`).
///
/// Backed by one immutable class instance holding the fields and their hash, computed once: a national dataset has
/// ≈ 900 000 keys, each stored in several places, and every evaluation and every applied observation looks series
/// up by key. A copy is one retain instead of three, hashing is one integer instead of strings (Chinese ones take
/// the slow normalising path), and a key compared with its own copy is equal by identity.
public struct SeriesKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    private final class Storage: Sendable {
        let indicator: String
        let region: String
        let dimensions: [Dimension]
        /// A hash of the three fields' standard hashes (so canonically equal strings hash equal, as `==` needs).
        /// Built from the fields' own hashes rather than their contents so that an ``Interner``, which hashes each
        /// distinct string once, can give 900 000 keys their hash without hashing their (Chinese) strings again.
        let hash: Int

        convenience init(indicator: String, region: String, dimensions: [Dimension]) {
            self.init(indicator: indicator, region: region, dimensions: dimensions,
                hashes: (indicator.hashValue, region.hashValue, dimensions.hashValue))
        }

        init(indicator: String, region: String, dimensions: [Dimension], hashes: (Int, Int, Int)) {
            self.indicator = indicator
            self.region = region
            self.dimensions = dimensions
            var h = Hasher()
            h.combine(hashes.0)
            h.combine(hashes.1)
            h.combine(hashes.2)
            hash = h.finalize()
        }
    }

    private var storage: Storage

    public var indicator: String {
        get { storage.indicator }
        set { storage = Storage(indicator: newValue, region: storage.region, dimensions: storage.dimensions) }
    }
    public var region: String {
        get { storage.region }
        set { storage = Storage(indicator: storage.indicator, region: newValue, dimensions: storage.dimensions) }
    }
    /// Dimension labels, sorted by name so that equal keys compare equal whatever order a file gave them in.
    public var dimensions: [Dimension] { storage.dimensions }

    public static func == (a: SeriesKey, b: SeriesKey) -> Bool {
        if a.storage === b.storage { return true }
        let x = a.storage, y = b.storage
        return x.hash == y.hash && x.indicator == y.indicator && x.region == y.region && x.dimensions == y.dimensions
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.hash)
    }

    /// Whether both are the one shared object, not only equal: what holding each key once (rather than an equal
    /// copy per holder) is checked by.
    public func isSameInstance(as other: SeriesKey) -> Bool {
        storage === other.storage
    }

    public struct Dimension: Hashable, Sendable, Comparable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
        public static func < (a: Dimension, b: Dimension) -> Bool {
            (a.name, a.value) < (b.name, b.value)
        }
    }

    public init(indicator: String, region: String, dimensions: [String: String] = [:]) {
        storage = Storage(indicator: indicator, region: region,
            dimensions: dimensions.map { Dimension(name: $0.key, value: $0.value) }.sorted())
    }

    public func value(of dimension: String) -> String? {
        dimensions.first { $0.name == dimension }?.value
    }

    public var dimensionMap: [String: String] {
        Dictionary(uniqueKeysWithValues: dimensions.map { ($0.name, $0.value) })
    }

    /// `indicator{region=…,area=…}`, the spelling used in test files and explanations.
    public var description: String {
        let dims = dimensions.map { ",\($0.name)=\($0.value)" }.joined()
        return "\(indicator){region=\(region)\(dims)}"
    }

    /// The same key without one dimension, used to pair the two sides of a `gap` rule.
    public func removing(dimension: String) -> SeriesKey {
        var d = dimensionMap
        d[dimension] = nil
        return SeriesKey(indicator: indicator, region: region, dimensions: d)
    }

    public static func < (a: SeriesKey, b: SeriesKey) -> Bool {
        if a.indicator != b.indicator { return a.indicator < b.indicator }
        if a.region != b.region { return a.region < b.region }
        return a.dimensions.lexicographicallyPrecedes(b.dimensions)
    }
}

extension SeriesKey {
    /// Makes keys that share their repeated parts: each distinct indicator, region and dimension list is stored (and
    /// hashed) once, however many keys use it.
    ///
    /// A national store has ≈ 900 000 keys over a few hundred indicators, a few thousand regions and a handful of
    /// dimension lists; built one by one, every key carried its own copies (an indicator id longer than 15 bytes is
    /// a heap string, a dimension list a heap array) and hashed its strings. Shared strings also compare equal by
    /// identity, without reading their bytes. Values are referred to by the small integers ``string(_:)`` and
    /// ``dimensions(_:)`` return; the keys made are ordinary keys, equal to ones made by ``init(indicator:region:dimensions:)``.
    public struct Interner: Sendable {
        private var stringIDs: [String: Int] = [:]
        /// The distinct strings, by id.
        public private(set) var strings: [String] = []
        private var stringHashes: [Int] = []
        private var dimensionIDs: [[Dimension]: Int] = [:]
        /// The distinct dimension lists (each sorted by name), by id.
        public private(set) var dimensionLists: [[Dimension]] = []
        private var dimensionHashes: [Int] = []

        public init() {}

        /// The id of `s`, adding it when it is new.
        public mutating func string(_ s: String) -> Int {
            if let id = stringIDs[s] { return id }
            let id = strings.count
            strings.append(s)
            stringHashes.append(s.hashValue)
            stringIDs[s] = id
            return id
        }

        /// The id of a dimension list (given as name → value), adding it when it is new.
        public mutating func dimensions(_ map: [String: String]) -> Int {
            let list = map.map { Dimension(name: strings[string($0.key)], value: strings[string($0.value)]) }.sorted()
            if let id = dimensionIDs[list] { return id }
            let id = dimensionLists.count
            dimensionLists.append(list)
            dimensionHashes.append(list.hashValue)
            dimensionIDs[list] = id
            return id
        }

        /// A key from ids this interner returned. Take the ids first (`let i = interner.string(…)`): an id made in
        /// this call's own arguments is added to a copy, after `self` was already read.
        public func key(indicator: Int, region: Int, dimensions: Int) -> SeriesKey {
            SeriesKey(storage: Storage(indicator: strings[indicator], region: strings[region],
                dimensions: dimensionLists[dimensions],
                hashes: (stringHashes[indicator], stringHashes[region], dimensionHashes[dimensions])))
        }
    }

    private init(storage: Storage) {
        self.storage = storage
    }
}
