/// A stable identity for an alert: 64-bit FNV-1a of the rule id and the series key, as 16 hex digits.
///
/// Stable across runs, machines and Swift versions (unlike `Hasher`), so the daemon can keep alert state in its
/// store and ops can grep the journal for one alert's history.
public enum Fingerprint {
    public static func of(rule: String, key: SeriesKey) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func feed(_ s: String) {
            for b in s.utf8 {
                h ^= UInt64(b)
                h = h &* 0x0000_0100_0000_01B3
            }
            h ^= 0x1F
            h = h &* 0x0000_0100_0000_01B3
        }
        feed(rule)
        feed(key.indicator)
        feed(key.region)
        for d in key.dimensions {
            feed(d.name)
            feed(d.value)
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
