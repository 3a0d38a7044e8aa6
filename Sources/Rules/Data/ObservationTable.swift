/// A file's observations in columns: each distinct series key and free text once, and per row only small integers
/// and the value.
///
/// An `Observation` carries its `SeriesKey` (two strings and the dimensions), its source, note and file name: building
/// one per row retains half a dozen references and makes the parser spend more on allocation and reference counting
/// than on reading. The store and bulk import work from this table instead; ``observations`` builds the per-row
/// values for callers that want them.
public struct ObservationTable: Sendable {
    /// One valid row: indices into ``keys`` and ``texts`` (`-1` for no text), the period, the value (`nil`: not
    /// reported) and the line it was read from.
    public struct Row: Sendable, Hashable {
        public var series: Int32
        public var line: Int32
        public var source: Int32
        public var note: Int32
        public var period: Period
        public var value: Double?

        public init(series: Int32, period: Period, value: Double?, line: Int32, source: Int32 = -1, note: Int32 = -1) {
            self.series = series
            self.period = period
            self.value = value
            self.line = line
            self.source = source
            self.note = note
        }
    }

    /// The file the rows were read from (what ``observations`` cite as their location); empty when unknown.
    public var file: String
    /// Distinct series keys; a row's `series` indexes this.
    public var keys: [SeriesKey]
    /// Distinct texts (sources, notes, and whatever else the parser interned); a row's `source`/`note` index this.
    public var texts: [String]
    public var rows: [Row]
    /// Whether the rows carry a line (read from a file) or not (built from observations without a location).
    public var hasLines: Bool
    /// Whether no two rows have the same series and period (true for a parsed file: the parser drops identical
    /// repeats and refuses conflicting ones), which lets the store insert rows of a new series in batches.
    public var distinctRows: Bool

    public init(
        file: String = "", keys: [SeriesKey] = [], texts: [String] = [], rows: [Row] = [], hasLines: Bool = true,
        distinctRows: Bool = false
    ) {
        self.file = file
        self.keys = keys
        self.texts = texts
        self.rows = rows
        self.hasLines = hasLines
        self.distinctRows = distinctRows
    }

    /// The table of observations built some other way (tests, callers with their own values); keys and texts are
    /// interned, locations kept by line (their file must be the same for all, or it is dropped).
    public init(_ observations: [Observation]) {
        var keyIndex: [SeriesKey: Int32] = [:]
        var textIndex: [String: Int32] = [:]
        var keys: [SeriesKey] = []
        var texts: [String] = []
        var rows: [Row] = []
        rows.reserveCapacity(observations.count)
        func text(_ s: String?) -> Int32 {
            guard let s else { return -1 }
            if let i = textIndex[s] { return i }
            texts.append(s)
            textIndex[s] = Int32(texts.count - 1)
            return Int32(texts.count - 1)
        }
        var file: String?
        var hasLines = !observations.isEmpty
        var seen = Set<Slot>()
        var distinct = true
        for o in observations {
            let series: Int32
            if let i = keyIndex[o.key] {
                series = i
            } else {
                keys.append(o.key)
                series = Int32(keys.count - 1)
                keyIndex[o.key] = series
            }
            if let location = o.location {
                if file == nil { file = location.file }
            } else {
                hasLines = false
            }
            if distinct, !seen.insert(Slot(series: series, period: o.period)).inserted { distinct = false }
            rows.append(Row(series: series, period: o.period, value: o.value, line: Int32(clamping: o.location?.line ?? 0),
                source: text(o.source), note: text(o.note)))
        }
        self.init(file: file ?? "", keys: keys, texts: texts, rows: rows, hasLines: hasLines, distinctRows: distinct)
    }

    private struct Slot: Hashable {
        var series: Int32
        var period: Period
    }

    public var count: Int { rows.count }

    public func text(_ id: Int32) -> String? { id >= 0 ? texts[Int(id)] : nil }

    /// One `Observation` per row, in file order.
    public var observations: [Observation] {
        rows.map { r in
            Observation(
                key: keys[Int(r.series)], period: r.period, value: r.value, source: text(r.source), note: text(r.note),
                location: hasLines ? SourceLocation(file: file, line: Int(r.line), column: 1) : nil
            )
        }
    }
}
