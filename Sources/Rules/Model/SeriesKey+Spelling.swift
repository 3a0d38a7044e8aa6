extension SeriesKey {
    /// Parses the spelling of ``description``: `indicator{region=渠县,area=农村}`; `region` is required.
    public init?(spelling: String) {
        let s = spelling.trimmingCharacters(in: .whitespaces)
        guard let open = s.firstIndex(of: "{"), s.hasSuffix("}") else { return nil }
        let indicator = String(s[..<open]).trimmingCharacters(in: .whitespaces)
        let body = s[s.index(after: open)..<s.index(before: s.endIndex)]
        var labels: [String: String] = [:]
        for part in body.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { return nil }
            let k = kv[0].trimmingCharacters(in: .whitespaces)
            var v = kv[1].trimmingCharacters(in: .whitespaces)
            if v.count >= 2, v.hasPrefix("\""), v.hasSuffix("\"") { v = String(v.dropFirst().dropLast()) }
            guard !k.isEmpty, labels[k] == nil else { return nil }
            labels[k] = v
        }
        guard !indicator.isEmpty, let region = labels.removeValue(forKey: "region"), !region.isEmpty else { return nil }
        self.init(indicator: indicator, region: region, dimensions: labels)
    }
}

import Foundation
