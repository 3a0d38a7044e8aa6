import Foundation

/// The daemon's own memory, from `/proc/self/status`: logged after each start-up phase so that what holds the
/// memory (the dataset, the alerts, the tracker, the files' encoding) can be told apart at national scale.
enum ProcessMemory {
    /// `VmRSS` (resident now) and `VmHWM` (the peak so far) in MiB; `nil` where `/proc` is not there.
    static func current() -> (rss: Int, hwm: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        var rss: Int?
        var hwm: Int?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("VmRSS:") { rss = kib(line) }
            if line.hasPrefix("VmHWM:") { hwm = kib(line) }
        }
        guard let rss, let hwm else { return nil }
        return (rss / 1024, hwm / 1024)
    }

    private static func kib(_ line: Substring) -> Int? {
        line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
    }
}
