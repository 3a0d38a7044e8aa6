/// What a CSV header cell (or a JSON Lines dimension name) means.
///
/// Bureaus export from Chinese-language spreadsheets, so the required columns also go by their usual Chinese
/// headings; every other heading names a breakdown dimension such as `sex` or `area`. Headings are
/// case-insensitive and dimension names are kept in lower case, so `Sex` in one file and `sex` in another are the
/// same dimension and the same series.
enum ColumnRole: Hashable {
    case indicator, region, period, value, source, note
    case dimension(String)

    init(heading: String) {
        let name = heading.lowercased()
        switch name {
        case "indicator", "指标": self = .indicator
        case "region", "地区": self = .region
        case "period", "时期", "年份": self = .period
        case "value", "数值", "值": self = .value
        case "source", "来源": self = .source
        case "note", "备注": self = .note
        default: self = .dimension(name)
        }
    }

    /// The English name of the column: the key used in JSON Lines and in messages.
    var name: String {
        switch self {
        case .indicator: return "indicator"
        case .region: return "region"
        case .period: return "period"
        case .value: return "value"
        case .source: return "source"
        case .note: return "note"
        case .dimension(let name): return name
        }
    }

    static let required: [ColumnRole] = [.indicator, .region, .period, .value]
}
