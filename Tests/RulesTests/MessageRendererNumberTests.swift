import Foundation
import Testing

@testable import Rules

/// The numbers in messages: the integer fast path must give exactly what `String(format:)` gives, ties and
/// values just beside a rounding boundary included.
@Suite struct MessageRendererNumberTests {
    static func reference(_ x: Double) -> String {
        var s = String(format: "%.2f", x)
        while s.contains(".") && (s.hasSuffix("0") || s.hasSuffix(".")) { s.removeLast() }
        return s == "-0" ? "0" : s
    }

    static var values: [Double] {
        var out: [Double] = [0, -0.0, 0.004, -0.004, 0.005, 0.015, 0.125, 0.375, 1.005, 2.675, 12.345, 99.995, 13.2,
            95, 0.05, -1.5, -12.25, 1e11 + 0.125, 123_456_789.015, 1e13, 7.0000000001, 0.0049999999]
        // A deterministic sweep: hundredths, their neighbours one ulp away, and half-hundredths.
        for i in -3000...3000 {
            let v = Double(i) / 100
            out += [v, v.nextUp, v.nextDown, v + 0.005, (v + 0.005).nextUp, (v + 0.005).nextDown, v / 7, v * 3.3]
        }
        return out
    }

    @Test func numberMatchesPrintf() {
        let mismatches = Self.values.filter { MessageRenderer.number($0) != Self.reference($0) }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5).map { "\($0): \(MessageRenderer.number($0)) vs \(Self.reference($0))" })")
    }

    @Test func percentMatchesPrintf() {
        let values = (0...2000).flatMap { i -> [Double] in
            let p = Double(i) / 2000
            return [p, p.nextUp, p.nextDown, p / 3]
        } + [0.125, 0.005, 0.015, 0.995, -0.001, -0.3]
        let mismatches = values.filter { MessageRenderer.percent($0) != String(format: "%.0f%%", $0 * 100) }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }
}
