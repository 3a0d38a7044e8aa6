/// Reads a statistics bureau's data file (CSV or JSON Lines) into observations, checking every row.
///
/// Monitoring offices act on these numbers, so a file is read exactly or not at all: every cell is checked against
/// the indicator catalog (known indicator, unit, natural bounds), the known regions and the period syntax, and
/// every problem is reported with its `file:line:column` so the statistician can fix the whole file in one go.
/// Callers reject a file with any error. See `docs/data.md` for the format as the statisticians see it.
///
/// The parser is a value with no shared state, so one instance can parse many files concurrently.
public struct ObservationParser: Sendable {
    public let catalog: IndicatorCatalog
    /// The regions a file may name, or `nil` to accept any non-empty region.
    public let regions: Set<String>?
    /// How many errors to report before counting the rest in one final error; 0 or less means no limit.
    public let maxErrors: Int

    public init(catalog: IndicatorCatalog, regions: Set<String>? = nil, maxErrors: Int = 100) {
        self.catalog = catalog
        self.regions = regions
        self.maxErrors = maxErrors
    }

    /// Parses the raw bytes of a file. `file` names it in errors and observation locations, and tells the format
    /// by its extension when `format` is `nil`; failing that, content starting with `{` is JSON Lines, else CSV.
    public func parse(_ bytes: [UInt8], file: String, format: DataFormat? = nil) -> ParsedData {
        let decoded: DataFileDecoder.Decoded
        do {
            decoded = try DataFileDecoder.decode(bytes, file: file, format: format)
        } catch {
            let guess = format ?? DataFormat.infer(fromPath: file) ?? .csv
            return ParsedData(errors: [error], encoding: "unknown", format: guess)
        }
        return decoded.utf8.withUnsafeBufferPointer { text in
            let format = format ?? DataFormat.infer(fromPath: file) ?? DataFormat.sniff(text)
            var session = ParseSession(
                catalog: catalog, regions: regions, file: file, text: text, maxErrors: maxErrors
            )
            for problem in decoded.problems { session.report(problem) }
            switch format {
            case .csv:
                var reader = CSVReader(text)
                reader.run(into: &session)
            case .jsonl:
                var reader = JSONLinesReader(text)
                reader.run(into: &session)
            }
            return session.finish(encoding: decoded.encoding.rawValue, format: format)
        }
    }
}
