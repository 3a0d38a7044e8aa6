/// All series known to an evaluation, by key.
///
/// Observations are applied in order, so a later file's value for the same series and period replaces an earlier
/// one; that is how revisions work everywhere (the CLI reading files, the daemon reading its store).
///
/// Besides the series it keeps, maintained on every ``apply(_:)-7nq0n`` rather than rebuilt per evaluation, the keys
/// by indicator and region (sorted), which is how the evaluator finds a rule's series in a region, and how many
/// points each period has, which gives ``latestPeriod`` and ``periods`` without walking every point: the daemon
/// asks for them after every submission, and at national scale (≈ 10 M points, issue 4) a walk costs more than the
/// submission.
public struct Dataset: Sendable {
    public private(set) var series: [SeriesKey: Series] = [:]
    /// indicator → region → the keys of that indicator in that region, in ``SeriesKey`` order.
    private var index: [String: [String: [SeriesKey]]] = [:]
    /// How many series have a value for each period, in period order.
    private var pointsPerPeriod: [(period: Period, count: Int)] = []
    /// The greatest period with a value in any series; `nil` when there is none.
    public private(set) var latestPeriod: Period?

    public init() {}

    public init(_ observations: some Sequence<Observation>) {
        for o in observations { apply(o) }
    }

    public mutating func apply(_ o: Observation) {
        _ = apply(o, at: nil)
    }

    /// Files list a series' periods one after another: the dictionary slot of the previous observation's series is
    /// reused while the key stays the same, which spares hashing the key (strings, often Chinese) per observation.
    public mutating func apply(_ observations: some Sequence<Observation>) {
        var last: (key: SeriesKey, slot: [SeriesKey: Series].Index)?
        for o in observations {
            if let l = last, l.key == o.key {
                _ = apply(o, at: l.slot)
            } else {
                last = apply(o, at: nil).map { (o.key, $0) }
            }
        }
    }

    /// Applies one observation, at the series' known dictionary slot if given; returns the slot (`nil` when the
    /// observation created nothing).
    private mutating func apply(_ o: Observation, at known: [SeriesKey: Series].Index?) -> [SeriesKey: Series].Index? {
        let change: Series.Change
        var slot = known ?? series.index(forKey: o.key)
        if let i = slot {
            change = series.values[i].set(o.value, at: o.period)
        } else {
            guard o.value != nil else { return nil }
            var s = Series(key: o.key)
            change = s.set(o.value, at: o.period)
            series[o.key] = s
            insertIntoIndex(o.key)
            slot = series.index(forKey: o.key)
        }
        switch change {
        case .inserted: countPoint(o.period, by: 1)
        case .removed: countPoint(o.period, by: -1)
        case .replaced, .none: break
        }
        return slot
    }

    /// Adds a whole series at once, replacing any series of the same key: one hash per series instead of one per
    /// point, which is how the daemon loads its store at start-up (at national scale, ≈ 12 M points, applying them
    /// one by one spent most of the start-up hashing keys).
    public mutating func insert(_ new: Series) {
        if let old = series[new.key] {
            for p in old.points { countPoint(p.period, by: -1) }
        } else {
            guard !new.points.isEmpty else { return }
            insertIntoIndex(new.key)
        }
        // Like a revision to "not reported", an empty series keeps its key.
        series[new.key] = new
        for p in new.points { countPoint(p.period, by: 1) }
    }

    /// Builds a dataset from whole series given in ascending ``SeriesKey`` order, each key once, with the point
    /// counts of exactly those series: how the store is loaded on several cores (each core reads and counts its share,
    /// then the shares are merged in key order). Equal to inserting the series one by one, but the index is built
    /// by appending runs of keys instead of a sorted insertion per key, and points are counted by a merge walk
    /// instead of a search per point. Series without points are left out, as ``insert(_:)`` does.
    public init(orderedSeries: [Series], counts: PeriodCounts) {
        series.reserveCapacity(orderedSeries.count)
        var regions: [String: [SeriesKey]] = [:]
        var run: [SeriesKey] = []
        var previous: SeriesKey?
        func closeRun() {
            guard let p = previous, !run.isEmpty else { return }
            regions[p.region] = run
            run.removeAll()
        }
        for s in orderedSeries where !s.points.isEmpty {
            if let p = previous {
                assert(p < s.key, "orderedSeries: \(p) before \(s.key) is not ascending")
                if p.indicator != s.key.indicator {
                    closeRun()
                    index[p.indicator] = regions
                    regions = [:]
                } else if p.region != s.key.region {
                    closeRun()
                }
            }
            series[s.key] = s
            run.append(s.key)
            previous = s.key
        }
        closeRun()
        if let p = previous { index[p.indicator] = regions }
        pointsPerPeriod = counts.counts
        latestPeriod = pointsPerPeriod.last?.period
    }

