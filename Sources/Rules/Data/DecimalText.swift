/// Reads a data value such as `12.5`, `-3e2`, `８７．５` or `98.1%` from the bytes of a cell.
///
/// Values are parsed from bytes rather than through `String` and `Double(_:)` because this runs once per row of
/// files with millions of rows. The grammar is deliberately narrow: an optional sign, digits with an optional
/// decimal point, an optional exponent. Spreadsheet artefacts that look numeric but are ambiguous (`NaN`, `inf`,
/// `1,234`, which in some locales means 1.234) are rejected rather than guessed. Full-width forms typed with a
/// Chinese input method (`０`–`９`, `．`, `－`, `＋`, `％`, the ideographic space) mean the same as ASCII and are
/// accepted.
enum DecimalText {
    enum Result: Equatable {
        /// Nothing but blank space: the value was not reported.
        case empty
        case number(Double, percent: Bool)
        /// Not a decimal number at all; `thousandsSeparator` when it looks like `1,234`.
        case invalid(thousandsSeparator: Bool)
        /// Well formed, but too large for a `Double` (`1e999`).
        case outOfRange
    }

    /// Parses `bytes`, which may carry blank space around the number.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result {
        let p = CellText.trim(bytes)
        if p.isEmpty { return .empty }
        if p.contains(where: { $0 >= 0x80 }) { return parseNormalised(p) }
        return parseASCII(p)
    }

    /// Replaces full-width forms by their ASCII equivalents, then parses; other non-ASCII text is invalid.
    private static func parseNormalised(_ p: UnsafeBufferPointer<UInt8>) -> Result {
        var ascii: [UInt8] = []
        ascii.reserveCapacity(p.count)
        var i = 0
        var foreign = false
        while i < p.count {
            let b = p[i]
            if b < 0x80 {
                ascii.append(b)
                i += 1
            } else if b == 0xEF, i + 2 < p.count, p[i + 1] == 0xBC {
                // U+FF00…U+FF3F: full-width ASCII punctuation and digits.
                let c = p[i + 2]
                switch c {
                case 0x90...0x99: ascii.append(c - 0x90 + UInt8(ascii: "0"))
                case 0x8E: ascii.append(UInt8(ascii: "."))
                case 0x8D: ascii.append(UInt8(ascii: "-"))
                case 0x8B: ascii.append(UInt8(ascii: "+"))
                case 0x85: ascii.append(UInt8(ascii: "%"))
                case 0x8C: ascii.append(UInt8(ascii: ","))
                default: foreign = true
                }
                i += 3
            } else if b == 0xE3, i + 2 < p.count, p[i + 1] == 0x80, p[i + 2] == 0x80 {
                ascii.append(0x20)  // ideographic space
                i += 3
            } else if b == 0xC2, i + 1 < p.count, p[i + 1] == 0xA0 {
                ascii.append(0x20)  // no-break space
                i += 2
            } else {
                foreign = true
                i += 1
            }
        }
        if foreign { return .invalid(thousandsSeparator: false) }
        return ascii.withUnsafeBufferPointer { parseASCII(CellText.trim($0)) }
    }

    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Parses trimmed ASCII. Exact: small cases use the exact fast path (an integer mantissa below 2^53 scaled by
    /// an exactly representable power of ten is correctly rounded), the rest go through the correctly rounded
    /// standard library conversion.
    static func parseASCII(_ p: UnsafeBufferPointer<UInt8>) -> Result {
        var end = p.count
        var percent = false
        if end > 0, p[end - 1] == UInt8(ascii: "%") {
            percent = true
            end -= 1
            while end > 0, p[end - 1] == 0x20 || p[end - 1] == 0x09 { end -= 1 }
        }
        var i = 0
        if i < end, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { i += 1 }
        let negative = i == 1 && p[0] == UInt8(ascii: "-")
        var mantissa: UInt64 = 0
        var significant = 0
        var exponent = 0
        var inexact = false
        var sawDigit = false
        while i < end, p[i] &- 0x30 < 10 {
            let d = UInt64(p[i] &- 0x30)
            sawDigit = true
            if significant < 19 {
                if mantissa != 0 || d != 0 {
                    mantissa = mantissa &* 10 &+ d
                    significant += 1
                }
            } else {
                exponent += 1
                if d != 0 { inexact = true }
            }
            i += 1
        }
        if i < end, p[i] == UInt8(ascii: ".") {
            i += 1
            while i < end, p[i] &- 0x30 < 10 {
                let d = UInt64(p[i] &- 0x30)
                sawDigit = true
                if significant < 19 {
                    if mantissa != 0 || d != 0 {
                        mantissa = mantissa &* 10 &+ d
                        significant += 1
                    }
                    exponent -= 1
                } else if d != 0 {
                    inexact = true
                }
                i += 1
            }
        }
        guard sawDigit else { return .invalid(thousandsSeparator: false) }
        if i < end, p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") {
            i += 1
            var negativeExponent = false
            if i < end, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") {
                negativeExponent = p[i] == UInt8(ascii: "-")
                i += 1
            }
            var e = 0
            var sawExponentDigit = false
            while i < end, p[i] &- 0x30 < 10 {
                if e < 100_000 { e = e * 10 + Int(p[i] &- 0x30) }
                sawExponentDigit = true
                i += 1
            }
            guard sawExponentDigit else { return .invalid(thousandsSeparator: false) }
            exponent += negativeExponent ? -e : e
        }
        guard i == end else { return .invalid(thousandsSeparator: looksLikeThousands(p)) }
        if mantissa == 0 { return .number(0, percent: percent) }
        if !inexact, mantissa <= 1 << 53, exponent >= -22, exponent <= 22 {
            var v = Double(mantissa)
            v = exponent < 0 ? v / powersOfTen[-exponent] : v * powersOfTen[exponent]
            return .number(negative ? -v : v, percent: percent)
        }
        guard let v = Double(String(decoding: UnsafeBufferPointer(rebasing: p[0..<end]), as: UTF8.self)) else {
            return .invalid(thousandsSeparator: false)
        }
        return v.isFinite ? .number(v, percent: percent) : .outOfRange
    }

    /// Whether text like `1,234` or `12,345.6` was meant as a number with thousands separators.
    private static func looksLikeThousands(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
        var sawComma = false
        for b in p {
            switch b {
            case UInt8(ascii: ","): sawComma = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "+"),
                UInt8(ascii: "%"), 0x20:
                continue
            default: return false
            }
        }
        return sawComma
    }

    /// A number as people write it in messages: `100000` rather than `100000.0`.
    static func format(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }
}
