/// Reads CSV (RFC 4180) rows of decoded UTF-8 text into a ``ParseSession``.
///
/// Works on the bytes in place: a field is a byte range, and only a quoted field containing doubled quotes is
/// copied (to undo the doubling). Quoted fields may hold commas, quotes and line breaks; lines end with LF, CRLF or a
/// lone CR, and line numbers count physical lines so a multi-line field moves them on, as an editor does. A quote is
/// special only at the start of a field; elsewhere it is an ordinary character, as in Excel.
struct CSVReader {
    private struct Field {
        /// Where the field starts: its opening quote, if quoted; errors about the field point here.
        var start: Int
        var contentStart: Int
        var contentEnd: Int
        /// Whether the content holds doubled quotes that stand for one.
        var escaped: Bool
    }

    /// The meaning of each column, from the header row.
    private struct Header {
        var count = 0
        var indicator = -1
        var region = -1
        var period = -1
        var value = -1
        var source = -1
        var note = -1
        var dimensions: [Int] = []
        /// Columns with an empty heading: tolerated while their cells are empty (Excel's trailing commas).
        var unnamed: [Int] = []
    }

    private enum Row {
        case data, blank, end, fatal
    }

    private static let quote = UInt8(ascii: "\"")
    private static let comma = UInt8(ascii: ",")
    private static let lf: UInt8 = 0x0A
    private static let cr: UInt8 = 0x0D

    private let bytes: UnsafeBufferPointer<UInt8>
    private var pos = 0
    private var line = 1
    /// The current row's fields are the first ``fieldCount``; the array only grows, so rows reuse it.
    private var fields: [Field] = []
    private var fieldCount = 0
    /// Where the current row's last field ends, for "too few fields" errors.
    private var rowEnd = 0
    /// Whether the current row broke the CSV syntax, so its fields cannot be trusted.
    private var malformed = false

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func run(into session: inout ParseSession) {
        var header: Header?
        while true {
            let row = readRow(&session)
            defer { session.endRow() }
            switch row {
            case .end:
                if header == nil {
                    session.beginRow(at: 0, line: 1)
                    session.error(at: 0, "empty file: expected a header row such as 'indicator,region,period,value'")
                }
                return
            case .fatal:
                return
            case .blank:
                continue
            case .data:
                guard let h = header else {
                    header = readHeader(&session)
                    if header == nil { return }
                    continue
                }
                session.rowCount += 1
                readData(h, &session)
            }
        }
    }

    // MARK: Tokenizing

    private mutating func readRow(_ session: inout ParseSession) -> Row {
        let n = bytes.count
        guard pos < n else { return .end }
        fieldCount = 0
        malformed = false
        session.beginRow(at: pos, line: line)
        while true {
            let start = pos
            if pos < n, bytes[pos] == Self.quote {
                guard let field = readQuoted(&session) else { return .fatal }
                add(field)
            } else {
                var p = pos
                while p < n {
                    let b = bytes[p]
                    if b == Self.comma || b == Self.lf || b == Self.cr { break }
                    p += 1
                }
                add(Field(start: start, contentStart: start, contentEnd: p, escaped: false))
                pos = p
            }
            guard pos < n else {
                rowEnd = pos
                break
            }
            let b = bytes[pos]
            if b == Self.comma {
                pos += 1
                continue
            }
            rowEnd = pos
            pos += b == Self.cr && pos + 1 < n && bytes[pos + 1] == Self.lf ? 2 : 1
            line += 1
            break
        }
        for f in fields[0..<fieldCount] where !CellText.trim(raw(f)).isEmpty { return .data }
        return .blank
    }

    @inline(__always)
    private mutating func add(_ field: Field) {
        if fieldCount < fields.count {
            fields[fieldCount] = field
        } else {
            fields.append(field)
        }
        fieldCount += 1
    }

    /// Reads the quoted field at `pos`, or reports an unterminated quote and returns `nil`.
    private mutating func readQuoted(_ session: inout ParseSession) -> Field? {
        let n = bytes.count
        let start = pos
        pos += 1
        var escaped = false
        while true {
            guard pos < n else {
                session.error(at: start, "unterminated quoted field: the quote opened here is never closed")
                return nil
            }
            let b = bytes[pos]
            if b == Self.quote {
                if pos + 1 < n, bytes[pos + 1] == Self.quote {
                    escaped = true
                    pos += 2
                    continue
                }
                break
            }
            if b == Self.lf || (b == Self.cr && (pos + 1 >= n || bytes[pos + 1] != Self.lf)) { line += 1 }
            pos += 1
        }
        let field = Field(start: start, contentStart: start + 1, contentEnd: pos, escaped: escaped)
        pos += 1
        while pos < n, bytes[pos] == 0x20 || bytes[pos] == 0x09 { pos += 1 }
        if pos < n, bytes[pos] != Self.comma, bytes[pos] != Self.lf, bytes[pos] != Self.cr {
            session.error(
                at: pos,
                "unexpected text after the closing quote of a field (write a quote inside a quoted field as \"\")"
            )
            malformed = true
            while pos < n, bytes[pos] != Self.comma, bytes[pos] != Self.lf, bytes[pos] != Self.cr { pos += 1 }
        }
        return field
    }

