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
    /// Every pending or firing alert as last evaluated, per region.
    private(set) var current = CurrentAlerts()
    private var lastFile: String?
    /// The latest period with data: kept up to date per submission instead of scanning every point.
    private var asOf: Period?
    private var submissions: Int
    /// The report's "resolved since the last report" list, kept here so no write reads the event history again.
    private var resolvedSinceWatermark: [CommitteeReport.Resolved] = []
    /// The resolved events from before this start, read in the background after READY (at national scale the
    /// events since the watermark can be ≈ 500 000 rows); `report.md` waits for them, `active.json` does not.
    private var resolvedLoading: Task<Void, Never>?
    private var resolvedComplete = false
    private var watermarkGeneration = 0
    private var snapshotGeneration = 0
    /// The sequence number of the last event recorded (the report watermark moves to it once a day).
    private var lastEventSeq: Int64 = 0
    /// The sequence number of the last event in `events.jsonl`: the file is caught up from the store after it.
    private var eventLogSeq: Int64 = 0
    /// The sequence number of the last event sent to the journal: the events after it are sent from the store
    /// before anything newer (``catchUpLogs()``), so the journal's order is the events' order.
    private var journalSeq: Int64 = 0
    /// `journalSeq` as last stored (``Store/journalMarkKey``): saved with the next recording, after a catch-up and
    /// at shutdown, so a start after a crash sends again at most what the last evaluation announced.
    private var journalMarkSaved: Int64 = 0
    /// `active.json` and `report.md` (coalesced, off the submission path) and the region files.
    nonisolated let files: AlertFileWriter
    /// How long startup took, by phase (logged with READY).
    private(set) var startupTimings: [(String, Duration)] = []
    /// Resident memory (MiB) after each startup phase (logged with READY): what each part of the state costs.
    private(set) var startupMemory: [(String, Int)] = []
    private var reloadGeneration = 0
    /// Whether `dataset.snapshot` holds exactly the data in memory (it was loaded from it, and no submission has
    /// been stored since): shutdown then leaves it as it is instead of writing it again.
    private var snapshotCurrent = false
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
        for dir in [config.stateDirectory, config.alertsDirectory, config.alertsDirectory + "/regions"] {
            AtomicFile.removeLeftovers(in: dir)
        }
        let clock = ContinuousClock()
        var t = clock.now
        var timings: [(String, Duration)] = []
        var memory: [(String, Int)] = []
        func lap(_ name: String) {
            let n = clock.now
            timings.append((name, n - t))
            if let m = ProcessMemory.current() { memory.append((name, m.rss)) }
            t = n
        }
        // The log is copied into the database every second on a thread of its own, not by the commit that crosses
        // SQLite's threshold (``WALCheckpointer``).
        store = try Store(path: config.database, checkpointInterval: .seconds(1))
        // The alert state is read, and its tracker built, on the other core while the observations load (WAL
        // readers do not block each other): at national scale each takes seconds, and start-up waits for both
        // before READY=1.
        let state = PendingRead<AlertTracker, any Error>()
        let reader = store
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            state.set(Result { AlertTracker(records: try reader.alertRecords()) })
        }
        // After a clean shutdown the dataset is read from the snapshot it wrote, when that still matches the store.
        let snapshotPath = config.stateDirectory + "/" + DatasetSnapshot.fileName
        let loaded = DatasetSnapshot.load(from: snapshotPath, store: store)
        if case .dataset(let d, let caughtUp) = loaded {
            dataset = d
            // Caught up with submissions stored after it, it no longer matches: rewritten at the next refresh.
            snapshotCurrent = caughtUp == nil
            if let c = caughtUp {
                logger.notice("dataset snapshot \(snapshotPath) caught up with \(c.submissions) submissions (\(c.rows) values) stored since it was written",
                    metadata: ["submissions": "\(c.submissions)", "rows": "\(c.rows)"])
            }
            lap("snapshot_load")
        } else {
            if case .unusable(let why) = loaded {
                logger.notice("not using the dataset snapshot \(snapshotPath): \(why); reading the store",
                    metadata: ["reason": "\(why)"])
            }
            DatasetSnapshot.remove(at: snapshotPath)
            dataset = try store.loadDataset()
            lap("store_load")
        }
        asOf = dataset.latestPeriod
        group.wait()
        tracker = try state.take()
        lap("alert_state")
        tracker.shareKeys(with: dataset)
        lap("record_keys")
        eventLog = EventLog(path: config.alertsDirectory + "/events.jsonl")
        lastFile = try store.meta("last_file")
        submissions = try store.counts().submissions
        files = AlertFileWriter(directory: config.alertsDirectory, interval: config.alertFilesInterval, logger: logger)
        lap("store_meta")
        startupTimings = timings
        startupMemory = memory
    }

    /// Evaluates everything, recording what changed in the store: what must be true before READY=1. The alert
    /// files are handed to the background writer, which writes them right after.
    ///
    /// `announceLater`: the events stored but not yet in `events.jsonl` or the journal — those `warnd import`
    /// recorded (after a bulk import at national scale, ≈ 520 000), those of a daemon that stopped before logging
    /// them, and the first evaluation's — are logged by ``catchUpLogs()`` after READY=1 (`docs/operations.md`,
    /// "Start-up"): ≈ 0.5 GB of `events.jsonl` and ≈ 10 s of journal entries at national scale. Whatever is logged
    /// before the catch-up is through logs the rest first, so both keep the order of the events. Without it (tests),
    /// they are logged before this returns.
    func start(announceLater: Bool = false) throws {
        let clock = ContinuousClock()
        var t = clock.now
        eventLogSeq = try eventLog.repair()
        lastEventSeq = try store.lastEventSeq()
        if let mark = try store.meta(Store.journalMarkKey).flatMap({ Int64($0) }) {
            journalSeq = mark
        } else {
            // A store without the mark was last run by a daemon that sent each transition as it recorded it.
            journalSeq = lastEventSeq
            try store.setMeta(Store.journalMarkKey, "\(journalSeq)")
        }
        journalMarkSaved = journalSeq
        if !announceLater { try catchUpLogsNow() }
        let watermark = Int64(try store.meta("report_watermark") ?? "0") ?? 0
        let upTo = lastEventSeq
        startupTimings.append(("event_log_catch_up", clock.now - t))
        t = clock.now
        evaluate(only: nil, reason: "startup", announceLater: announceLater)
        startupTimings.append(("first_evaluation", clock.now - t))
        ProcessMemory.releaseFreeMemory()
        if let m = ProcessMemory.current() { startupMemory += [("first_evaluation", m.rss), ("peak", m.hwm)] }
        loadResolvedInBackground(after: watermark, upTo: upTo)
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
        let c = current.counts
        let bySeverity = ["\(c.critical) critical", "\(c.warning) warning", "\(c.info) info"]
        var s = "\(ruleSet.ruleCount) rules, \(dataset.count) series; firing: " + bySeverity.joined(separator: ", ")
        if let f = lastFile { s += "; last file \(f)" }
        if let e = lastReloadError { s += "; RELOAD FAILED (\(e)), keeping rules from \(rulesLoadedAt)" }
        return s
    }

    // MARK: ingestion

    /// Judges and stores one data file. The ingest layer logs the outcome (once, after moving the file), so this
    /// logs nothing of its own but the evaluation that follows.
    func handle(_ submission: Submission) async -> SubmissionResult {
        let clock = ContinuousClock()
        let t0 = clock.now
        do {
            if let earlier = try store.submission(sha256: submission.sha256) { return .duplicate(of: earlier.name) }
        } catch {
            return .failed(reason: "\(error)")
        }
        let parser = ObservationParser(catalog: ruleSet.catalog, regions: ruleSet.regions)
        let parsed = parser.parse(submission.bytes, file: submission.name)
        guard parsed.errors.isEmpty else { return .rejected(reasons: parsed.errors.map(\.description)) }
        let t1 = clock.now
        let stored: (rows: Int, series: Set<SeriesKey>)
        do {
            stored = try store.accept(parsed.table, name: submission.name, sha256: submission.sha256,
                receivedAt: Self.timestamp(), format: parsed.format.rawValue, encoding: parsed.encoding)
        } catch {
            return .failed(reason: "\(error)")
        }
        // `observations` is built from the parsed table on each access: once here.
        let observations = parsed.observations
        dataset.apply(observations)
        snapshotCurrent = false
        asOf = dataset.latestPeriod
        submissions += 1
        lastFile = submission.name
        try? store.setMeta("last_file", submission.name)
        evaluate(only: stored.series, reason: "data file \(submission.name)",
            before: [("parse", t1 - t0), ("store", clock.now - t1)])
        return .accepted(rows: stored.rows, series: stored.series.count)
    }

    // MARK: evaluation

    /// Evaluates all series (`only == nil`) or the series a submission touched, announces transitions and rewrites
    /// the alert files.
    @discardableResult
    func evaluate(only keys: Set<SeriesKey>?, reason: String, before: [(String, Duration)] = [],
        announceLater: Bool = false) -> Evaluator.Result
    {
        let started = ContinuousClock.now
        var phases = before
        var lap = started
        func phase(_ name: String) {
            let now = ContinuousClock.now
            phases.append((name, now - lap))
            lap = now
        }
        let time = EvaluationTime(at: nil, now: today())
        // A full evaluation keeps only the alerts (the quiet outcomes of ≈ 1.7 M pairs at national scale are not
        // needed: the tracker resolves by absence); an incremental one keeps its outcomes, which say what it looked at.
        let result = Evaluator(ruleSet: ruleSet).evaluate(dataset, at: time, only: keys,
            keeping: keys == nil ? .alerts : .outcomes)
        // The evaluation's working memory (each unit's alerts before they were joined, ≈ 70 MB at national scale)
        // is free but resident in the threads' heaps, where what is allocated next on other threads cannot reuse
        // it: handed back, it no longer adds to the peak.
        if keys == nil { ProcessMemory.releaseFreeMemory() }
        phase("evaluator")
        let now = Self.timestamp()
        // Each region's alerts of a full evaluation are found on another core (their positions) while the tracker
        // compares and records them: the two are independent.
        let grouping = PendingRead<[String: [Int32]], Never>()
        let grouped = DispatchGroup()
        if keys == nil {
            let alerts = result.alerts
            DispatchQueue.global().async(group: grouped) { grouping.set(.success(CurrentAlerts.positions(alerts))) }
        }
        let recorded: AlertRecording.Recorded
        do {
            let mark = journalSeq != journalMarkSaved ? journalSeq : nil
            recorded = try AlertRecording.record(result, complete: keys == nil, tracker: &tracker, store: store, now: now,
                journalMark: mark)
            if let mark { journalMarkSaved = mark }
            lastEventSeq = recorded.lastSeq ?? lastEventSeq
            phase("tracker+record")
            if !announceLater { try appendEventLog() }
            phase("event_log")
        } catch {
            logger.error("could not record alert state: \(error); will retry at the next evaluation",
                metadata: ["MESSAGE_ID": "\(MessageID.ingestFailed)", "reason": "\(error)"])
            return result
        }
        let changedRegions: [RegionAlerts]
        if keys == nil {
            grouped.wait()
            changedRegions = current.replaceAll(result.alerts, positions: grouping.get())
        } else {
            var evaluated: [String: Set<String>] = [:]
            for o in result.outcomes { evaluated[o.key.region, default: []].insert(o.id) }
            changedRegions = current.update(evaluated: evaluated, alerts: result.alerts)
        }
        phase("alerts")
        if keys != nil {
            // A submission's regions are written now, small and atomic, before the journal says anything (so a
            // reader who sees an entry finds the region file current); a full evaluation's, by the writer.
            let at = asOf?.description
            let day = today().description
            for bucket in changedRegions {
                do {
                    try files.regionFiles.write(bucket, evaluatedAt: day, at: at)
                } catch {
                    logger.error("could not write the alert files: \(error)",
                        metadata: ["MESSAGE_ID": "\(MessageID.ingestFailed)", "reason": "\(error)"])
                }
            }
        }
        phase("region_files")
        let transitions = recorded.transitions
        if !announceLater, let last = recorded.lastSeq {
            // What is stored before these and not yet sent goes first (a catch-up still under way).
            do {
                while try catchUpLogs(upTo: last - Int64(transitions.count), batch: 10_000) > 0 {}
                for (i, t) in transitions.enumerated() {
                    AlertAnnouncement(t, seq: recorded.seq(of: i), ruleSet: ruleSet).send(to: logger)
                }
                journalSeq = last
            } catch {
                // These stay after the mark: the next evaluation's catch-up sends them.
                logger.error("could not send the stored events to the journal: \(error); the next evaluation tries again",
                    metadata: ["MESSAGE_ID": "\(MessageID.ingestFailed)", "reason": "\(error)"])
            }
        }
        for t in transitions {
            if t.change == .resolved {
                let r = t.record
                resolvedSinceWatermark.append(.init(at: now, rule: r.rule, message: r.message ?? "", region: r.key.region,
                    indicatorName: ruleSet.catalog[r.key.indicator]?.name ?? r.key.indicator))
            }
        }
        writeAlertFiles()
        phase("announce")
        let elapsed = ContinuousClock.now - started
        let ms = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        let took = phases.map { "\($0.0) \(RunCommand.milliseconds($0.1))" }.joined(separator: ", ")
        logger.info("evaluation finished (\(reason)): \(result.checkCount) checks, \(result.alerts.count) alerts, \(transitions.count) transitions (ms: \(took))",
            metadata: [
                "MESSAGE_ID": "\(MessageID.evaluationFinished)", "checks": "\(result.checkCount)",
                "alerts": "\(result.alerts.count)", "transitions": "\(transitions.count)",
                "duration_ms": "\(String(format: "%.1f", ms))", "scope": "\(keys == nil ? "all" : "\(keys!.count) series")",
            ])
        notifier.status(statusLine)
        return result
    }

    /// Sends the stored events not yet in `events.jsonl` or the journal (``start(announceLater:)``), 2 000 at a
    /// time, letting submissions, reloads and the watchdog in between (each of which first logs what is left, in
    /// order). Logs once when done.
    ///
    /// Each batch is read and its journal entries made from the events' JSON on another thread while the batch
    /// before is logged: after a national import that is 518 674 alert objects decoded, ≈ 7 s of CPU.
    func catchUpLogs() async {
        let started = ContinuousClock.now
        let (fromJournal, fromLog) = (journalSeq, eventLogSeq)
        var ahead: Task<LogBatch, any Error>?
        do {
            while true {
                let from = min(eventLogSeq, journalSeq)
                guard from < lastEventSeq else { break }
                let batch = try await (ahead ?? prepare(after: from)).value
                ahead = nil
                // Logged meanwhile (a submission logs what is left first): nothing of it, or part of it, is logged here.
                guard let last = batch.events.last else { break }
                if last.seq < lastEventSeq { ahead = prepare(after: last.seq) }
                // Made durable once at the end (the store holds them; a start after a crash appends what is
                // missing): an fsync per batch was ≈ 260 of them after a national import, a third of the catch-up.
                try log(batch, sync: false)
                await Task.yield()
            }
            try eventLog.sync()
        } catch {
            logger.error("could not log the stored events: \(error); the next evaluation tries again",
                metadata: ["MESSAGE_ID": "\(MessageID.ingestFailed)", "reason": "\(error)"])
        }
        ahead?.cancel()
        saveJournalMark()
        guard journalSeq > fromJournal || eventLogSeq > fromLog else { return }
        logger.info("stored transitions logged: \(journalSeq - fromJournal) sent to the journal, \(eventLogSeq - fromLog) appended to events.jsonl, in \(RunCommand.milliseconds(ContinuousClock.now - started)) ms")
    }

    /// Stored events with the journal entries of those not yet sent (`nil` for the others).
    private struct LogBatch: Sendable {
        var events: [Store.Event]
        var entries: [Result<AlertAnnouncement, any Error>?]
    }

    /// The next 2 000 stored events after `seq`, read and made ready on another thread.
    private func prepare(after seq: Int64) -> Task<LogBatch, any Error> {
        let (store, ruleSet, journalSeq) = (self.store, self.ruleSet, self.journalSeq)
        return Task.detached {
            try Self.batch(store: store, ruleSet: ruleSet, after: seq, limit: 2_000, upTo: .max, journalSeq: journalSeq)
        }
    }

    private static func batch(store: Store, ruleSet: RuleSet, after seq: Int64, limit: Int, upTo end: Int64,
        journalSeq: Int64) throws -> LogBatch
    {
        let events = Array(try store.events(after: seq, limit: limit).prefix { $0.seq <= end })
        return LogBatch(events: events, entries: events.map { e in
            e.seq > journalSeq ? Result { try AlertAnnouncement(e, ruleSet: ruleSet) } : nil
        })
    }

    /// Logs every stored event not yet in `events.jsonl` or the journal, now.
    private func catchUpLogsNow() throws {
        while try catchUpLogs(upTo: lastEventSeq, batch: 10_000) > 0 {}
    }

    /// Logs the next stored events up to `end` (at most `batch`), on this thread. Returns how many events were read
    /// (0: caught up).
    @discardableResult
    private func catchUpLogs(upTo end: Int64, batch: Int) throws -> Int {
        let from = min(eventLogSeq, journalSeq)
        guard from < end else { return 0 }
        let b = try Self.batch(store: store, ruleSet: ruleSet, after: from, limit: batch, upTo: end, journalSeq: journalSeq)
        try log(b)
        return b.events.count
    }

    /// Appends the batch's events not yet in `events.jsonl` (one fsync, when `sync`), then sends those not yet sent to
    /// the journal.
    private func log(_ b: LogBatch, sync: Bool = true) throws {
        let unlogged = b.events.filter { $0.seq > eventLogSeq }
        try eventLog.append(unlogged.map(EventLog.line), sync: sync)
        if let last = unlogged.last { eventLogSeq = last.seq }
        // Each of these has its entry: it was made for every event past the mark, and the mark only moves forward.
        for (e, entry) in zip(b.events, b.entries) where e.seq > journalSeq {
            do {
                try entry?.get().send(to: logger)
            } catch {
                logger.error("stored event \(e.seq) cannot be sent to the journal: its alert object is unreadable (\(error))",
                    metadata: ["MESSAGE_ID": "\(MessageID.ingestFailed)", "reason": "\(error)", "event_seq": "\(e.seq)"])
            }
            journalSeq = e.seq
        }
    }

    /// Stores how far the journal has been sent, when that moved since it was last stored.
    private func saveJournalMark() {
        guard journalSeq != journalMarkSaved else { return }
        do {
            try store.setMeta(Store.journalMarkKey, "\(journalSeq)")
            journalMarkSaved = journalSeq
        } catch {
            logger.warning("could not store how far the journal has been sent: \(error); a restart may send some alerts again",
                metadata: ["reason": "\(error)"])
        }
    }

    // MARK: files

    /// Hands the current picture to the background writer (`active.json`, `report.md`, region files).
    func writeAlertFiles() {
        Task { [files, snapshot = snapshot()] in await files.submit(snapshot) }
    }

    /// Writes the alert files of the current picture now and returns once they are on disk.
    func flushAlertFiles() async {
        await resolvedLoading?.value
        await files.flush(snapshot())
    }

    private func snapshot() -> AlertFileWriter.Snapshot {
        snapshotGeneration += 1
        return AlertFileWriter.Snapshot(generation: snapshotGeneration, alerts: current,
            evaluatedAt: today().description, asOf: asOf, lastFile: lastFile, submissions: submissions,
            resolved: resolvedComplete ? resolvedSinceWatermark : nil, ruleSet: ruleSet, generatedAt: Self.timestamp())
    }

    /// Reads the resolved events in `(after, upTo]` off the actor; later ones are already in the list.
    private func loadResolvedInBackground(after since: Int64, upTo: Int64) {
        let (store, catalog, generation) = (self.store, ruleSet.catalog, watermarkGeneration)
        resolvedLoading = Task.detached(priority: .utility) { [self] in
            let events = (try? store.events(after: since, upTo: upTo, change: "resolved")) ?? []
            let earlier = events.compactMap { e -> CommitteeReport.Resolved? in
                guard let o = try? JSONSerialization.jsonObject(with: Data(e.payload.utf8)) as? [String: Any] else { return nil }
                let indicator = (o["indicator"] as? String).flatMap { catalog[$0]?.name } ?? (o["indicator"] as? String ?? "")
                return .init(at: e.at, rule: o["rule"] as? String ?? "", message: o["message"] as? String ?? "",
                    region: o["region"] as? String ?? "", indicatorName: indicator)
            }
            await self.adoptResolved(earlier, generation: generation)
        }
    }

    private func adoptResolved(_ earlier: [CommitteeReport.Resolved], generation: Int) {
        if generation == watermarkGeneration { resolvedSinceWatermark = earlier + resolvedSinceWatermark }
        resolvedComplete = true
        writeAlertFiles()
    }

    /// Marks the report's "resolved since" list as read up to now (called once a day by the schedule).
    func advanceReportWatermark() {
        try? store.setMeta("report_watermark", "\(lastEventSeq)")
        resolvedSinceWatermark = []
        watermarkGeneration += 1
    }

    /// Appends to `events.jsonl` every stored event after the last one in it, read back from the store in batches
    /// (one fsync): events are not held in memory between storing and logging them.
    private func appendEventLog() throws {
        let (store, after) = (self.store, eventLogSeq)
        var last = after
        defer { eventLogSeq = last }
        try eventLog.append { write in
            while true {
                let batch = try store.events(after: last, limit: 10_000)
                guard let end = batch.last?.seq else { return }
                try write(batch.map(EventLog.line))
                last = end
                if batch.count < 10_000 { return }
            }
        }
    }

    // MARK: reload

    /// Loads the rules anew, all or nothing: on any error the old rules stay in force and every error is logged.
    @discardableResult
    func reload() -> ReloadStatus {
        notifier.reloading(status: "reloading rules from \(config.rules.joined(separator: ", "))")
        reloadGeneration += 1
        let clock = ContinuousClock()
        let started = clock.now
        let loaded = RulesLoader.load(paths: config.rules)
        let loadTime = clock.now - started
        switch loaded {
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
            let swapped = clock.now
            evaluate(only: nil, reason: "reload")
            logger.info("reload took: load and validate \(RunCommand.milliseconds(loadTime)) ms, swap \(RunCommand.milliseconds(swapped - started - loadTime)) ms, re-evaluation \(RunCommand.milliseconds(clock.now - swapped)) ms")
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

    /// Before exit: every transition is in the journal and the alert files reflect the last state.
    func shutdown() async {
        do {
            try catchUpLogsNow()
        } catch {
            logger.error("could not log the stored events before stopping: \(error); the next start logs them",
                metadata: ["MESSAGE_ID": "\(MessageID.ingestFailed)", "reason": "\(error)"])
        }
        saveJournalMark()
        await flushAlertFiles()
        refreshDatasetSnapshot()
    }

    /// Leaves the dataset for the next start (``DatasetSnapshot``) when data arrived since the snapshot was last
    /// written: at shutdown, and after each scheduled evaluation (≈ 2 s at national scale, once per interval at
    /// most), so that a daemon killed later — a crash, the watchdog — restarts from it with at most an interval's
    /// submissions to catch up. A failure costs only the next start's speed.
    func refreshDatasetSnapshot() {
        guard !snapshotCurrent else { return }
        let path = config.stateDirectory + "/" + DatasetSnapshot.fileName
        let started = ContinuousClock.now
        do {
            try DatasetSnapshot.write(dataset, to: path, store: store)
            snapshotCurrent = true
            logger.info("dataset snapshot written for the next start: \(dataset.count) series in \(RunCommand.milliseconds(ContinuousClock.now - started)) ms",
                metadata: ["path": "\(path)"])
        } catch {
            logger.warning("could not write the dataset snapshot \(path): \(error); the next start catches up an older one or reads the store",
                metadata: ["reason": "\(error)"])
        }
    }
}
