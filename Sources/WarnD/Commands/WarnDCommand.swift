import ArgumentParser
import Foundation

/// The `warnd` executable: the daemon and the rule tuner's tools.
@main
struct WarnDCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warnd",
        abstract: "Early warning for the monitored indicators of women's and children's development plans.",
        discussion: """
            Rule tuners validate, test, explain and back-test rules with 'check', 'test', 'eval' and 'backtest'
            before the daemon ('run') loads them.
            """,
        version: "0.1.0",
        subcommands: [
            CheckCommand.self, EvalCommand.self, TestCommand.self, BacktestCommand.self, RunCommand.self,
            ReloadCommand.self, IngestCommand.self, ImportCommand.self, GenerateCommand.self,
        ]
    )

    /// Runs the command; usage errors exit 2 (the convention of `check`, like grep and diff), not sysexits' 64.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
