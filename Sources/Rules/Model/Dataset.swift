/// All series known to an evaluation, by key.
///
/// Observations are applied in order, so a later file's value for the same series and period replaces an earlier
/// one; that is how revisions work everywhere (the CLI reading files, the daemon reading its store).
public struct Dataset: Sendable {
    public private(set) var series: [SeriesKey: Series] = [:]
    /// Series keys by indicator, so a rule finds its series without scanning everything.
    public private(set) var byIndicator: [String: Set<SeriesKey>] = [:]

    public init() {}

    public init(_ observations: some Sequence<Observation>) {
        for o in observations { apply(o) }
    }

    public mutating func apply(_ o: Observation) {
        if series[o.key] == nil {
            guard o.value != nil else { return }
            series[o.key] = Series(key: o.key)
            byIndicator[o.key.indicator, default: []].insert(o.key)
        }
        series[o.key]!.set(o.value, at: o.period)
    }

    public mutating func apply(_ observations: some Sequence<Observation>) {
        for o in observations { apply(o) }
    }

    public func series(of indicator: String) -> [Series] {
        (byIndicator[indicator] ?? []).sorted().compactMap { series[$0] }
    }

    public var count: Int { series.count }

    /// Every distinct period that has a value in any series, ascending.
    public var periods: [Period] {
        var set = Set<Period>()
        for s in series.values { for p in s.points { set.insert(p.period) } }
        return set.sorted()
    }
}
