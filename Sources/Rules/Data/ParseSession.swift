/// The state shared by the CSV and JSON Lines readers while one file is parsed: resolving cells, building
/// observations, spotting conflicting duplicates and collecting errors.
///
/// Both formats reduce a row to the same cells, so the meaning of a cell (what an indicator, region, period or value
/// must look like, and every message about it) lives here once. Each distinct cell text is resolved the first time
/// it is seen and remembered by its bytes (``ByteTable``), which is what makes millions of rows a second possible.
/// Positions are worked out only for errors, from the start of the current row.
struct ParseSession {
    let catalog: IndicatorCatalog
    let regions: Set<String>?
    let file: String
    let text: UnsafeBufferPointer<UInt8>

    private(set) var rows: [ObservationTable.Row] = []
    /// Data rows read, including rows with errors.
    var rowCount = 0

    /// How a row's dimensions are given: one value per CSV dimension column (by header name id, `-1` for an
    /// empty cell), or name/value pairs from a JSON object.
    enum DimensionLayout {
        case columns([Int32])
        case pairs
    }

    var layout = DimensionLayout.pairs
    /// The current row's dimension value ids, one per column of ``DimensionLayout/columns(_:)``, set by the reader
    /// for every row.
    var dimensionValues: [Int32] = []
    /// The current row's dimension name and value ids, for ``DimensionLayout/pairs``.
    var dimensionPairs: [(name: Int32, value: Int32)] = []

    private var rowStart = 0
    private var rowLine = 1
    /// Whether the current row had an error, in which case it yields no observation.
    private(set) var rowFailed = false
    private var pending: [DataError] = []
    private var sink: ErrorSink

    // The tables' payloads are plain integers so that the per-row lookups copy nothing reference-counted: a
    // payload `p >= 0` is a valid entry, `p < 0` an invalid one whose message is `messages[-1 - p]`.
    private var messages: [String] = []
    /// Payload: index in ``indicators``.
    private var indicatorTable = ByteTable<Int32>()
    private var indicators: [Indicator] = []
    /// What ``value(_:at:indicator:)`` checks, per entry of ``indicators``, without copying an `Indicator` (and
    /// retaining its strings) for every row.
    private var checks: [(percent: Bool, bounds: ClosedRange<Double>?)] = []
    /// Payload: index in ``regionNames``.
    private var regionTable = ByteTable<Int32>()
    private var regionNames: [String] = []
    /// Payload: text id of the lower-cased name.
    private var dimensionNameTable = ByteTable<Int32>()
    private var periodTable = ByteTable<Period?>()
    private var textTable = ByteTable<String>(capacity: 256)
    private var seriesTable = ByteTable<Int32>(capacity: 1024)
    private var seriesKeys: [SeriesKey] = []
    /// The periods each series has had so far, to find a second row for the same series and period.
    private var seen = SeriesPeriodSet()
    /// Observation index by series and period; built on the first repeated series and period, then kept up.
    private var earlier: [UInt64: Int32]?
    /// The current row's series key as bytes: indicator, region and dimension ids, four bytes each.
    private var keyBytes = [UInt8](repeating: 0, count: 64)

    init(
        catalog: IndicatorCatalog, regions: Set<String>?, file: String, text: UnsafeBufferPointer<UInt8>,
        maxErrors: Int
    ) {
        self.catalog = catalog
        self.regions = regions
        self.file = file
        self.text = text
        self.sink = ErrorSink(limit: maxErrors > 0 ? maxErrors : Int.max)
        // Rows are rarely shorter than 48 bytes; reserving saves regrowing the big arrays, and the cap keeps a huge
        // file from reserving more than it needs up front.
        let expectedRows = min(text.count / 48, 1 << 21)
        rows.reserveCapacity(expectedRows)
    }

    // MARK: Rows and errors

    mutating func beginRow(at start: Int, line: Int) {
        rowStart = start
        rowLine = line
        rowFailed = false
        if !dimensionPairs.isEmpty { dimensionPairs.removeAll(keepingCapacity: true) }
    }

    /// Reports a problem at byte `offset`, which must lie in the current row.
    mutating func error(at offset: Int, _ message: String) {
        let location = TextPosition.locate(offset, in: text, from: rowStart, line: rowLine, file: file)
        pending.append(DataError(location: location, message: message))
        rowFailed = true
    }

