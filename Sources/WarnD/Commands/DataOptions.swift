import ArgumentParser
import Foundation
import Glibc
import Rules

/// `--data PATH…`: data files or directories of them, read in name order so later files revise earlier ones.
struct DataOptions: ParsableArguments {
    @Option(name: .long, parsing: .singleValue, help: "A data file (CSV or JSON Lines) or a directory of them; repeat for more.")
    var data: [String] = []

    /// The data files named, directories listed (not recursively) in name order.
    func files() throws -> [String] {
        var out: [String] = []
        for path in data {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw ValidationError("no such file or directory: \(path)")
            }
            if isDir.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path)
                let base = path.hasSuffix("/") ? path : path + "/"
                out += names.filter { DataFormat.infer(fromPath: $0) != nil }.sorted().map { base + $0 }
            } else {
                out.append(path)
            }
        }
        return out
    }

    /// Reads every file into one dataset; any file with errors stops the run with every error printed.
    func load(catalog: IndicatorCatalog, regions: Set<String>?) throws -> Dataset {
        try loadInParts(catalog: catalog, regions: regions).dataset
    }

    /// ``load(catalog:regions:)``, and how many parts of big files were parsed one at a time.
    ///
    /// A CSV file above twice `partBytes` is parsed a part at a time (``CSVPartReader``), each part's rows applied
    /// and dropped; one that cannot be (see there), or whose parts repeat a series and period, is parsed whole, so
    /// that what is read and every error are exactly as from the inbox.
    func loadInParts(catalog: IndicatorCatalog, regions: Set<String>?, partBytes: Int = 4 << 20) throws
        -> (dataset: Dataset, parts: Int)
    {
        var whole: Set<String> = []
        while true {
            do {
                return try load(catalog: catalog, regions: regions, partBytes: partBytes, whole: whole)
            } catch let again as ParseWhole {
                // Rare (a quoted field, a series and period in two parts): everything again, that file whole.
                whole.insert(again.file)
            }
        }
    }

    private struct ParseWhole: Error {
        var file: String
    }

    private func load(catalog: IndicatorCatalog, regions: Set<String>?, partBytes: Int, whole: Set<String>) throws
        -> (dataset: Dataset, parts: Int)
    {
        var dataset = Dataset()
        var parts = 0
        var failed = 0
        let parser = ObservationParser(catalog: catalog, regions: regions)
        for file in try files() {
            if failed == 0, !whole.contains(file), (DataFormat.infer(fromPath: file) ?? .csv) == .csv,
                let size = Self.size(of: file), size > 2 * partBytes,
                let reader = CSVPartReader(path: file, partBytes: partBytes)
            {
                defer { reader.unmap() }
                do {
                    parts += try Self.apply(reader, parser: parser, to: &dataset)
                    continue
                } catch CSVPartReader.Stop.parseWhole {
                    throw ParseWhole(file: file)
                }
            }
            // One file's bytes and observations at a time, dropped before the next: only the dataset grows.
            guard let bytes = FileManager.default.contents(atPath: file).map({ [UInt8]($0) }) else {
                Terminal.err("\(file): error: cannot read the file")
                failed += 1
                continue
            }
            let parsed = parser.parse(bytes, file: file)
            if parsed.errors.isEmpty {
                // Once a file failed nothing is evaluated: the others are only checked.
                if failed == 0 { dataset.apply(parsed.observations) }
            } else {
                for e in parsed.errors { Terminal.err(e.description) }
                failed += 1
            }
        }
        if failed > 0 {
            Terminal.err("warnd: \(failed) data file\(failed == 1 ? "" : "s") rejected; nothing evaluated")
            throw ExitCode(1)
        }
        return (dataset, parts)
    }

    /// Applies a file part by part; returns how many parts. A series and period in two parts is found by a 64-bit hash of each row's
    /// (8 bytes a row, sorted at the end): the whole-file parse drops an identical repeat and refuses a conflicting
    /// one, so any repeat (or a collision of hashes) has the file parsed whole instead.
    private static func apply(_ reader: CSVPartReader, parser: ObservationParser, to dataset: inout Dataset) throws
        -> Int
    {
        var slots: [Int] = []
        var parts = 0
        try reader.forEachPart { text, firstLine in
            parts += 1
            let parsed = parser.parse(csvPart: text, firstLine: firstLine, file: reader.file, encoding: .utf8)
            guard parsed.errors.isEmpty else { throw CSVPartReader.Stop.parseWhole }
            let keyHashes = parsed.table.keys.map(\.hashValue)
            for row in parsed.table.rows {
                var h = Hasher()
                h.combine(keyHashes[Int(row.series)])
                h.combine(row.period)
                slots.append(h.finalize())
            }
            dataset.apply(parsed.observations)
        }
        slots.sort()
        for i in slots.indices.dropFirst() where slots[i] == slots[i - 1] { throw CSVPartReader.Stop.parseWhole }
        return parts
    }

    private static func size(of path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int(st.st_size)
    }
}
