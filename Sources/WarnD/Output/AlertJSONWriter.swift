import Rules

/// Writes alerts as JSON byte for byte as ``AlertJSON/encode(_:pretty:)`` (JSONEncoder with `.sortedKeys`,
/// `.withoutEscapingSlashes`, pretty or compact) does, at a fraction of the cost.
///
/// The daemon keeps one encoded fragment per alert and streams `active.json` and the per-region files from them,
/// so a file rewrite is a concatenation, not an encoding of ≈ 530 000 objects (JSONEncoder takes ≈ 40 µs per
/// alert). The output must stay identical to JSONEncoder's so that `warnd eval --format json` and the daemon's files
/// agree and every reader sees one format: `AlertJSONWriterTests` compares both on every kind of alert. The rules
/// JSONEncoder follows here (swift-foundation): keys in UTF-8 byte order; `"key" : value` and two-space indent
/// when pretty; empty containers as `{\n\n<indent>}`; nil optionals omitted; integral doubles below 2⁵³ printed as
/// integers, others as `Double.description`; `"`, `\`, and control characters escaped, nothing else.
enum AlertJSONWriter {
    /// One alert object. `indent` is the indentation of the opening brace's line (pretty), `nil` for compact
    /// output; the first line carries no indentation of its own, as it follows `"key" : ` or the caller's indent.
    static func object(_ a: Alert, indent: Int?) -> [UInt8] {
        var w = Writer(indent: indent)
        w.alert(AlertJSON.object(a))
        return w.out
    }

    /// A compact object of string values and, when given, under `"dimensions"` an object of them (the `resolved`
    /// event payload).
    static func compact(_ object: [String: String], dimensions: [String: String]? = nil) -> [UInt8] {
        var w = Writer(indent: nil)
        guard let dimensions else {
            w.dictionary(object)
            return w.out
        }
        w.open(0x7B)
        var keys = object.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let at = keys.firstIndex { !$0.utf8.lexicographicallyPrecedes("dimensions".utf8) } ?? keys.endIndex
        keys.insert("dimensions", at: at)
        for k in keys {
            w.dynamicKey(k)
            if k == "dimensions" { w.dictionary(dimensions) } else { w.string(object[k]!) }
        }
        w.close(0x7D)
        return w.out
    }

    /// The bytes of a whole document (`active.json`, a region file) from alert fragments encoded with
    /// `indent: 4`, in the order given. `fragments` is called once and must yield every fragment.
    static func document(counts: AlertJSON.Counts, evaluatedAt: String, at: String?,
        fragments: (_ emit: (ArraySlice<UInt8>) -> Void) -> Void) -> [UInt8]
    {
        var out: [UInt8] = []
        stream(counts: counts, evaluatedAt: evaluatedAt, at: at, fragments: fragments) { out.append(contentsOf: $0) }
        return out
    }

    /// The same document handed to `write` a piece at a time (pieces of about a megabyte), so that a national
    /// `warnd eval --format json` (≈ 600 MB) never holds the whole text.
    static func stream(counts: AlertJSON.Counts, evaluatedAt: String, at: String?,
        fragments: (_ emit: (ArraySlice<UInt8>) -> Void) -> Void, write: @escaping ([UInt8]) -> Void)
    {
        var out: [UInt8] = []
        out.append(contentsOf: "{\n  \"alerts\" : [".utf8)
        var first = true
        fragments { fragment in
            out.append(contentsOf: first ? "\n    ".utf8 : ",\n    ".utf8)
            first = false
            out.append(contentsOf: fragment)
            if out.count >= 1 << 20 {
                write(out)
                out.removeAll(keepingCapacity: true)
            }
        }
        out.append(contentsOf: first ? "\n\n  ],\n".utf8 : "\n  ],\n".utf8)
        var w = Writer(indent: 1)
        if let at {
            w.out.append(contentsOf: "  \"at\" : ".utf8)
            w.string(at)
            w.out.append(contentsOf: ",\n".utf8)
        }
        w.out.append(contentsOf: "  \"counts\" : {\n    \"critical\" : \(counts.critical),\n    \"info\" : \(counts.info),\n    \"pending\" : \(counts.pending),\n    \"warning\" : \(counts.warning)\n  },\n  \"evaluated_at\" : ".utf8)
        w.string(evaluatedAt)
        w.out.append(contentsOf: "\n}".utf8)
        out.append(contentsOf: w.out)
        write(out)
    }

    /// JSONEncoder's number text for a `Double`.
    static func number(_ x: Double) -> String {
        if x == x.rounded(.towardZero), abs(x) < 9_007_199_254_740_992 {
            if x == 0 { return x.sign == .minus ? "-0" : "0" }
            return String(Int64(x))
        }
        var s = x.description
        if s.hasSuffix(".0") { s.removeLast(2) }
        return s
    }

    /// An object under construction: fields must be added in JSONEncoder's sorted order, which the callers below
    /// spell out by hand (pinned by the tests).
    struct Writer {
        var out: [UInt8] = []
        /// Indentation depth in two-space steps of the object being written; `nil`: compact.
        var depth: Int?
        private var firstField = [Bool]()

