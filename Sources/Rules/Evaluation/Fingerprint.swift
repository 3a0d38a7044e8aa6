/// A stable identity for an alert: 64-bit FNV-1a of the rule id and the series key, as 16 hex digits.
///
/// Stable across runs, machines and Swift versions (unlike `Hasher`), so the daemon can keep alert state in its
/// store and ops can grep the journal for one alert's history.
public enum Fingerprint {
    public static func of(rule: String, key: SeriesKey) -> String {
        of(rule: RulePrefix(rule), key: key)
    }

    /// The hash state after a rule's id: FNV-1a is a left-to-right fold, so an evaluation that fingerprints many
    /// alerts of one rule feeds its id once (``of(rule:key:)-swift.type.method`` gives the same digits).
    struct RulePrefix: Sendable {
        fileprivate var h: UInt64

        init(_ rule: String) {
            h = 0xcbf2_9ce4_8422_2325
            Fingerprint.feed(rule, into: &h)
        }
    }

    static func of(rule: RulePrefix, key: SeriesKey) -> String {
        hex(value(rule: rule, key: key))
    }

    /// The 64 bits the digits spell: what an ``Alert`` holds, where its id as a string was 64 bytes on the heap
    /// (16 digits are one more than a string holds inline), ≈ 33 MB of a national deployment's alerts.
    static func value(rule: RulePrefix, key: SeriesKey) -> UInt64 {
        var h = rule.h
        feed(key.indicator, into: &h)
        feed(key.region, into: &h)
        for d in key.dimensions {
            feed(d.name, into: &h)
            feed(d.value, into: &h)
        }
        return h
    }

    static func value(rule: String, key: SeriesKey) -> UInt64 {
        value(rule: RulePrefix(rule), key: key)
    }

    /// 16 lower-case hex digits, zero-padded (what `String(h, radix: 16)` padded gave), written in place: one
    /// fingerprint per alert, and formatting then padding made two strings of each.
    static func hex(_ h: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            let digits: StaticString = "0123456789abcdef"
            for i in 0..<16 {
                buffer[i] = digits.utf8Start[Int((h >> UInt64(60 - 4 * i)) & 0xF)]
            }
            return 16
        }
    }

    /// One field: its UTF-8 bytes, then 0x1F as a separator.
    private static func feed(_ s: String, into h: inout UInt64) {
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        h ^= 0x1F
        h = h &* 0x0000_0100_0000_01B3
    }
}
