/// A Chinese alert message with `{placeholder}`s, checked when the rules load.
///
/// Tuners write the committee-facing sentence themselves; a misspelt placeholder would otherwise surface as a
/// literal `{forcast}` in a report months later, so the set of names is closed and checked at load time.
public struct MessageTemplate: Sendable, Hashable {
    public enum Part: Sendable, Hashable {
        case text(String)
        case placeholder(String)
    }

    public let parts: [Part]
    public let source: String
    /// ``parts`` with each placeholder resolved to its ``Placeholder`` once, when the template is made: rendering
    /// an alert's message then switches on a small enum instead of comparing the name with two dozen strings
    /// (every alert of an evaluation is rendered, half a million at national scale).
    let compiled: [CompiledPart]

    /// A part whose placeholder name is already resolved.
    enum CompiledPart: Sendable, Hashable {
        case text(String)
        case placeholder(Placeholder)
    }

    /// The names of ``placeholders`` as an enum, in the same order.
    enum Placeholder: Int, Sendable, Hashable, CaseIterable {
        case indicatorName, indicator, region, dimensions, period, value, unit, target, targetYear
        case forecast, lower, upper, level, pMeet, progressRatio, status, reachYear, change, gap
        case slope, due, plan, rule, department, window, expected

        /// The placeholder spelt `name` in a template, `nil` for an unknown name.
        init?(name: String) {
            guard let i = MessageTemplate.placeholders.firstIndex(of: name) else { return nil }
            self.init(rawValue: i)
        }

        var name: String { MessageTemplate.placeholders[rawValue] }
    }

    /// Resolves the placeholders of `parts`; an unknown name (only possible through ``init(parts:)``) stays
    /// unresolved as text `nil` would give, that is, rendered as `—`.
    static func compile(_ parts: [Part]) -> [CompiledPart] {
        parts.map { p in
            switch p {
            case .text(let t): return .text(t)
            case .placeholder(let n): return Placeholder(name: n).map(CompiledPart.placeholder) ?? .text("—")
            }
        }
    }

    /// Every placeholder a template may use.
    public static let placeholders: [String] = [
        "indicator_name", "indicator", "region", "dimensions", "period", "value", "unit", "target", "target_year",
        "forecast", "lower", "upper", "level", "p_meet", "progress_ratio", "status", "reach_year", "change", "gap",
        "slope", "due", "plan", "rule", "department", "window", "expected",
    ]

    public enum ParseError: Error, Equatable {
        /// The placeholder name and its character offset in the template.
        case unknownPlaceholder(String, offset: Int)
        case unclosedBrace(offset: Int)
    }

    /// Parses a template; `{{` and `}}` stand for literal braces.
    public init(_ source: String) throws(ParseError) {
        var parts: [Part] = []
        var text = ""
        var chars = Array(source)
        chars.append("\0")
        var i = 0
        while i < chars.count - 1 {
            let c = chars[i]
            if c == "{" && chars[i + 1] == "{" {
                text.append("{")
                i += 2
            } else if c == "}" && chars[i + 1] == "}" {
                text.append("}")
                i += 2
            } else if c == "{" {
                guard let close = chars[(i + 1)...].firstIndex(of: "}"), close < chars.count - 1 else {
                    throw .unclosedBrace(offset: i)
                }
                let name = String(chars[(i + 1)..<close])
                guard Self.placeholders.contains(name) else { throw .unknownPlaceholder(name, offset: i) }
                if !text.isEmpty {
                    parts.append(.text(text))
                    text = ""
                }
                parts.append(.placeholder(name))
                i = close + 1
            } else {
                text.append(c)
                i += 1
            }
        }
        if !text.isEmpty { parts.append(.text(text)) }
        self.parts = parts
        self.source = source
        self.compiled = Self.compile(parts)
    }

    /// A template already split into parts (the built-in defaults, whose placeholders are known to be valid).
    init(parts: [Part]) {
        self.parts = parts
        self.compiled = Self.compile(parts)
        self.source = parts.map { p in
            switch p {
            case .text(let t): return t.replacingBraces()
            case .placeholder(let n): return "{" + n + "}"
            }
        }.joined()
    }

    /// Fills the placeholders; a value that is not known for this alert renders as `—`.
    public func render(_ values: [String: String]) -> String {
        render { values[$0] }
    }

    /// Fills the placeholders from a function, asked only for the names the template uses: an alert's message
    /// needs a handful of its two dozen values, and formatting them all was much of the cost of an evaluation.
    public func render(_ value: (String) -> String?) -> String {
        var out = ""
        for p in parts {
            switch p {
            case .text(let t): out += t
            case .placeholder(let n): out += value(n) ?? "—"
            }
        }
        return out
    }
}

extension String {
    /// Doubles literal braces, the escape ``MessageTemplate/init(_:)`` reads back.
    fileprivate func replacingBraces() -> String {
        guard contains(where: { $0 == "{" || $0 == "}" }) else { return self }
        var out = ""
        for c in self {
            if c == "{" || c == "}" { out.append(c) }
            out.append(c)
        }
        return out
    }
}
