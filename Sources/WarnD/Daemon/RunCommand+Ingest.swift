import Logging
import ServiceLifecycle

extension RunCommand {
    /// The services that feed the inbox to the daemon.
    static func ingestServices(config: DaemonConfiguration, daemon: WarnDaemon, logger: Logger) async throws -> [any Service] {
        []
    }
}
