import Logging
import ServiceLifecycle

extension RunCommand {
    /// The service that feeds the inbox to the daemon: inotify with a polling safety net, hostile entries set aside.
    static func ingestServices(config: DaemonConfiguration, daemon: WarnDaemon, logger: Logger) async throws -> [any Service] {
        let configuration = Ingestor.Configuration(
            reader: .init(maxFileSize: config.maxFileSize, settle: config.settle),
            watcher: .init(usesInotify: true, rescanInterval: config.pollInterval))
        return [Ingestor(layout: InboxLayout(stateDirectory: config.stateDirectory), handler: daemon,
            configuration: configuration, logger: logger)]
    }
}
