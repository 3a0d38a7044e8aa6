import Yams

/// Reads the indicator catalog (`indicators:` list) into ``Indicator``s.
enum CatalogLoader {
    static let keys = ["id", "name", "aliases", "unit", "better", "bounds", "domain"]

    static func load(_ root: Node, file: String, into catalog: inout IndicatorCatalog, sink: DiagnosticSink) {
        guard let top = MappingReader(root, file: file, context: "", expected: "a catalog", sink: sink) else { return }
        top.rejectUnknownKeys(allowed: ["indicators"])
        guard let list = top.value("indicators") else {
            sink.error(top.location, "missing required key 'indicators' (the list of indicators)")
            return
        }
        guard case .sequence(let items) = list else {
            sink.error(top.location(of: list), "'indicators' must be a list, found \(list.kindDescription)")
            return
        }
        for item in items {
            guard let r = MappingReader(item, file: file, context: "indicator: ", expected: "an indicator", sink: sink)
            else { continue }
            let id = r.string("id", required: true, what: "an ASCII snake_case id")
            let ctx = id.map { "indicator '\($0)': " } ?? "indicator: "
            let reader = MappingReader(item, file: file, context: ctx, expected: "an indicator", sink: sink)!
            reader.rejectUnknownKeys(allowed: keys)
            let name = reader.string("name", required: true, what: "the Chinese name")
            let unit = reader.string("unit", required: true, what: "a unit such as %, ‰ or 1/10万")
            var better: Indicator.Better?
            if let b = reader.string("better", required: true, what: "up, down or none") {
                better = Indicator.Better(rawValue: b)
                if better == nil {
                    sink.error(reader.location(of: reader.value("better")!),
                        "\(ctx)'better' must be up, down or none, found '\(b)'"
                            + Suggestion.hint(for: b, among: Indicator.Better.allCases.map(\.rawValue)))
                }
            }
            var bounds: ClosedRange<Double>?
            if let bn = reader.value("bounds") {
                if case .sequence(let s) = bn, s.count == 2, let lo = s[0].plainNumber, let hi = s[1].plainNumber,
                    lo < hi
                {
                    bounds = lo...hi
                } else {
                    sink.error(reader.location(of: bn), "\(ctx)'bounds' must be [low, high] with low < high")
                }
            }
            let aliases = reader.stringList("aliases") ?? []
            let domain = reader.string("domain")
            guard let id else { continue }
            let idLoc = reader.location(of: reader.value("id")!)
            if !isSnakeCase(id) {
                sink.error(idLoc, "indicator id '\(id)' must be ASCII snake_case ([a-z][a-z0-9_]*)")
            }
            guard let name, let unit, let better else { continue }
            let indicator = Indicator(id: id, name: name, aliases: aliases, unit: unit, better: better,
                bounds: bounds, domain: domain, location: idLoc)
            if let first = catalog.insert(indicator) {
                sink.error(idLoc, "duplicate indicator id '\(id)' (first defined at \(first.location.map(\.description) ?? "?"))")
            }
        }
    }

    static func isSnakeCase(_ s: String) -> Bool {
        guard let f = s.utf8.first, f >= UInt8(ascii: "a"), f <= UInt8(ascii: "z") else { return false }
        return s.utf8.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "_") }
    }
}