    /// Reports an error found outside the rows, such as by the decoder.
    mutating func report(_ error: DataError) {
        sink.add(error)
    }

    /// Hands the current row's errors on, in position order whatever order the columns were checked in.
    mutating func endRow() {
        guard !pending.isEmpty else { return }
        for e in ErrorSink.sortedByPosition(pending) { sink.add(e) }
        pending.removeAll(keepingCapacity: true)
    }

    func finish(encoding: String, format: DataFormat) -> ParsedData {
        ParsedData(
            table: ObservationTable(
                file: file, keys: seriesKeys, texts: textTable.payloads, rows: rows, distinctRows: true),
            errors: sink.finish(), encoding: encoding, format: format, rowCount: rowCount
        )
    }

    // MARK: Cells

    /// The index (in this file's resolved indicators) of the indicator named by `raw`, or `nil` after reporting why
    /// not.
    mutating func indicator(_ raw: UnsafeBufferPointer<UInt8>, at offset: Int) -> Int32? {
        let cell = CellText.trim(raw)
        if cell.isEmpty {
            error(at: offset, "missing indicator")
            return nil
        }
        let hash = byteHash(cell)
        var id = indicatorTable.find(cell, hash: hash)
        if id == nil {
            let entry = resolveIndicator(CellText.string(cell))
            id = indicatorTable.insert(cell, hash: hash, payload: entry)
        }
        return valid(indicatorTable.payloads[Int(id!)], at: offset)
    }

    /// `payload` if it denotes a valid entry, else `nil` after reporting its message.
    @inline(__always)
    private mutating func valid(_ payload: Int32, at offset: Int) -> Int32? {
        if payload >= 0 { return payload }
        error(at: offset, messages[Int(-1 - payload)])
        return nil
    }

    private mutating func invalid(_ message: String) -> Int32 {
        messages.append(message)
        return -Int32(messages.count)
    }

    private mutating func resolveIndicator(_ name: String) -> Int32 {
        if let indicator = catalog[name] {
            indicators.append(indicator)
            checks.append((indicator.isPercentage, indicator.bounds))
            return Int32(indicators.count - 1)
        }
        // People often write the indicator's Chinese name or an alias instead of its id.
        let byName = catalog.order.first { id in
            let i = catalog[id]!
            return i.name == name || i.aliases.contains(name)
        }
        let hint = byName.map { " (did you mean '\($0)'?)" } ?? Suggestion.hint(for: name, among: catalog.order)
        return invalid("unknown indicator '\(CellText.shown(name))'\(hint)")
    }

    /// The index (in this file's regions) of the region named by `raw`, or `nil` after reporting why not.
    mutating func region(_ raw: UnsafeBufferPointer<UInt8>, at offset: Int) -> Int32? {
        let cell = CellText.trim(raw)
        if cell.isEmpty {
            error(at: offset, "missing region")
            return nil
        }
        let hash = byteHash(cell)
        var id = regionTable.find(cell, hash: hash)
        if id == nil {
            let name = CellText.string(cell)
            var entry = Int32(regionNames.count)
            if let regions, !regions.contains(name) {
                entry = invalid("unknown region '\(CellText.shown(name))'" + Suggestion.hint(for: name, among: regions.sorted()))
            } else {
                regionNames.append(name)
            }
            id = regionTable.insert(cell, hash: hash, payload: entry)
        }
        return valid(regionTable.payloads[Int(id!)], at: offset)
    }

    /// The period written in `raw`, or `nil` after reporting why not.
    mutating func period(_ raw: UnsafeBufferPointer<UInt8>, at offset: Int) -> Period? {
        let cell = CellText.trim(raw)
        if cell.isEmpty {
            error(at: offset, "missing period")
            return nil
        }
        let id = periodTable.intern(cell) { Period(CellText.string(cell)) }
        if let period = periodTable.payloads[Int(id)] { return period }
        error(at: offset, Self.periodMessage(CellText.string(cell)))
        return nil
    }

    static func periodMessage(_ found: String) -> String {
        "expected a period like 2024, 2024Q3 or 2024-07, found '\(CellText.shown(found))'"
    }

