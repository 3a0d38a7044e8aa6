import Foundation
import Dispatch
import Yams

/// Loads a catalog and rules files into a validated ``RuleSet``, or every problem found.
///
/// Files are classified by their top-level key (`indicators:` is a catalog, `plan:` a rules file), catalogs are read
/// first so that rules can be checked against them, and ids must be unique across all files.
public enum RulesLoader {
    /// A file given by content, for tests and for callers that read files themselves.
    public struct Input: Sendable {
        public var path: String
        public var bytes: [UInt8]
        public init(path: String, bytes: [UInt8]) {
            self.path = path
            self.bytes = bytes
        }
    }

    /// Loads every `*.yaml`/`*.yml` in the given directories and the given files.
    public static func load(paths: [String]) -> Result<RuleSet, RulesLoadError> {
        var inputs: [Input] = []
        var diags: [Diagnostic] = []
        for path in expand(paths, diagnostics: &diags) {
            guard let data = FileManager.default.contents(atPath: path) else {
                diags.append(Diagnostic(SourceLocation(file: path, line: 1, column: 1), "cannot read the file"))
                continue
            }
            inputs.append(Input(path: path, bytes: [UInt8](data)))
        }
        if !diags.isEmpty { return .failure(RulesLoadError(diags)) }
        return load(inputs)
    }

    /// The YAML files named by `paths`: directories are listed (not recursively), in name order.
    public static func expand(_ paths: [String], diagnostics: inout [Diagnostic]) -> [String] {
        var files: [String] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                diagnostics.append(Diagnostic(SourceLocation(file: path, line: 1, column: 1), "no such file or directory"))
                continue
            }
            if isDir.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                let base = path.hasSuffix("/") ? path : path + "/"
                files += names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { base + $0 }
            } else {
                files.append(path)
            }
        }
        return files
    }

    public static func load(_ inputs: [Input]) -> Result<RuleSet, RulesLoadError> {
        let sink = DiagnosticSink()
        var catalogDocs: [YAMLDocument] = []
        var ruleDocs: [YAMLDocument] = []
        // The files are parsed concurrently (on all cores): YAML is most of the time of loading many plans (a
        // province's 366 files, issue 4), and each file parses on its own. The results are used in input order.
        var parsed = [Result<YAMLDocument, RulesLoadError>?](repeating: nil, count: inputs.count)
        parsed.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer
            DispatchQueue.concurrentPerform(iterations: inputs.count) { i in
                out[i] = YAMLDocument.parse(inputs[i].bytes, file: inputs[i].path)
            }
        }
        for (input, result) in zip(inputs, parsed) {
            switch result! {
            case .failure(let e):
                sink.diagnostics += e.diagnostics
            case .success(let doc):
                guard let root = doc.root, case .mapping(let m) = root else {
                    sink.error(SourceLocation(file: input.path, line: 1, column: 1),
                        "expected a catalog ('indicators:') or a rules file ('plan:' and 'rules:')")
                    continue
                }
                let keys = m.keys.compactMap(\.string)
                if keys.contains("indicators") {
                    catalogDocs.append(doc)
                } else if keys.contains("plan") || keys.contains("rules") {
                    ruleDocs.append(doc)
                } else {
                    sink.error(YAMLDocument.location(of: root, file: input.path),
                        "expected a catalog ('indicators:') or a rules file ('plan:' and 'rules:'), found keys "
                            + keys.map { "'\($0)'" }.joined(separator: ", "))
                }
            }
        }
        var catalog = IndicatorCatalog()
        for doc in catalogDocs { CatalogLoader.load(doc.root!, file: doc.file, into: &catalog, sink: sink) }
        if catalogDocs.isEmpty, let first = ruleDocs.first {
            sink.error(SourceLocation(file: first.file, line: 1, column: 1),
                "no indicator catalog: put indicators.yaml beside the rules files or name it on the command line")
        }
        var plans: [Plan] = []
        var planIDs: [String: SourceLocation] = [:]
        var ruleIDs: [String: SourceLocation] = [:]
        for doc in ruleDocs {
            guard let plan = PlanLoader(file: doc.file, catalog: catalog, sink: sink).load(doc.root!) else { continue }
            if let first = planIDs[plan.id] {
                sink.error(plan.location!, "duplicate plan id '\(plan.id)' (first at \(first))")
                continue
            }
            planIDs[plan.id] = plan.location
            for rule in plan.rules {
                if let first = ruleIDs[rule.id] {
                    sink.error(rule.location!, "duplicate rule id '\(rule.id)' (first at \(first))")
                }
                ruleIDs[rule.id] = ruleIDs[rule.id] ?? rule.location
            }
            plans.append(plan)
        }
        let diags = sink.diagnostics.sorted { ($0.location.file, $0.location.line, $0.location.column) < ($1.location.file, $1.location.line, $1.location.column) }
        if sink.hasErrors { return .failure(RulesLoadError(diags)) }
        return .success(RuleSet(catalog: catalog, plans: plans))
    }
}
