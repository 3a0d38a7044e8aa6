import Foundation
import Logging
import Rules

/// The running daemon's shared state: the rules in force, the data, the alert state, and the outputs.
///
/// An actor, because ingestion, the schedule, reloads and the watchdog all reach it concurrently; everything it
/// holds is a value, and evaluation itself is the pure ``Evaluator``.
actor WarnDaemon: SubmissionHandler {
    nonisolated let config: DaemonConfiguration
    nonisolated let store: Store
    let logger: Logger
    let notifier: SystemdNotifier
    let eventLog: EventLog
    /// The evaluation day; injectable so tests pin it.
    nonisolated let today: @Sendable () -> CivilDate

    private(set) var ruleSet: RuleSet
    private(set) var rulesLoadedAt: String
    private(set) var dataset: Dataset
    private var tracker: AlertTracker
    /// Every pending or firing alert as last evaluated, by id.
    private(set) var current: [String: Alert] = [:]
    private var lastFile: String?
    private var reloadGeneration = 0
    private var lastReloadError: String?

    /// Loads the store and alert state; call ``start()`` next.
    init(config: DaemonConfiguration, ruleSet: RuleSet, logger: Logger, notifier: SystemdNotifier = SystemdNotifier(),
        today: @escaping @Sendable () -> CivilDate = { CivilDate.today() }) throws
    {
        self.config = config
        self.logger = logger
        self.notifier = notifier
        self.today = today
        self.ruleSet = ruleSet
        self.rulesLoadedAt = Self.timestamp()
        for dir in [config.stateDirectory, config.alertsDirectory] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        store = try Store(path: config.database)
        dataset = try store.loadDataset()
        tracker = AlertTracker(records: try store.alertRecords())
        eventLog = EventLog(path: config.alertsDirectory + "/events.jsonl")
        lastFile = try store.meta("last_file")
    }

    /// Catches the event log up, evaluates everything and writes the alert files: what must be true before READY=1.
    func start() throws {
        try catchUpEventLog()
        evaluate(only: nil, reason: "startup")
        try writeReloadStatus(ok: true, errors: [])
        logger.info("rules loaded", metadata: [
            "MESSAGE_ID": "\(MessageID.rulesLoaded)", "plans": "\(ruleSet.plans.count)", "rules": "\(ruleSet.ruleCount)",
            "rules_path": "\(config.rules.joined(separator: ","))",
        ])
    }

    static func timestamp(_ date: Date = Date()) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }

    // MARK: status

    /// The human `STATUS=` line of `systemctl status`.
    var statusLine: String {
        let firing = current.values.filter { $0.state == .firing }
        let bySeverity = Severity.allCases.map { s in "\(firing.filter { $0.severity == s }.count) \(s.rawValue)" }
        var s = "\(ruleSet.ruleCount) rules, \(dataset.count) series; firing: " + bySeverity.joined(separator: ", ")
        if let f = lastFile { s += "; last file \(f)" }
        if let e = lastReloadError { s += "; RELOAD FAILED (\(e)), keeping rules from \(rulesLoadedAt)" }
        return s
    }

    // MARK: ingestion

    /// Judges and stores one data file. The ingest layer logs the outcome (once, after moving the file), so this
    /// logs nothing of its own but the evaluation that follows.
    func handle(_ submission: Submission) async -> SubmissionResult {
        do {
            if let earlier = try store.submission(sha256: submission.sha256) { return .duplicate(of: earlier.name) }
        } catch {
            return .failed(reason: "\(error)")
        }
        let parser = ObservationParser(catalog: ruleSet.catalog, regions: ruleSet.regions)
        let parsed = parser.parse(submission.bytes, file: submission.name)
        guard parsed.errors.isEmpty else { return .rejected(reasons: parsed.errors.map(\.description)) }
        let stored: (rows: Int, series: Set<SeriesKey>)
        do {
            stored = try store.accept(parsed.table, name: submission.name, sha256: submission.sha256,
                receivedAt: Self.timestamp(), format: parsed.format.rawValue, encoding: parsed.encoding)
        } catch {
            return .failed(reason: "\(error)")
        }
        dataset.apply(parsed.observations)
        lastFile = submission.name
        try? store.setMeta("last_file", submission.name)
        evaluate(only: stored.series, reason: "data file \(submission.name)")
        return .accepted(rows: stored.rows, series: stored.series.count)
    }

    // MARK: evaluation

    /// Evaluates all series (`only == nil`) or the series a submission touched, announces transitions and rewrites
    /// the alert files.
    @discardableResult
    func evaluate(only keys: Set<SeriesKey>?, reason: String) -> Evaluator.Result {
        let started = ContinuousClock.now
        let time = EvaluationTime(at: nil, now: today())
        let result = Evaluator(ruleSet: ruleSet).evaluate(dataset, at: time, only: keys)
        let now = Self.timestamp()
        var next = tracker
        let (transitions, changed) = next.apply(result, complete: keys == nil, now: now)
        let events = transitions.map { t in
            (at: now, alertID: t.record.id, change: t.change.rawValue, rule: t.record.rule,
                severity: t.record.severity.rawValue, payload: payload(t))
        }
        do {
            let stored = try store.record(changed, events: events)
            tracker = next
            try eventLog.append(stored.map(EventLog.line))
        } catch {
            logger.error("could not record alert state: \(error); will retry at the next evaluation",
                metadata: ["MESSAGE_ID": "\(MessageID.ingestFailed)", "reason": "\(error)"])
            return result
        }
        if keys == nil {
            current = Dictionary(result.alerts.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        } else {
            for o in result.outcomes { current[o.id] = nil }
            for a in result.alerts { current[a.id] = a }
        }
        for t in transitions { announce(t) }
        writeAlertFiles()
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        logger.info("evaluation finished (\(reason)): \(result.outcomes.count) checks, \(result.alerts.count) alerts, \(transitions.count) transitions",
            metadata: [
                "MESSAGE_ID": "\(MessageID.evaluationFinished)", "checks": "\(result.outcomes.count)",
                "alerts": "\(result.alerts.count)", "transitions": "\(transitions.count)",
                "duration_ms": "\(String(format: "%.1f", ms))", "scope": "\(keys == nil ? "all" : "\(keys!.count) series")",
            ])
        notifier.status(statusLine)
        return result
    }

    /// The event's alert object: the full alert JSON for `firing`, the remembered record for `resolved`.
    private func payload(_ t: AlertTracker.Transition) -> String {
        if let a = t.alert { return String(decoding: AlertJSON.encode(AlertJSON.object(a), pretty: false), as: UTF8.self) }
        let r = t.record
        let object: [String: String] = [
            "id": r.id, "rule": r.rule, "plan": r.plan, "indicator": r.key.indicator, "region": r.key.region,
            "severity": r.severity.rawValue, "message": r.message, "state": "resolved",
        ]
        return String(decoding: AlertJSON.encode(object, pretty: false), as: UTF8.self)
    }

    /// One journal entry per transition: Chinese MESSAGE, priority by severity (resolved: notice), WARND_* fields.
    private func announce(_ t: AlertTracker.Transition) {
        let r = t.record
        var meta: Logger.Metadata = [
            "MESSAGE_ID": "\(t.change == .firing ? MessageID.alertFiring : MessageID.alertResolved)",
            "alert_id": "\(r.id)", "rule": "\(r.rule)", "severity": "\(r.severity.rawValue)",
            "state": "\(t.change.rawValue)", "plan": "\(r.plan)", "indicator": "\(r.key.indicator)",
            "region": "\(r.key.region)",
        ]
        for d in r.key.dimensions { meta["dim_\(d.name)"] = "\(d.value)" }
        if let a = t.alert {
            meta["kind"] = "\(a.rule.kind.name.rawValue)"
            if let p = a.outcome.period { meta["period"] = "\(p)" }
            if let v = a.outcome.value { meta["value"] = "\(MessageRenderer.number(v))" }
            if let tv = a.outcome.targetValue, let t = a.rule.target {
                meta["target"] = "\(t.comparison.rawValue)\(MessageRenderer.number(tv)) \(t.scope == .everyYear ? "every year" : "by \(t.year)")"
            }
            if let f = a.outcome.forecast {
                if let v = f.value { meta["forecast"] = "\(MessageRenderer.number(v))" }
                if let p = f.pMeet { meta["p_meet"] = "\(String(format: "%.4f", p))" }
                meta["status"] = "\(f.status.rawValue)"
            }
            if let d = a.rule.department { meta["department"] = "\(d)" }
        }
        if let rule = ruleSet.rule(r.rule)?.1 {
            meta["kind"] = meta["kind"] ?? "\(rule.kind.name.rawValue)"
            if let d = rule.department { meta["department"] = meta["department"] ?? "\(d)" }
        }
        switch t.change {
        case .firing:
            let level: Logger.Level = r.severity == .critical ? .critical : r.severity == .warning ? .warning : .info
            logger.log(level: level, "\(r.message)", metadata: meta)
        case .resolved:
            logger.notice("已解除：\(r.message)", metadata: meta)
        }
    }

    // MARK: files

    /// active.json and report.md, atomically; a failure is logged and retried at the next evaluation.
    func writeAlertFiles() {
        let alerts = current.values.sorted(by: Alert.ordered)
        let asOf = dataset.periods.last
        let doc = AlertJSON.document(alerts, evaluatedAt: today().description, at: asOf)
        do {
            try AtomicFile.write(AlertJSON.encode(doc), to: config.alertsDirectory + "/active.json")
            let since = Int64(try store.meta("report_watermark") ?? "0") ?? 0
            let events = try store.events(after: since)
            let resolved = events.filter { $0.change == "resolved" }.compactMap { e -> CommitteeReport.Resolved? in
                guard let o = try? JSONSerialization.jsonObject(with: Data(e.payload.utf8)) as? [String: Any] else { return nil }
                let indicator = (o["indicator"] as? String).flatMap { ruleSet.catalog[$0]?.name } ?? (o["indicator"] as? String ?? "")
                return .init(at: e.at, rule: o["rule"] as? String ?? "", message: o["message"] as? String ?? "",
                    region: o["region"] as? String ?? "", indicatorName: indicator)
            }
            let counts = try store.counts()
            let report = CommitteeReport(generatedAt: Self.timestamp(), asOf: asOf, lastFile: lastFile,
                submissions: counts.submissions, alerts: alerts, resolved: resolved, ruleSet: ruleSet)
            try AtomicFile.write(Data(report.render().utf8), to: config.alertsDirectory + "/report.md")
        } catch {
            logger.error("could not write the alert files: \(error)", metadata: ["MESSAGE_ID": "\(MessageID.ingestFailed)", "reason": "\(error)"])
        }
    }

    /// Marks the report's "resolved since" list as read up to now (called once a day by the schedule).
    func advanceReportWatermark() {
        if let last = try? store.events(after: 0).last { try? store.setMeta("report_watermark", "\(last.seq)") }
    }

    private func catchUpEventLog() throws {
        let lastInFile = try eventLog.repair()
        let missing = try store.events(after: lastInFile)
        try eventLog.append(missing.map(EventLog.line))
    }

    // MARK: reload

    /// Loads the rules anew, all or nothing: on any error the old rules stay in force and every error is logged.
    @discardableResult
    func reload() -> ReloadStatus {
        notifier.reloading(status: "reloading rules from \(config.rules.joined(separator: ", "))")
        reloadGeneration += 1
        switch RulesLoader.load(paths: config.rules) {
        case .failure(let error):
            let errors = error.errors.map(\.description)
            for d in error.errors {
                logger.error("rules reload failed: \(d)", metadata: [
                    "MESSAGE_ID": "\(MessageID.reloadFailed)", "rules_file": "\(d.location.file)",
                    "rules_line": "\(d.location.line)", "rules_column": "\(d.location.column)", "reason": "\(d.message)",
                ])
            }
            lastReloadError = "\(errors.count) error\(errors.count == 1 ? "" : "s")"
            let status = ReloadStatus(generation: reloadGeneration, ok: false, errors: errors, rules: ruleSet.ruleCount)
            try? status.write(to: config.reloadStatusPath)
            notifier.ready(status: statusLine)
            return status
        case .success(let set):
            ruleSet = set
            rulesLoadedAt = Self.timestamp()
            lastReloadError = nil
            logger.notice("rules loaded: \(set.plans.count) plans, \(set.ruleCount) rules", metadata: [
                "MESSAGE_ID": "\(MessageID.rulesLoaded)", "plans": "\(set.plans.count)", "rules": "\(set.ruleCount)",
                "rules_path": "\(config.rules.joined(separator: ","))",
            ])
            evaluate(only: nil, reason: "reload")
            let status = ReloadStatus(generation: reloadGeneration, ok: true, errors: [], rules: set.ruleCount)
            try? status.write(to: config.reloadStatusPath)
            notifier.ready(status: statusLine)
            return status
        }
    }

    private func writeReloadStatus(ok: Bool, errors: [String]) throws {
        try ReloadStatus(generation: reloadGeneration, ok: ok, errors: errors, rules: ruleSet.ruleCount)
            .write(to: config.reloadStatusPath)
    }

    /// Before exit: the alert files reflect the last state.
    func shutdown() {
        writeAlertFiles()
    }
}