    /// The value written in `raw` (`nil` for an empty cell: not reported), checked against the indicator's unit and
    /// bounds when the indicator is known; `ok` is false after an error was reported.
    mutating func value(
        _ raw: UnsafeBufferPointer<UInt8>, at offset: Int, indicator: Int32?
    ) -> (ok: Bool, value: Double?) {
        switch DecimalText.parse(raw) {
        case .empty:
            return (true, nil)
        case .invalid(let thousands):
            let found = CellText.string(CellText.trim(raw))
            let hint = thousands ? " (write numbers without thousands separators)" : ""
            error(at: offset, "expected a decimal number, found '\(CellText.shown(found))'\(hint)")
            return (false, nil)
        case .outOfRange:
            error(at: offset, "number '\(CellText.shown(CellText.string(CellText.trim(raw))))' is too large")
            return (false, nil)
        case .number(let v, let percent):
            guard let indicator else { return (true, v) }
            let check = checks[Int(indicator)]
            if percent, !check.percent {
                let i = indicators[Int(indicator)]
                error(
                    at: offset,
                    "'%' is only allowed for indicators measured in %; the unit of \(i.name) (\(i.id)) is \(i.unit)"
                )
                return (false, nil)
            }
            if let bounds = check.bounds, !bounds.contains(v) {
                let i = indicators[Int(indicator)]
                let range = "\(DecimalText.format(bounds.lowerBound))…\(DecimalText.format(bounds.upperBound))"
                let shown = DecimalText.format(v)
                error(at: offset, "value \(shown) is outside the bounds \(range) of \(i.name) (\(i.id))")
                return (false, nil)
            }
            return (true, v)
        }
    }

    /// The id of the free text in `raw` (a dimension value, a source, a note), or `nil` when it is blank.
    mutating func text(_ raw: UnsafeBufferPointer<UInt8>) -> Int32? {
        let cell = CellText.trim(raw)
        if cell.isEmpty { return nil }
        return textTable.intern(cell) { CellText.string(cell) }
    }

    /// The id of `string` as free text (a CSV dimension heading).
    mutating func text(_ string: String) -> Int32 {
        var s = string
        return s.withUTF8 { buffer in textTable.intern(buffer) { string } }
    }

    func string(_ id: Int32) -> String { textTable.payloads[Int(id)] }

    /// The id of a JSON Lines dimension name, lower-cased, or `nil` after reporting why it cannot be one.
    mutating func dimensionName(_ raw: UnsafeBufferPointer<UInt8>, at offset: Int) -> Int32? {
        let hash = byteHash(raw)
        var id = dimensionNameTable.find(raw, hash: hash)
        if id == nil {
            let name = CellText.string(CellText.trim(raw))
            let role = ColumnRole(heading: name)
            let entry: Int32
            if name.isEmpty {
                entry = invalid("empty dimension name")
            } else if case .dimension(let lower) = role {
                entry = text(lower)
            } else {
                entry = invalid("'\(name)' cannot be a dimension name: it is the '\(role.name)' key")
            }
            id = dimensionNameTable.insert(raw, hash: hash, payload: entry)
        }
        return valid(dimensionNameTable.payloads[Int(id!)], at: offset)
    }

    // MARK: Observations

    /// Adds the current row's observation unless the row had an error; an identical repeat of an earlier row is
    /// dropped, a different value for the same series and period is an error citing the earlier line.
    mutating func finishRow(
        indicator: Int32, region: Int32, period: Period, value: Double?, valueOffset: Int,
        source: Int32?, note: Int32?
    ) {
        guard !rowFailed else { return }
        let series = seriesIndex(indicator: indicator, region: region)
        let index = Int32(rows.count)
        if seen.insert(series: series, period: period) {
            earlier?[Self.slot(series, period)] = index
        } else {
            if earlier == nil { buildEarlier() }
            let first = rows[Int(earlier![Self.slot(series, period)]!)]
            if first.value != value {
                let line = first.line
                error(
                    at: valueOffset,
                    "conflicting values for \(seriesKeys[Int(series)]) in \(period): \(Self.show(value)) here, "
                        + "\(Self.show(first.value)) on line \(line)"
                )
            }
            return
        }
        rows.append(
            ObservationTable.Row(
                series: series, period: period, value: value, line: Int32(clamping: rowLine), source: source ?? -1,
                note: note ?? -1
            )
        )
    }

