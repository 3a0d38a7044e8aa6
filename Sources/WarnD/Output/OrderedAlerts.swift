import Rules

/// Every current alert in ``Alert/ordered(_:_:)`` order, as positions in the regions' own sorted lists.
///
/// What `report.md` is rendered from after `active.json` is streamed: 8 bytes an alert instead of a copy of each
/// `Alert` (at national scale those copies were hundreds of MB for the length of a rewrite).
struct OrderedAlerts: RandomAccessCollection {
    private let buckets: [[Alert]]
    private var order: [(bucket: UInt32, index: UInt32)] = []

    init(buckets: [[Alert]]) {
        self.buckets = buckets
    }

    /// A list already in order.
    init(_ sorted: [Alert]) {
        buckets = [sorted]
        order = sorted.indices.map { (0, UInt32($0)) }
    }

    /// Appends the position of the next alert in order (`bucket` indexes the list given at `init`).
    mutating func append(bucket: Int, index: Int) {
        order.append((UInt32(bucket), UInt32(index)))
    }

    mutating func reserveCapacity(_ n: Int) { order.reserveCapacity(n) }

    var startIndex: Int { 0 }
    var endIndex: Int { order.count }
    subscript(i: Int) -> Alert {
        let p = order[i]
        return buckets[Int(p.bucket)][Int(p.index)]
    }
}
