/// The relation a target asks for: `<`, `<=`, `>`, `>=`, or `≈` (保持在…左右, within a tolerance).
public enum Comparison: String, Sendable, Hashable, CaseIterable {
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case approximately = "≈"

    /// Accepts the ASCII and the typographic spellings the plans use.
    public init?(spelling: String) {
        switch spelling.trimmingCharacters(in: .whitespaces) {
        case "<", "＜": self = .less
        case "<=", "≤", "＜=": self = .lessOrEqual
        case ">", "＞": self = .greater
        case ">=", "≥", "＞=": self = .greaterOrEqual
        case "≈", "~", "～": self = .approximately
        default: return nil
        }
    }

    public static let spellings = ["<", "<=", ">", ">=", "≈", "~"]

    /// Whether `value` satisfies the relation to `target`.
    public func holds(_ value: Double, _ target: Double, tolerance: Double = 0) -> Bool {
        switch self {
        case .less: return value < target
        case .lessOrEqual: return value <= target
        case .greater: return value > target
        case .greaterOrEqual: return value >= target
        case .approximately: return abs(value - target) <= tolerance
        }
    }

    /// The typographic symbol used in messages and reports.
    public var symbol: String {
        switch self {
        case .less: return "<"
        case .lessOrEqual: return "≤"
        case .greater: return ">"
        case .greaterOrEqual: return "≥"
        case .approximately: return "≈"
        }
    }

    /// Which way values must move to meet the target (`nil` for ≈, which can be missed from either side).
    public var wantsLower: Bool? {
        switch self {
        case .less, .lessOrEqual: return true
        case .greater, .greaterOrEqual: return false
        case .approximately: return nil
        }
    }
}

import Foundation
