import Logging
import ServiceLifecycle
import UnixSignals

/// Re-evaluates everything on a schedule: `stale` rules depend on the clock, not only on data.
struct ScheduleService: Service {
    let daemon: WarnDaemon
    let interval: Duration

    func run() async throws {
        var day = daemon.today()
        while await sleepUnlessShuttingDown(interval) {
            await daemon.evaluate(only: nil, reason: "schedule")
            await daemon.refreshDatasetSnapshot()
            let now = daemon.today()
            if now != day {
                await daemon.advanceReportWatermark()
                day = now
            }
        }
    }
}

/// SIGHUP reloads the rules (from `kill -HUP` or from `warnd reload`).
struct ReloadSignalService: Service {
    let daemon: WarnDaemon

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            await daemon.reload()
        }
    }
}

/// `WATCHDOG=1` at half the interval systemd asks for, while the daemon answers.
///
/// The ping goes through the actor, so a daemon stuck for longer than `WatchdogSec` is restarted by systemd.
struct WatchdogService: Service {
    let daemon: WarnDaemon
    let notifier: SystemdNotifier
    let intervalMicroseconds: UInt64

    func run() async throws {
        let half = Duration.microseconds(Int64(intervalMicroseconds / 2))
        repeat {
            _ = await daemon.statusLine
            notifier.watchdog()
        } while await sleepUnlessShuttingDown(half)
    }
}

/// Sleeps; `false` once a graceful shutdown (or cancellation) has begun, so a service's loop ends without an error.
func sleepUnlessShuttingDown(_ d: Duration) async -> Bool {
    do {
        try await cancelWhenGracefulShutdown { try await Task.sleep(for: d) }
        return !Task.isCancelled
    } catch {
        return false
    }
}
