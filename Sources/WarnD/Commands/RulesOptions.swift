import ArgumentParser
import Foundation
import Rules

/// `--rules PATH…`: the rules directory or files (the catalog among them).
struct RulesOptions: ParsableArguments {
    @Option(name: .long, parsing: .singleValue, help: "A rules directory or file; repeat for more (default: rules).")
    var rules: [String] = []

    @Option(name: .long, help: "The indicator catalog, when it is not among the rules.")
    var catalog: String?

    var paths: [String] {
        (rules.isEmpty ? ["rules"] : rules) + (catalog.map { [$0] } ?? [])
    }

    /// Loads the rule set, or prints every diagnostic to stderr and exits 1.
    func load() throws -> RuleSet {
        switch RulesLoader.load(paths: paths) {
        case .success(let set):
            return set
        case .failure(let error):
            Terminal.printDiagnostics(error.diagnostics)
            Terminal.err("warnd: \(error.errors.count) error\(error.errors.count == 1 ? "" : "s") in the rules; nothing evaluated")
            throw ExitCode(1)
        }
    }
}

/// Writing to the terminal.
enum Terminal {
    static func err(_ s: String) {
        FileHandle.standardError.write(Data((s + "\n").utf8))
    }

    static func printDiagnostics(_ diagnostics: [Diagnostic]) {
        for d in diagnostics { err(d.description) }
    }
}
