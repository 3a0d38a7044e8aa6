import CSystemd

/// Tells systemd about the service's state through `sd_notify` (`Type=notify`).
///
/// Outside systemd (`NOTIFY_SOCKET` unset) every call is a no-op that returns `false`, so the daemon runs the same
/// way in a terminal.
struct SystemdNotifier: Sendable {
    /// Sends `state` (e.g. `READY=1\nSTATUS=…`); `true` when systemd received it.
    @discardableResult
    func notify(_ state: String) -> Bool {
        sd_notify(0, state) > 0
    }

    func ready(status: String) { notify("READY=1\nSTATUS=\(status)") }
    func reloading(status: String) { notify("RELOADING=1\nSTATUS=\(status)") }
    func stopping() { notify("STOPPING=1\nSTATUS=stopping") }
    func status(_ s: String) { notify("STATUS=\(s)") }
    func watchdog() { notify("WATCHDOG=1") }

    /// The watchdog interval in microseconds when `WatchdogSec=` is set for this process, else `nil`.
    func watchdogInterval() -> UInt64? {
        var usec: UInt64 = 0
        return sd_watchdog_enabled(0, &usec) > 0 ? usec : nil
    }
}
