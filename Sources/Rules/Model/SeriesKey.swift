/// The identity of one series: an indicator in a region, broken down by dimension values (e.g. `area=农村`).
public struct SeriesKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var indicator: String
    public var region: String
    /// Dimension labels, sorted by name so that equal keys compare equal whatever order a file gave them in.
    public private(set) var dimensions: [Dimension]

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
        self.indicator = indicator
        self.region = region
        self.dimensions = dimensions.map { Dimension(name: $0.key, value: $0.value) }.sorted()
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