        init(indent: Int?) {
            depth = indent.map { $0 / 2 }
            out.reserveCapacity(1024)
        }

        private mutating func newline(_ d: Int) {
            out.append(0x0A)
            for _ in 0..<(d * 2) { out.append(0x20) }
        }

        mutating func open(_ brace: UInt8) {
            out.append(brace)
            firstField.append(true)
            if let d = depth { depth = d + 1 }
        }

        mutating func close(_ brace: UInt8) {
            let empty = firstField.removeLast()
            if let d = depth {
                depth = d - 1
                if empty { out.append(0x0A) }
                newline(d - 1)
            }
            out.append(brace)
        }

        /// Starts a field: separator, indentation, the key.
        mutating func key(_ k: StaticString) {
            separator()
            out.append(0x22)
            k.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(contentsOf: depth == nil ? [0x22, 0x3A] : [0x22, 0x20, 0x3A, 0x20])
        }

        mutating func dynamicKey(_ k: String) {
            separator()
            string(k)
            out.append(contentsOf: depth == nil ? [0x3A] : [0x20, 0x3A, 0x20])
        }

        private mutating func separator() {
            if firstField[firstField.count - 1] {
                firstField[firstField.count - 1] = false
            } else {
                out.append(0x2C)
            }
            if let d = depth { newline(d) }
        }

        mutating func string(_ s: String) {
            out.append(0x22)
            // Most strings need no escaping: copied whole (byte by byte was a tenth of writing active.json).
            var s = s
            let plain = s.withUTF8 { u -> Bool in
                guard !u.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else { return false }
                out.append(contentsOf: u)
                return true
            }
            if plain {
                out.append(0x22)
                return
            }
            for b in s.utf8 {
                switch b {
                case 0x22: out.append(contentsOf: [0x5C, 0x22])
                case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
                case 0x0D: out.append(contentsOf: [0x5C, 0x72])
                case 0x09: out.append(contentsOf: [0x5C, 0x74])
                case 0x08: out.append(contentsOf: [0x5C, 0x62])
                case 0x0C: out.append(contentsOf: [0x5C, 0x66])
                case 0..<0x20:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
                default: out.append(b)
                }
            }
            out.append(0x22)
        }

        mutating func string(_ k: StaticString, _ v: String?) {
            guard let v else { return }
            key(k)
            string(v)
        }

        mutating func number(_ k: StaticString, _ v: Double?) {
            guard let v else { return }
            key(k)
            out.append(contentsOf: AlertJSONWriter.number(v).utf8)
        }

        mutating func int(_ k: StaticString, _ v: Int?) {
            guard let v else { return }
            key(k)
            out.append(contentsOf: String(v).utf8)
        }

        /// A `[String: String]` as an object, keys in UTF-8 byte order.
        mutating func dictionary(_ d: [String: String]) {
            open(0x7B)
            let keys = d.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for k in keys {
                dynamicKey(k)
                string(d[k]!)
            }
            close(0x7D)
        }

        mutating func alert(_ a: AlertJSON.AlertObject) {
            open(0x7B)
            string("department", a.department)
            key("dimensions")
            dictionary(a.dimensions)
            if let f = a.forecast {
                key("forecast")
                open(0x7B)
                number("level", f.level)
                number("lower", f.lower)
                string("method", f.method)
                number("p_meet", f.pMeet)
                number("progress_ratio", f.progressRatio)
                int("reach_year", f.reachYear)
                string("reason", f.reason)
                number("shortfall", f.shortfall)
                string("status", f.status)
                number("upper", f.upper)
                number("value", f.value)
                int("year", f.year)
                close(0x7D)
            }
            string("id", a.id)
            string("indicator", a.indicator)
            string("indicator_name", a.indicatorName)
            string("kind", a.kind)
            key("labels")
            dictionary(a.labels)
            if let m = a.measures {
                key("measures")
                open(0x7B)
                number("change", m.change)
                string("due", m.due)
                number("expected", m.expected)
                number("gap", m.gap)
                number("relative_change", m.relativeChange)
                number("robust_z", m.robustZ)
                number("slope", m.slope)
                int("window", m.window)
                close(0x7D)
            }
            string("message", a.message)
            string("period", a.period)
            string("plan", a.plan)
            string("plan_title", a.planTitle)
            string("region", a.region)
            string("rule", a.rule)
            string("severity", a.severity)
            if let s = a.source {
                key("source")
                open(0x7B)
                string("domain", s.domain)
                string("goal", s.goal)
                string("text", s.text)
                close(0x7D)
            }
            string("state", a.state)
            if let t = a.target {
                key("target")
                open(0x7B)
                int("base_year", t.baseYear)
                number("change", t.change)
                string("op", t.op)
                string("scope", t.scope)
                number("tolerance", t.tolerance)
                number("value", t.value)
                int("year", t.year)
                close(0x7D)
            }
            string("unit", a.unit)
            number("value", a.value)
            close(0x7D)
        }
    }
}
