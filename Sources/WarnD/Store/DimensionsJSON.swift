import Foundation
import Rules

/// The dimensions of a series key as the store spells them: a JSON object with keys sorted, slashes unescaped,
/// control characters escaped (`{}` when there are none).
///
/// Written and read by hand because `JSONEncoder`/`JSONDecoder` cost microseconds per call, and loading the national
/// store decodes 910 000 series keys at start-up. The decoder also reads anything the v1 store wrote with
/// `JSONEncoder` (it falls back to `JSONDecoder` for whatever it does not recognise).
enum DimensionsJSON {
    static func encode(_ dimensions: [SeriesKey.Dimension]) -> String {
        if dimensions.isEmpty { return "{}" }
        var out = "{"
        for (i, d) in dimensions.enumerated() {
            if i > 0 { out += "," }
            appendQuoted(d.name, to: &out)
            out += ":"
            appendQuoted(d.value, to: &out)
        }
        out += "}"
        return out
    }

    private static func appendQuoted(_ s: String, to out: inout String) {
        out += "\""
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            out += s
        } else {
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{08}": out += "\\b"
                case "\u{0C}": out += "\\f"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// The name/value pairs of `text`, or `nil` when it is not a JSON object of strings.
    static func decode(_ text: String) -> [String: String]? {
        if text == "{}" { return [:] }
        if let fast = decodeSimple(Array(text.utf8)) { return fast }
        return try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))
    }

    /// The common case without escapes: `{"a":"b","c":"d"}`.
    private static func decodeSimple(_ b: [UInt8]) -> [String: String]? {
        guard b.count >= 2, b.first == UInt8(ascii: "{"), b.last == UInt8(ascii: "}") else { return nil }
        var i = 1
        var out: [String: String] = [:]
        func string() -> String? {
            guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
            let start = i + 1
            var j = start
            while j < b.count, b[j] != UInt8(ascii: "\"") {
                if b[j] == UInt8(ascii: "\\") { return nil }
                j += 1
            }
            guard j < b.count else { return nil }
            i = j + 1
            return String(decoding: b[start..<j], as: UTF8.self)
        }
        while i < b.count - 1 {
            guard let name = string(), i < b.count, b[i] == UInt8(ascii: ":") else { return nil }
            i += 1
            guard let value = string() else { return nil }
            out[name] = value
            if i < b.count - 1 {
                guard b[i] == UInt8(ascii: ",") else { return nil }
                i += 1
            }
        }
        return out
    }
}
