import ArgumentParser
import Foundation
import Logging
import Rules
import ServiceLifecycle

/// `warnd run`: the daemon, in the foreground (systemd `Type=notify`, or a terminal).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon: watch the inbox, evaluate, announce alerts to journald and write alert files."
    )

    @OptionGroup var daemon: DaemonOptions

    @Option(help: "Fix the evaluation day (YYYY-MM-DD), for demonstrations and tests; default: today (UTC).")
    var now: String?

    func validate() throws {
        if let now, CivilDate(now) == nil { throw ValidationError("--now: expected a day like 2025-07-01, found '\(now)'") }
    }

    func run() async throws {
        let config = try daemon.resolve()
        let toJournal = config.log == .journal || (config.log == .auto && Journal.isAvailable)
        let level = Logger.Level(rawValue: config.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var h: any LogHandler = toJournal ? JournalLogHandler(label: label) : TerminalLogHandler()
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "warnd")
        let notifier = SystemdNotifier()
        // Before anything reads or repairs the state: a second daemon must not touch it at all.
        let lock: StateDirectoryLock
        do {
            try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
            lock = try StateDirectoryLock(stateDirectory: config.stateDirectory)
        } catch {
            logger.critical("cannot start: \(error)")
            if toJournal { Terminal.err("warnd: cannot start: \(error)") }
            throw ExitCode(1)
        }
        defer { withExtendedLifetime(lock) {} }

        let clock = ContinuousClock()
        let started = clock.now
        let ruleSet: RuleSet
        switch RulesLoader.load(paths: config.rules) {
        case .success(let s): ruleSet = s
        case .failure(let e):
            for d in e.diagnostics {
                logger.critical("cannot start: \(d)", metadata: [
                    "MESSAGE_ID": "\(MessageID.reloadFailed)", "rules_file": "\(d.location.file)",
                    "rules_line": "\(d.location.line)", "rules_column": "\(d.location.column)",
                ])
            }
            if toJournal { Terminal.printDiagnostics(e.diagnostics) }
            throw ExitCode(1)
        }
        let rulesLoaded = clock.now
        let fixedDay = now.flatMap(CivilDate.init)
        let daemon: WarnDaemon
        do {
            daemon = try WarnDaemon(config: config, ruleSet: ruleSet, logger: logger, notifier: notifier,
                today: { fixedDay ?? CivilDate.today() })
            try await daemon.start(announceLater: true)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }

        var services: [any Service] = [
            ScheduleService(daemon: daemon, interval: config.evaluationInterval),
            ReloadSignalService(daemon: daemon),
        ]
        services += try await Self.ingestServices(config: config, daemon: daemon, logger: logger)
        if let usec = notifier.watchdogInterval() {
            services.append(WatchdogService(daemon: daemon, notifier: notifier, intervalMicroseconds: usec))
        }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        let status = await daemon.statusLine
        notifier.ready(status: status)
        // How long each phase of the startup took (the benchmark reads these).
        var phases: [(String, Duration)] = [("rules_load", rulesLoaded - started)]
        phases += await daemon.startupTimings
        phases.append(("total", clock.now - started))
        var metadata: Logger.Metadata = [
            "MESSAGE_ID": "\(MessageID.started)", "state_directory": "\(config.stateDirectory)",
        ]
        for (name, d) in phases { metadata["startup_\(name)_ms"] = "\(Self.milliseconds(d))" }
        logger.notice("warnd ready: \(status)", metadata: metadata)
        logger.info("startup took \(phases.map { "\($0.0) \(Self.milliseconds($0.1)) ms" }.joined(separator: ", "))")
        let memory = await daemon.startupMemory
        logger.info("startup rss MiB: \(memory.map { "\($0.0) \($0.1)" }.joined(separator: ", "))")
        // The stored transitions not yet logged reach `events.jsonl` and the journal now, after READY=1, in order (see
        // start(announceLater:)). Shutdown logs whatever is still left.
        Task { await daemon.catchUpLogs() }
        try await group.run()
        notifier.stopping()
        await daemon.shutdown()
        logger.notice("warnd stopped")
    }

    static func milliseconds(_ d: Duration) -> String {
        String(format: "%.1f", Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
    }
}
