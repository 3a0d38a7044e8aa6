import CSystemd
import Glibc

/// Sends structured entries to journald through `sd_journal_sendv`.
///
/// Swift cannot call the variadic `sd_journal_send`; `sd_journal_sendv` takes one iovec per `FIELD=value`, which is
/// also what makes entries injection-proof: a value holding a newline or `=` stays inside its own field.
enum Journal {
    /// Field names journald accepts: `[A-Z0-9_]`, not starting with `_` (those are trusted fields it sets itself).
    static func isValidFieldName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first != UInt8(ascii: "_"), name.utf8.count <= 64 else { return false }
        return name.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }

    /// A metadata key as a journal field name: `indicator` → `WARND_INDICATOR`, `area-code` → `WARND_AREA_CODE`.
    static func fieldName(forMetadataKey key: String) -> String {
        if isValidFieldName(key) && (key.hasPrefix("WARND_") || reserved.contains(key)) { return key }
        var out = "WARND_"
        for u in key.unicodeScalars {
            switch u {
            case "a"..."z": out.unicodeScalars.append(Unicode.Scalar(u.value - 32)!)
            case "A"..."Z", "0"..."9", "_": out.unicodeScalars.append(u)
            default: out += "_"
            }
        }
        return String(out.prefix(64))
    }

    /// Journal fields a caller may set directly through metadata.
    static let reserved: Set<String> = ["MESSAGE_ID", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC"]

    /// Sends one entry; returns 0 or a negative errno, as `sd_journal_sendv` does.
    @discardableResult
    static func send(_ fields: [(name: String, value: String)]) -> Int32 {
        var storage: [UInt8] = []
        var ranges: [(Int, Int)] = []
        for f in fields where isValidFieldName(f.name) {
            let start = storage.count
            storage.append(contentsOf: f.name.utf8)
            storage.append(UInt8(ascii: "="))
            storage.append(contentsOf: f.value.utf8)
            ranges.append((start, storage.count - start))
        }
        return storage.withUnsafeMutableBytes { raw -> Int32 in
            var iov = ranges.map { iovec(iov_base: raw.baseAddress! + $0.0, iov_len: $0.1) }
            return iov.withUnsafeMutableBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
        }
    }

    /// Whether journald is there to receive entries: its socket exists (the `auto` log target uses this).
    static var isAvailable: Bool {
        access("/run/systemd/journal/socket", F_OK) == 0
    }
}
