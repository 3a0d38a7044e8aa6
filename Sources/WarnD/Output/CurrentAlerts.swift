import Rules

/// Every pending or firing alert, kept per region so that a submission changes only the regions it touched.
///
/// A value: the daemon owns one and hands copies to the file writer. Copying costs one reference per region.
struct CurrentAlerts: Sendable {
    /// By region; a region whose alerts all went away keeps an empty entry, so that its file is emptied too.
    private(set) var regions: [String: RegionAlerts] = [:]
    private(set) var counts = AlertJSON.Counts()

    var count: Int { counts.critical + counts.warning + counts.info + counts.pending }

    /// The positions in `sorted` (every alert of a full evaluation, in ``Alert/ordered(_:_:)`` order) of each
    /// region's alerts, in the order given. Pure, so that the daemon can run it on another core while the alert
    /// state is recorded (at national scale each takes ≈ 0.6 s of a restart).
    ///
    /// Positions, not copies of the alerts: ``replaceAll(_:positions:)`` copies a region's alerts only to compare
    /// them with its current ones and, when they differ, to replace them. Grouped into copies up front, every alert
    /// of a reload was held three times at its peak (current, evaluated, grouped): ≈ 80 MB more at national scale.
    /// Each region's list is made at its exact size (counted first).
    static func positions(_ sorted: [Alert]) -> [String: [Int32]] {
        var counts: [String: Int] = [:]
        for a in sorted { counts[a.key.region, default: 0] += 1 }
        var byRegion: [String: [Int32]] = [:]
        byRegion.reserveCapacity(counts.count)
        for (region, n) in counts {
            var list: [Int32] = []
            list.reserveCapacity(n)
            byRegion[region] = list
        }
        for (i, a) in sorted.enumerated() { byRegion[a.key.region]!.append(Int32(i)) }
        return byRegion
    }

    /// After a full evaluation: `alerts`, grouped by ``positions(_:)``, become the current alerts. Returns the
    /// regions whose alerts changed; an unchanged region keeps its bucket (so its file is not written again).
    ///
    /// Region by region, in place: an unchanged region's new list is dropped as soon as it is compared, and a
    /// changed region's old bucket as soon as it is replaced, so a reload that changes little holds little beside
    /// the current alerts and the evaluated ones.
    @discardableResult
    mutating func replaceAll(_ alerts: [Alert], positions byRegion: [String: [Int32]]) -> [RegionAlerts] {
        var changed: [RegionAlerts] = []
        for (region, positions) in byRegion {
            let list = positions.map { alerts[Int($0)] }
            if let old = regions[region], old.alerts == list { continue }
            let bucket = RegionAlerts(region: region, sortedAlerts: list)
            regions[region] = bucket
            changed.append(bucket)
        }
        let vanished = regions.filter { byRegion[$0.key] == nil && !$0.value.alerts.isEmpty }.map(\.key)
        for region in vanished {
            let empty = RegionAlerts(region: region, sortedAlerts: [])
            regions[region] = empty
            changed.append(empty)
        }
        counts = regions.values.reduce(AlertJSON.Counts()) { $0 + $1.counts }
        return changed
    }

    /// After an incremental evaluation: every alert id in `evaluated` (by region) was judged again, and `alerts`
    /// are those that now hold. Returns the regions whose alerts changed.
    @discardableResult
    mutating func update(evaluated: [String: Set<String>], alerts: [Alert]) -> [RegionAlerts] {
        var added: [String: [Alert]] = [:]
        for a in alerts { added[a.key.region, default: []].append(a) }
        var changed: [RegionAlerts] = []
        for region in Set(evaluated.keys).union(added.keys) {
            let old = regions[region]
            let judged = evaluated[region] ?? []
            var list = (old?.alerts ?? []).filter { !judged.contains($0.id) }
            let fresh = added[region] ?? []
            let freshIDs = Set(fresh.map(\.id))
            list.removeAll { freshIDs.contains($0.id) }
            list += fresh
            list.sort(by: Alert.ordered)
            if let old, old.alerts == list { continue }
            if old == nil && list.isEmpty { continue }
            let bucket = RegionAlerts(region: region, sortedAlerts: list)
            if let old { counts = counts - old.counts }
            counts = counts + bucket.counts
            regions[region] = bucket
            changed.append(bucket)
        }
        return changed
    }

    /// Every alert in ``Alert/ordered(_:_:)`` order: a k-way merge of the sorted regions. `body` is also given the
    /// alert's position in `lists` (the regions' lists, as passed to `prepare`).
    func forEachInOrder(prepare: ([[Alert]]) -> Void = { _ in }, _ body: (Alert, _ list: Int, _ index: Int) -> Void) {
        let buckets = regions.values.filter { !$0.alerts.isEmpty }
        prepare(buckets.map(\.alerts))
        // A binary min-heap of (bucket, position).
        var heap: [(b: Int, i: Int)] = buckets.indices.map { ($0, 0) }
        func less(_ x: (b: Int, i: Int), _ y: (b: Int, i: Int)) -> Bool {
            Alert.ordered(buckets[x.b].alerts[x.i], buckets[y.b].alerts[y.i])
        }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count, less(heap[l], heap[m]) { m = l }
                if r < heap.count, less(heap[r], heap[m]) { m = r }
                if m == i { return }
                heap.swapAt(i, m)
                i = m
            }
        }
        for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
        while let top = heap.first {
            body(buckets[top.b].alerts[top.i], top.b, top.i)
            if top.i + 1 < buckets[top.b].alerts.count {
                heap[0].i += 1
            } else {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
            }
            if !heap.isEmpty { siftDown(0) }
        }
    }
}
