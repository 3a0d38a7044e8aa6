import ArgumentParser
import Foundation
import Rules

/// `warnd eval`: evaluates rules over data files without a daemon.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate rules over data files and print the alerts.",
        discussion: """
            --at evaluates as of a past period (only data up to it); --now fixes the evaluation day (for 'stale'
            rules). --explain RULE shows, per series, the points used, the fitted line, forecast, interval, p_meet
            and progress ratio. --backtest FROM..TO replays the periods one by one (see 'warnd backtest').
            --state-dir DIR evaluates what the daemon's store in DIR holds (read-only) instead of --data files.
            """
    )

    @OptionGroup var rulesOptions: RulesOptions
    @OptionGroup var dataOptions: DataOptions

    @Option(name: .customLong("state-dir"),
        help: "Evaluate the observations stored in this state directory's warnd.sqlite (read-only) instead of --data.")
    var stateDirectory: String?

    @Option(help: "Evaluate as of this period (2024, 2024Q3, 2024-07); default: all data.")
    var at: String?

    @Option(help: "The evaluation day, YYYY-MM-DD; default: today (UTC).")
    var now: String?

    @Option(help: "text (Chinese messages grouped by severity) or json (docs/alerts.md).")
    var format: OutputFormat = .text

    @Option(help: "Explain a rule (its id, or the id before '/' for all its checks).")
    var explain: String?

    @Option(help: "Replay periods FROM..TO and show when each alert fires and clears.")
    var backtest: String?

    @Flag(help: "Print to stderr how long loading the rules, parsing the data and evaluating took (benchmarks).")
    var timings = false

    /// CSV files above twice this size are parsed a part of about this size at a time (hidden: tests make it small).
    @Option(help: .hidden)
    var partBytes = 4 << 20

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    func validate() throws {
        if let at, Period(at) == nil { throw ValidationError("--at: expected a period like 2024, 2024Q3 or 2024-07, found '\(at)'") }
        if let now, CivilDate(now) == nil { throw ValidationError("--now: expected a day like 2025-07-01, found '\(now)'") }
        if let backtest, BacktestRange(backtest) == nil {
            throw ValidationError("--backtest: expected FROM..TO such as 2019..2024, found '\(backtest)'")
        }
        if dataOptions.data.isEmpty && stateDirectory == nil {
            throw ValidationError("give at least one --data file or directory, or --state-dir")
        }
        if !dataOptions.data.isEmpty && stateDirectory != nil { throw ValidationError("give --data or --state-dir, not both") }
    }

    func run() throws {
        let clock = ContinuousClock()
        let t0 = clock.now
        let ruleSet = try rulesOptions.load()
        let t1 = clock.now
        let c1 = Self.cpuTime()
        let (data, parts) = try loadData(ruleSet)
        let t2 = clock.now
        let c2 = Self.cpuTime()
        if let backtest, let range = BacktestRange(backtest) {
            let report = Backtest(ruleSet: ruleSet).run(data, range: range)
            print(format == .json ? report.json() : report.text(), terminator: "")
            return
        }
        let time = EvaluationTime(at: at.flatMap { Period($0) }, now: now.flatMap(CivilDate.init) ?? CivilDate.today())
        // Only --explain shows the quiet outcomes; keeping them all costs memory in proportion to the data.
        let result = Evaluator(ruleSet: ruleSet).evaluate(data, at: time, keeping: explain == nil ? .alerts : .all)
        if timings {
            let t3 = clock.now
            let c3 = Self.cpuTime()
            func ms(_ d: Duration) -> String { String(format: "%.1f", Double(d.components.attoseconds) / 1e15 + Double(d.components.seconds) * 1000) }
            let points = data.series.values.reduce(0) { $0 + $1.points.count }
            // What a daemon pays when one county's file arrives: an incremental evaluation of every series of the
            // first region the rules name (their keys gathered before the clock starts).
            var incremental = ""
            if let region = ruleSet.plans.first?.regions.first {
                let keys = Set(data.series.keys.filter { $0.region == region })
                let evaluator = Evaluator(ruleSet: ruleSet)
                let t4 = clock.now
                let one = evaluator.evaluate(data, at: time, only: keys, keeping: .outcomes)
                let t5 = clock.now
                incremental = "incremental_ms=\(ms(t5 - t4)) incremental_series=\(keys.count) "
                    + "incremental_outcomes=\(one.checkCount) "
            }
            // From a store the data is loaded, not parsed: the same figure under the name the benchmarks read.
            let source = stateDirectory == nil ? "parse" : "load"
            Terminal.err("timings: rules_ms=\(ms(t1 - t0)) \(source)_ms=\(ms(t2 - t1)) eval_ms=\(ms(t3 - t2)) "
                + "\(source)_cpu_ms=\(String(format: "%.1f", c2 - c1)) eval_cpu_ms=\(String(format: "%.1f", c3 - c2)) "
                + "rules=\(ruleSet.ruleCount) series=\(data.count) points=\(points) outcomes=\(result.checkCount) "
                + "alerts=\(result.alerts.count) " + incremental + (stateDirectory == nil ? "parts=\(parts) " : ""))
        }
        if let explain {
            let text = Explanation(ruleSet: ruleSet).render(result, rule: explain)
            guard let text else {
                throw ValidationError("--explain: no rule '\(explain)'"
                    + Suggestion.hint(for: explain, among: ruleSet.rules.map(\.id)))
            }
            print(text, terminator: "")
            return
        }
        let asOf = time.at ?? data.latestPeriod
        switch format {
        case .json:
            Self.writeJSON(result.alerts, evaluatedAt: time.now.description, at: asOf, to: .standardOutput)
            print()
        case .text:
            print(TextReport.render(result, ruleSet: ruleSet, asOf: asOf), terminator: "")
        }
    }
}

extension EvalCommand {
    /// The data to evaluate: the files of --data, or everything stored in --state-dir's store, loaded as the daemon
    /// loads it before READY (so `warnd eval --state-dir S --timings` measures a cold evaluation from the store).
    /// `parts`: how many parts of big files were parsed one at a time (``DataOptions/loadInParts``).
    func loadData(_ ruleSet: RuleSet) throws -> (Dataset, parts: Int) {
        guard let stateDirectory else {
            return try dataOptions.loadInParts(catalog: ruleSet.catalog, regions: ruleSet.regions, partBytes: partBytes)
        }
        do {
            return (try Store(path: stateDirectory + "/warnd.sqlite", readOnly: true).loadDataset(), 0)
        } catch let error as StoreError {
            Terminal.err("warnd: \(error)")
            throw ExitCode(1)
        }
    }

    /// The CPU time of the whole process (all threads) in ms: on a machine shared with other jobs the wall-clock
    /// timings vary with the load, the CPU time much less.
    static func cpuTime() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) * 1000 + Double(t.tv_nsec) / 1e6
    }
}

extension CivilDate {
    /// Today in UTC: the one place the CLI reads the clock.
    static func today() -> CivilDate {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day], from: Date())
        return CivilDate(year: c.year!, month: c.month!, day: c.day!)
    }
}
