/// The two layouts a statistics bureau may deliver: a spreadsheet export or one JSON object per line.
///
/// Most files come from Excel or WPS as CSV; JSON Lines is for systems that export data programmatically.
public enum DataFormat: String, Sendable, Hashable, CaseIterable {
    case csv
    case jsonl

    /// The format a file name announces: `.csv`, or `.jsonl`, `.ndjson` and `.json` (all read as JSON Lines);
    /// `nil` when the extension says nothing, in which case the content decides.
    public static func infer(fromPath path: String) -> DataFormat? {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        guard let dot = name.lastIndex(of: ".") else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "csv": return .csv
        case "jsonl", "ndjson", "json": return .jsonl
        default: return nil
        }
    }

    /// The format of decoded content whose path said nothing: a first non-blank `{` means JSON Lines.
    static func sniff(_ bytes: UnsafeBufferPointer<UInt8>) -> DataFormat {
        for b in bytes {
            switch b {
            case 0x20, 0x09, 0x0A, 0x0D: continue
            case UInt8(ascii: "{"): return .jsonl
            default: return .csv
            }
        }
        return .csv
    }
}