    private mutating func buildEarlier() {
        var map: [UInt64: Int32] = [:]
        map.reserveCapacity(rows.count)
        for (i, r) in rows.enumerated() { map[Self.slot(r.series, r.period)] = Int32(i) }
        earlier = map
    }

    private static func slot(_ series: Int32, _ period: Period) -> UInt64 {
        let granularity: UInt64 =
            switch period.granularity {
            case .year: 0
            case .quarter: 1
            case .month: 2
            }
        return UInt64(UInt32(bitPattern: series)) << 32 | UInt64(UInt16(truncatingIfNeeded: period.year)) << 16
            | granularity << 8 | UInt64(UInt8(truncatingIfNeeded: period.sub))
    }

    private static func show(_ value: Double?) -> String {
        value.map { DecimalText.format($0) } ?? "empty"
    }

    /// The index of the current row's series key, made the first time the combination is seen.
    private mutating func seriesIndex(indicator: Int32, region: Int32) -> Int32 {
        let length: Int
        switch layout {
        case .columns:
            length = 8 + 4 * dimensionValues.count
        case .pairs:
            if dimensionPairs.count > 1 { dimensionPairs.sort { $0.name < $1.name } }
            length = 8 + 8 * dimensionPairs.count
        }
        if keyBytes.count < length { keyBytes = [UInt8](repeating: 0, count: length * 2) }
        keyBytes.withUnsafeMutableBytes { key in
            key.storeBytes(of: indicator.littleEndian, toByteOffset: 0, as: Int32.self)
            key.storeBytes(of: region.littleEndian, toByteOffset: 4, as: Int32.self)
            var at = 8
            switch layout {
            case .columns:
                for v in dimensionValues {
                    key.storeBytes(of: v.littleEndian, toByteOffset: at, as: Int32.self)
                    at += 4
                }
            case .pairs:
                for p in dimensionPairs {
                    key.storeBytes(of: p.name.littleEndian, toByteOffset: at, as: Int32.self)
                    key.storeBytes(of: p.value.littleEndian, toByteOffset: at + 4, as: Int32.self)
                    at += 8
                }
            }
        }
        let next = Int32(seriesKeys.count)
        let id = keyBytes.withUnsafeBufferPointer { key in
            seriesTable.intern(UnsafeBufferPointer(rebasing: key[0..<length])) { next }
        }
        let index = seriesTable.payloads[Int(id)]
        if index == next {
            var dimensions: [String: String] = [:]
            switch layout {
            case .columns(let names):
                for (name, value) in zip(names, dimensionValues) where value >= 0 {
                    dimensions[string(name)] = string(value)
                }
            case .pairs:
                for p in dimensionPairs { dimensions[string(p.name)] = string(p.value) }
            }
            let key = SeriesKey(
                indicator: indicators[Int(indicator)].id, region: regionNames[Int(region)],
                dimensions: dimensions
            )
            seriesKeys.append(key)
        }
        return index
    }
}

/// Collects errors up to a limit and counts the rest, so that a file that is wrong on every row still produces a
/// readable report.
private struct ErrorSink {
    let limit: Int
    var errors: [DataError] = []
    var suppressed = 0
    var firstSuppressed: SourceLocation?

    mutating func add(_ error: DataError) {
        if errors.count < limit {
            errors.append(error)
        } else {
            if suppressed == 0 { firstSuppressed = error.location }
            suppressed += 1
        }
    }

    func finish() -> [DataError] {
        var all = Self.sortedByPosition(errors)
        if suppressed > 0, let location = firstSuppressed {
            let noun = suppressed == 1 ? "error" : "errors"
            all.append(
                DataError(
                    location: location,
                    message: "\(suppressed) more \(noun) suppressed (only the first \(limit) are shown)"
                )
            )
        }
        return all
    }

    /// Stable sort by line and column.
    static func sortedByPosition(_ errors: [DataError]) -> [DataError] {
        errors.enumerated().sorted { a, b in
            let (x, y) = (a.element.location, b.element.location)
            if x.line != y.line { return x.line < y.line }
            if x.column != y.column { return x.column < y.column }
            return a.offset < b.offset
        }.map(\.element)
    }
}
