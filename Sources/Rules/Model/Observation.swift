/// One reported value of one series for one period, with where it came from.
public struct Observation: Hashable, Sendable {
    public var key: SeriesKey
    public var period: Period
    /// `nil` when the cell was empty: "not reported", which is not the same as zero.
    public var value: Double?
    /// Free metadata columns (`source`, `note`), kept with the value but never part of its identity.
    public var source: String?
    public var note: String?
    /// The file and line the value was read from.
    public var location: SourceLocation?

    public init(
        key: SeriesKey, period: Period, value: Double?, source: String? = nil, note: String? = nil,
        location: SourceLocation? = nil
    ) {
        self.key = key
        self.period = period
        self.value = value
        self.source = source
        self.note = note
        self.location = location
    }
}
