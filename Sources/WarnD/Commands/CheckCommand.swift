import ArgumentParser
import Rules

/// `warnd check PATH…`: validates the catalog and rules files, gcc-style errors, exit 0 valid / 1 invalid.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the indicator catalog and rules files.",
        discussion: """
            Prints every problem as 'file:line:column: error: message' and a one-line summary.
            Exit status: 0 valid, 1 invalid, 2 usage error.
            """
    )

    @Argument(help: "Rules directories or files (default: rules).")
    var paths: [String] = []

    func run() throws {
        let paths = self.paths.isEmpty ? ["rules"] : self.paths
        var expandDiagnostics: [Diagnostic] = []
        let files = RulesLoader.expand(paths, diagnostics: &expandDiagnostics)
        switch RulesLoader.load(paths: paths) {
        case .success(let set):
            print("\(files.count) file\(files.count == 1 ? "" : "s") OK: \(set.catalog.count) indicators, "
                + "\(set.plans.count) plan\(set.plans.count == 1 ? "" : "s"), \(set.ruleCount) rules")
        case .failure(let error):
            Terminal.printDiagnostics(error.diagnostics)
            let n = error.errors.count
            Terminal.err("\(n) error\(n == 1 ? "" : "s") in \(Set(error.errors.map(\.location.file)).count) of \(files.count) files")
            throw ExitCode(1)
        }
    }
}
