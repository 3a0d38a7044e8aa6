import ArgumentParser
import Rules

/// `warnd backtest`: replays periods and shows when each alert would have fired and cleared.
struct BacktestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Replay periods one by one and show each alert's firing and clearing.",
        discussion: "Each step evaluates as of period P on 31 December of the following year."
    )

    @OptionGroup var rulesOptions: RulesOptions
    @OptionGroup var dataOptions: DataOptions

    @Option(help: "The first period to replay.")
    var from: String

    @Option(help: "The last period to replay.")
    var to: String

    @Option(help: "text or json.")
    var format: EvalCommand.OutputFormat = .text

    func validate() throws {
        guard BacktestRange("\(from)..\(to)") != nil else {
            throw ValidationError("--from/--to: expected periods like 2019 and 2024 with from <= to")
        }
        if dataOptions.data.isEmpty { throw ValidationError("give at least one --data file or directory") }
    }

    func run() throws {
        let ruleSet = try rulesOptions.load()
        let data = try dataOptions.load(catalog: ruleSet.catalog, regions: ruleSet.regions)
        let report = Backtest(ruleSet: ruleSet).run(data, range: BacktestRange("\(from)..\(to)")!)
        print(format == .json ? report.json() : report.text(), terminator: "")
    }
}