    /// How many points each period has over some series, kept in period order: built beside the series handed to
    /// ``init(orderedSeries:counts:)``, in parts that are then merged.
    public struct PeriodCounts: Sendable {
        fileprivate private(set) var counts: [(period: Period, count: Int)] = []

        public init() {}

        /// Counts the points of one series (in period order, as a ``Series`` keeps them): one walk beside the
        /// counts, since most series have the same few periods.
        public mutating func add(_ points: [Series.Point]) {
            var c = 0
            for p in points {
                while c < counts.count, counts[c].period < p.period { c += 1 }
                if c < counts.count, counts[c].period == p.period {
                    counts[c].count += 1
                } else {
                    counts.insert((p.period, 1), at: c)
                }
                c += 1
            }
        }

        /// Adds another part's counts.
        public mutating func merge(_ other: PeriodCounts) {
            var c = 0
            for (period, n) in other.counts {
                while c < counts.count, counts[c].period < period { c += 1 }
                if c < counts.count, counts[c].period == period {
                    counts[c].count += n
                } else {
                    counts.insert((period, n), at: c)
                }
                c += 1
            }
        }
    }

    /// Makes room for `count` series, so that a bulk load does not regrow the table.
    public mutating func reserveCapacity(_ count: Int) {
        series.reserveCapacity(count)
    }

    private mutating func insertIntoIndex(_ key: SeriesKey) {
        // In place: copying the region's array out and back made every insertion copy it.
        index[key.indicator, default: [:]][key.region, default: []].insertSorted(key)
    }

    /// A binary search over a sorted array rather than a hash per observation: there are few periods.
    private mutating func countPoint(_ period: Period, by delta: Int) {
        var lo = 0
        var hi = pointsPerPeriod.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if pointsPerPeriod[mid].period < period { lo = mid + 1 } else { hi = mid }
        }
        if lo < pointsPerPeriod.count, pointsPerPeriod[lo].period == period {
            pointsPerPeriod[lo].count += delta
            if pointsPerPeriod[lo].count == 0 { pointsPerPeriod.remove(at: lo) }
        } else if delta > 0 {
            pointsPerPeriod.insert((period, delta), at: lo)
        }
        latestPeriod = pointsPerPeriod.last?.period
    }

    public func series(of indicator: String) -> [Series] {
        (index[indicator] ?? [:]).values.joined().sorted().compactMap { series[$0] }
    }

    /// The keys of an indicator's series by region, each region's in ``SeriesKey`` order.
    public func keys(of indicator: String) -> [String: [SeriesKey]] { index[indicator] ?? [:] }

    /// The keys of an indicator's series in one region, in ``SeriesKey`` order.
    public func keys(of indicator: String, in region: String) -> [SeriesKey] { index[indicator]?[region] ?? [] }

    public var count: Int { series.count }

    /// The keys of every series with points, in ``SeriesKey`` order: read off the index (each region's keys are
    /// kept sorted), so only the few hundred indicators and few thousand regions are sorted, not 900 000 keys.
    public var orderedKeys: [SeriesKey] {
        var out: [SeriesKey] = []
        out.reserveCapacity(series.count)
        for indicator in index.keys.sorted() {
            let regions = index[indicator] ?? [:]
            for region in regions.keys.sorted() {
                for key in regions[region] ?? [] where series[key]?.points.isEmpty == false { out.append(key) }
            }
        }
        return out
    }

    /// Every distinct period that has a value in any series, ascending.
    public var periods: [Period] { pointsPerPeriod.map(\.period) }
}

extension Array where Element == SeriesKey {
    /// Inserts a key keeping the array in ``SeriesKey`` order.
    fileprivate mutating func insertSorted(_ key: SeriesKey) {
        var lo = 0
        var hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid] < key { lo = mid + 1 } else { hi = mid }
        }
        insert(key, at: lo)
    }
}
