/// The indicators warnd knows, by id.
public struct IndicatorCatalog: Sendable {
    public private(set) var indicators: [String: Indicator]
    /// Catalog order, for stable listings.
    public private(set) var order: [String]

    public init(_ indicators: [Indicator] = []) {
        self.indicators = [:]
        self.order = []
        for i in indicators { insert(i) }
    }

    public subscript(id: String) -> Indicator? { indicators[id] }

    public var count: Int { order.count }

    /// Adds an indicator; returns the earlier one when the id is taken (and keeps it).
    @discardableResult
    public mutating func insert(_ indicator: Indicator) -> Indicator? {
        if let existing = indicators[indicator.id] { return existing }
        indicators[indicator.id] = indicator
        order.append(indicator.id)
        return nil
    }
}
