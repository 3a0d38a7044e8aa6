/// The file name of a region's alert file, `alerts/regions/<name>.json`.
///
/// Region names are data (from rules and data files), so they cannot become paths as they are: a `/` would leave
/// the folder, `..` or a leading `.` would escape or hide, control characters would garble listings. Letters and
/// digits of any script stay readable (`县0001.json`); every other byte is written `%XX` (uppercase hex of the
/// UTF-8 byte), so `.`, `/`, `%`, spaces and controls never appear raw and distinct regions never share a file.
/// A name longer than 200 bytes once encoded is cut and suffixed `~` and a 64-bit FNV-1a hash of the region (`~`
/// is never produced by the escaping, so it cannot collide with a short name). The empty region is `%`.
enum RegionFileName {
    static func of(_ region: String) -> String {
        if region.isEmpty { return "%" }
        var out = ""
        for scalar in region.unicodeScalars {
            if keeps(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                for b in String(scalar).utf8 { out += "%" + hex(b) }
            }
        }
        guard out.utf8.count > 200 else { return out }
        var cut = ""
        for ch in out.unicodeScalars {
            if cut.utf8.count + String(ch).utf8.count > 160 { break }
            cut.unicodeScalars.append(ch)
        }
        // Do not end inside a %XX escape.
        while let i = cut.lastIndex(of: "%"), cut.distance(from: i, to: cut.endIndex) < 3 { cut = String(cut[..<i]) }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in region.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        let digits = String(h, radix: 16)
        return cut + "~" + String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// ASCII letters, digits, `-` and `_`; beyond ASCII, letters and digits (CJK included), never controls,
    /// separators, format characters or anything a terminal or shell treats specially.
    private static func keeps(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII {
            return (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "-" || s == "_"
        }
        let p = s.properties
        return p.isAlphabetic || p.numericType != nil
    }

    private static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
    }
}
