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
        /// The standard hash of the three fields (so canonically equal strings hash equal, as `==` needs).
        let hash: Int

        init(indicator: String, region: String, dimensions: [Dimension]) {
            self.indicator = indicator
            self.region = region
            self.dimensions = dimensions
            var h = Hasher()
            h.combine(indicator)
            h.combine(region)
            h.combine(dimensions)
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