    /// The field's content as it is in the file (doubled quotes still doubled).
    private func raw(_ f: Field) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[f.contentStart..<f.contentEnd])
    }

    /// Calls `body` with the content of field `column`, doubled quotes undone.
    @inline(__always)
    private func withField<R>(_ column: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let f = fields[column]
        guard f.escaped else { return body(raw(f)) }
        var unescaped: [UInt8] = []
        unescaped.reserveCapacity(f.contentEnd - f.contentStart)
        var i = f.contentStart
        while i < f.contentEnd {
            unescaped.append(bytes[i])
            i += bytes[i] == Self.quote ? 2 : 1
        }
        return unescaped.withUnsafeBufferPointer(body)
    }

    private func string(_ column: Int) -> String {
        withField(column) { CellText.string(CellText.trim($0)) }
    }

    // MARK: Header

    private mutating func readHeader(_ session: inout ParseSession) -> Header? {
        if malformed { return nil }
        let names = (0..<fieldCount).map { string($0) }
        if names.count == 1, let separator = Self.foreignSeparator(in: names[0]) {
            session.error(
                at: fields[0].start,
                "the header has a single column: columns must be separated by commas (','), "
                    + "but this file seems to use \(separator)"
            )
            return nil
        }
        var header = Header()
        header.count = names.count
        var seen: [String: Int] = [:]
        var dimensionNames: [Int32] = []
        for (column, name) in names.enumerated() {
            if name.isEmpty {
                header.unnamed.append(column)
                continue
            }
            let role = ColumnRole(heading: name)
            if let first = seen[role.name] {
                let same =
                    names[first] == name
                    ? "also column \(first + 1)" : "column \(first + 1), '\(names[first])', means the same"
                session.error(at: fields[column].start, "duplicate column '\(name)' (\(same))")
                continue
            }
            seen[role.name] = column
            switch role {
            case .indicator: header.indicator = column
            case .region: header.region = column
            case .period: header.period = column
            case .value: header.value = column
            case .source: header.source = column
            case .note: header.note = column
            case .dimension(let lower):
                header.dimensions.append(column)
                dimensionNames.append(session.text(lower))
            }
        }
        let found = [header.indicator, header.region, header.period, header.value]
        for (role, column) in zip(ColumnRole.required, found) where column < 0 {
            let candidates = header.dimensions.map { names[$0] }
            if let guess = Suggestion.closest(to: role.name, among: candidates),
                let misspelt = header.dimensions.first(where: { names[$0] == guess })
            {
                session.error(
                    at: fields[misspelt].start,
                    "missing required column '\(role.name)' (did you mean '\(role.name)' instead of '\(guess)'?)"
                )
            } else {
                session.error(at: fields[0].start, "missing required column '\(role.name)'")
            }
        }
        if session.rowFailed { return nil }
        session.layout = .columns(dimensionNames)
        session.dimensionValues = [Int32](repeating: -1, count: dimensionNames.count)
        return header
    }

    /// How a one-column header seems to separate its columns, if it does: Excel in some locales uses `;`.
    private static func foreignSeparator(in heading: String) -> String? {
        if heading.contains(";") { return "semicolons (';')" }
        if heading.contains("\t") { return "tabs" }
        if heading.contains("，") { return "full-width commas ('，')" }
        if heading.contains("|") { return "bars ('|')" }
        return nil
    }

    // MARK: Data rows

    private mutating func readData(_ header: Header, _ session: inout ParseSession) {
        if malformed { return }
        guard fieldCount == header.count else {
            let at = fieldCount > header.count ? fields[header.count].start : rowEnd
            session.error(at: at, "expected \(header.count) fields as in the header, found \(fieldCount)")
            return
        }
        let indicator = withField(header.indicator) { session.indicator($0, at: fields[header.indicator].start) }
        let region = withField(header.region) { session.region($0, at: fields[header.region].start) }
        let period = withField(header.period) { session.period($0, at: fields[header.period].start) }
        let valueStart = fields[header.value].start
        let value = withField(header.value) { session.value($0, at: valueStart, indicator: indicator) }
        for (k, column) in header.dimensions.enumerated() {
            session.dimensionValues[k] = withField(column) { session.text($0) } ?? -1
        }
        for column in header.unnamed where !CellText.trim(raw(fields[column])).isEmpty {
            session.error(at: fields[column].start, "value in column \(column + 1), which has no heading in the header")
        }
        let source = header.source < 0 ? nil : withField(header.source) { session.text($0) }
        let note = header.note < 0 ? nil : withField(header.note) { session.text($0) }
        guard let indicator, let region, let period, value.ok else { return }
        session.finishRow(
            indicator: indicator, region: region, period: period, value: value.value, valueOffset: valueStart,
            source: source, note: note
        )
    }
}
