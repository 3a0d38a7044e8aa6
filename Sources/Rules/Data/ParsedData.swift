/// Everything read from one data file: the observations, every problem found, and how the file was read.
///
/// Parsing never stops at the first problem, because a statistician fixing a file wants the whole list at once;
/// a file with any error must be rejected whole by the caller, so ``observations`` of such a file are only
/// informative.
public struct ParsedData: Sendable {
    /// The valid rows in columns (what the store and bulk import use); an identical repeated row is kept once.
    public var table: ObservationTable
    /// The observations of the valid rows, in file order, built from ``table`` on each access.
    public var observations: [Observation] {
        get { table.observations }
        set { table = ObservationTable(newValue) }
    }
    /// Every problem, ordered by position, capped by the parser's `maxErrors` (plus one final error that says how
    /// many more were suppressed).
    public var errors: [DataError]
    /// `utf-8` or `gb18030`; `unknown` when the file could not be decoded at all (see ``errors``).
    public var encoding: String
    public var format: DataFormat
    /// Data rows read (non-blank lines after the CSV header), including rows that had errors.
    public var rowCount: Int

    public init(
        observations: [Observation] = [], errors: [DataError] = [], encoding: String, format: DataFormat,
        rowCount: Int = 0
    ) {
        self.table = ObservationTable(observations)
        self.errors = errors
        self.encoding = encoding
        self.format = format
        self.rowCount = rowCount
    }

    public init(table: ObservationTable, errors: [DataError], encoding: String, format: DataFormat, rowCount: Int) {
        self.table = table
        self.errors = errors
        self.encoding = encoding
        self.format = format
        self.rowCount = rowCount
    }

    /// Whether the file can be accepted.
    public var isValid: Bool { errors.isEmpty }
}
