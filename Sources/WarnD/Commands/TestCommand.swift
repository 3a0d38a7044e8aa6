import ArgumentParser
import Foundation
import Rules

/// `warnd test FILE…`: rule unit tests, like `promtool test rules`.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run rule unit tests: input series, evaluation periods and the alerts expected.",
        discussion: "Failures print a diff ('-' expected but missing, '+' produced but not expected); exit 1 on failure."
    )

    @Argument(help: "Test files (YAML).")
    var files: [String]

    func run() throws {
        var failed = 0
        var evaluations = 0
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                Terminal.err("\(file): error: cannot read the file")
                failed += 1
                continue
            }
            let test: RuleTestFile
            switch RuleTestFile.parse([UInt8](data), file: file) {
            case .failure(let e):
                Terminal.printDiagnostics(e.diagnostics)
                failed += 1
                continue
            case .success(let t): test = t
            }
            let dir = (file as NSString).deletingLastPathComponent
            let paths = test.rules.map { $0.hasPrefix("/") ? $0 : (dir.isEmpty ? $0 : dir + "/" + $0) }
            let ruleSet: RuleSet
            switch RulesLoader.load(paths: paths) {
            case .failure(let e):
                Terminal.printDiagnostics(e.diagnostics)
                failed += 1
                continue
            case .success(let s): ruleSet = s
            }
            let summary = RuleTestRunner(ruleSet: ruleSet).run(test)
            evaluations += summary.evaluations
            for f in summary.failures { print(f.description, terminator: "") }
            if summary.failures.isEmpty {
                print("\(file): PASS (\(test.cases.count) tests, \(summary.evaluations) evaluations)")
            } else {
                failed += 1
                print("\(file): FAIL (\(summary.failures.count) of \(summary.evaluations) evaluations failed)")
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }
}
