import ArgumentParser
import Foundation
import Rules

/// `warnd generate`: synthetic rules and data at county, province or national scale, for benchmarks (issue 4).
///
/// One shipped county plan pair (default `quxian`: `rules/quxian-*.yaml` with `examples/data/quxian-*.csv`) is
/// instantiated once per synthetic county `县0001`, `县0002`, …: its rules are copied with the plan ids, rule ids
/// and region rewritten by text substitution (the catalog copied unchanged), and its example series are the template
/// of the county's data — every series of the example, plus `sex` breakdowns of each whole-region series so that a
/// county holds about 300 series, over the years asked for. Values are the example's, varied by a seeded
/// pseudo-random factor within ±3 %, so the same arguments always write the same bytes.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write synthetic rules and data files for N counties (benchmarks).",
        discussion: """
            Writes DIR/rules/ (the catalog and two plans per county) and DIR/data/ (one CSV per county, or one
            data.csv with --one-file). Deterministic: the same arguments and --seed give the same files.
            """
    )

    @Option(help: "How many synthetic counties.")
    var counties: Int

    @Option(help: "The output directory (created; its rules/ and data/ are replaced).")
    var out: String

    @Option(help: "The years of the data, FROM-TO.")
    var years: String = "2018-2030"

    @Flag(help: "Write all counties' data into one file, data/data.csv.")
    var oneFile = false

    @Option(help: "The shipped plan pair to instantiate (rules/NAME-*.yaml, examples/data/NAME-*.csv).")
    var template: String = "quxian"

    @Option(help: "The directory of the shipped rules.")
    var rules: String = "rules"

    @Option(help: "The directory of the example data.")
    var examples: String = "examples/data"

    @Option(help: "The seed of the value variation.")
    var seed: UInt64 = 1

    /// How the plans are laid out: as each county's own pair of plan files, or as one pair whose `regions:` lists
    /// every county (how a provincial bureau monitors all its counties against one plan).
    enum RulesLayout: String, ExpressibleByArgument, CaseIterable {
        case perCounty = "per-county"
        case shared
    }

    @Option(help: "per-county: two plan files per county; shared: one file per plan listing every county.")
    var rulesLayout: RulesLayout = .perCounty

    func validate() throws {
        guard counties >= 1, counties <= 99_999 else { throw ValidationError("--counties: 1…99999") }
        guard yearRange != nil else { throw ValidationError("--years: expected FROM-TO such as 2018-2030") }
    }

    var yearRange: ClosedRange<Int>? {
        let parts = years.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, parts[0] <= parts[1], parts[0] >= 1949, parts[1] <= 2100 else { return nil }
        return parts[0]...parts[1]
    }

    /// One template series: its indicator, dimension cells (in the output column order) and values by year.
    struct TemplateSeries {
        var indicator: String
        var dims: [String]
        var byYear: [Int: String]
    }

    func run() throws {
        let fm = FileManager.default
        let range = yearRange!
        // The template: the plan pair's rule files and their example data.
        let ruleFiles = try fm.contentsOfDirectory(atPath: rules)
            .filter { $0.hasPrefix(template + "-") && $0.hasSuffix(".yaml") }.sorted()
        guard !ruleFiles.isEmpty else { throw ValidationError("no \(rules)/\(template)-*.yaml") }
        let ruleTexts = try ruleFiles.map { try String(contentsOfFile: rules + "/" + $0, encoding: .utf8) }
        guard let region = ruleTexts.first.flatMap(Self.region(in:)) else {
            throw ValidationError("\(ruleFiles[0]): no 'regions: [NAME]' line")
        }
        let ruleIdPrefixes = Set(ruleTexts.flatMap(Self.ruleIdPrefixes(in:)))
        let dataFiles = try fm.contentsOfDirectory(atPath: examples)
            .filter { $0.hasPrefix(template + "-") && $0.hasSuffix(".csv") }.sorted()
        guard !dataFiles.isEmpty else { throw ValidationError("no \(examples)/\(template)-*.csv") }
        let dimNames = ["area", "sex"]
        var templateSeries: [TemplateSeries] = []
        var seen = Set<[String]>()
        for file in dataFiles {
            // A series both plans monitor is in both example files: the county's file holds it once.
            for s in try Self.readTemplate(examples + "/" + file, dimNames: dimNames)
            where seen.insert([s.indicator] + s.dims).inserted {
                templateSeries.append(s)
            }
        }
        // Breakdowns: each whole-region series also by sex (男/女), as plans ask for sex-disaggregated data.
        var extra: [TemplateSeries] = []
        let existing = Set(templateSeries.map { [$0.indicator] + $0.dims })
        for s in templateSeries where s.dims.allSatisfy(\.isEmpty) {
            for sex in ["男", "女"] where !existing.contains([s.indicator, "", sex]) {
                extra.append(TemplateSeries(indicator: s.indicator, dims: ["", sex], byYear: s.byYear))
            }
        }
        templateSeries += extra

        let rulesOut = out + "/rules", dataOut = out + "/data"
        for dir in [rulesOut, dataOut] {
            if fm.fileExists(atPath: dir) { try fm.removeItem(atPath: dir) }
            try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        try fm.copyItem(atPath: rules + "/indicators.yaml", toPath: rulesOut + "/indicators.yaml")

        let header = "indicator,region,period,value," + dimNames.joined(separator: ",") + ",source\n"
        var big = oneFile ? header : ""
        var rng = SplitMix64(seed: seed)
        var rows = 0
        if rulesLayout == .shared {
            // One file per plan: the `regions:` line lists every county; other mentions of the template's region
            // (titles, messages) become 各县.
            let all = (1...counties).map { "县" + String(format: "%04d", $0) }.joined(separator: ", ")
            for (name, text) in zip(ruleFiles, ruleTexts) {
                let t = text.replacingOccurrences(of: "regions: [\(region)]", with: "regions: [\(all)]")
                    .replacingOccurrences(of: region, with: "各县")
                try t.write(toFile: rulesOut + "/" + name, atomically: false, encoding: .utf8)
            }
        }
        for c in 1...counties {
            let tag = String(format: "%04d", c)
            let county = "县" + tag
            // Rules: plan ids, rule ids and the region rewritten.
            for (name, text) in zip(ruleFiles, ruleTexts) where rulesLayout == .perCounty {
                var t = text.replacingOccurrences(of: region, with: county)
                t = t.replacingOccurrences(of: "  id: \(template)-", with: "  id: c\(tag)-\(template)-")
                for p in ruleIdPrefixes {
                    t = t.replacingOccurrences(of: "- id: \(p)-", with: "- id: c\(tag)-\(p)-")
                }
                let outName = name.replacingOccurrences(of: template + "-", with: "c\(tag)-\(template)-")
                try t.write(toFile: rulesOut + "/" + outName, atomically: false, encoding: .utf8)
            }
            // Data.
            var text = oneFile ? "" : header
            for s in templateSeries {
                let known = s.byYear.keys.sorted()
                guard let lastYear = known.last else { continue }
                for y in range {
                    // Years of the example keep their value; later ones repeat the last known, earlier the first.
                    let src = s.byYear[y] ?? (y > lastYear ? s.byYear[lastYear]! : s.byYear[known.first!]!)
                    let value = Self.vary(src, &rng)
                    text += s.indicator + "," + county + "," + String(y) + "," + value + ","
                        + s.dims.joined(separator: ",") + ",synthetic\n"
                    rows += 1
                }
            }
            if oneFile {
                big += text
            } else {
                try text.write(toFile: dataOut + "/\(county).csv", atomically: false, encoding: .utf8)
            }
        }
        if oneFile { try big.write(toFile: dataOut + "/data.csv", atomically: false, encoding: .utf8) }
        let perCounty = templateSeries.count
        Terminal.err("warnd generate: \(counties) counties, \(perCounty * counties) series, \(rows) rows, "
            + "\(rulesLayout == .shared ? ruleFiles.count : ruleFiles.count * counties) plans → \(out)")
    }

    /// The region of a plan file's `regions: [NAME]` line.
    static func region(in text: String) -> String? {
        for line in text.split(separator: "\n") {
            let l = line.trimmingCharacters(in: .whitespaces)
            if l.hasPrefix("regions: ["), l.hasSuffix("]") {
                return String(l.dropFirst("regions: [".count).dropLast())
            }
        }
        return nil
    }

    /// The first part of every rule id (`qx` of `qx-w-health-2-mmr`).
    static func ruleIdPrefixes(in text: String) -> [String] {
        text.split(separator: "\n").compactMap { line -> String? in
            let l = line.trimmingCharacters(in: .whitespaces)
            guard l.hasPrefix("- id: ") else { return nil }
            return l.dropFirst("- id: ".count).split(separator: "-").first.map(String.init)
        }
    }

    /// Reads an example CSV (simple: no quoted commas in the columns used) into series.
    static func readTemplate(_ path: String, dimNames: [String]) throws -> [TemplateSeries] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map { String($0) }
        guard !lines.isEmpty else { return [] }
        let head = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        func col(_ n: String) -> Int? { head.firstIndex(of: n) }
        guard let ci = col("indicator"), let cp = col("period"), let cv = col("value") else { return [] }
        let dimCols = dimNames.map { col($0) }
        var order: [[String]] = []
        var series: [[String]: TemplateSeries] = [:]
        for line in lines {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard cells.count >= head.count, let y = Int(cells[cp]), !cells[cv].isEmpty else { continue }
            let dims = dimCols.map { $0.map { cells[$0] } ?? "" }
            let k = [cells[ci]] + dims
            if series[k] == nil {
                order.append(k)
                series[k] = TemplateSeries(indicator: cells[ci], dims: dims, byYear: [:])
            }
            series[k]!.byYear[y] = cells[cv]
        }
        return order.map { series[$0]! }
    }

    /// The value times a factor within ±3 %, with the example's decimals; values of at most 100 stay at most 100
    /// (rates), and none changes sign.
    static func vary(_ text: String, _ rng: inout SplitMix64) -> String {
        guard let v = Double(text) else { return text }
        let decimals = text.split(separator: ".").dropFirst().first?.count ?? 0
        var w = v * (1 + (rng.nextUnit() - 0.5) * 0.06)
        if v <= 100 { w = min(w, 100) }
        return String(format: "%.\(decimals)f", w)
    }
}

/// A small deterministic generator (SplitMix64), the same on every platform.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// In [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
