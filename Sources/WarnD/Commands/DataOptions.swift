import ArgumentParser
import Foundation
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
        var dataset = Dataset()
        var failed = 0
        let parser = ObservationParser(catalog: catalog, regions: regions)
        for file in try files() {
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
        return dataset
    }
}
