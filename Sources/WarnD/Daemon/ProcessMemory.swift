import Foundation
import Glibc

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

    /// Hands the heap's free pages back to the system (`malloc_trim`): after the first evaluation, whose working
    /// memory (≈ 1.7 M outcomes at national scale) is free but would otherwise stay resident, and after each rewrite
    /// of the alert files. Takes milliseconds.
    static func releaseFreeMemory() {
        _ = trim?(0)
    }

    /// glibc's `malloc_trim`, looked up once: `<malloc.h>` is not part of Swift's Glibc module.
    private static let trim: (@convention(c) (Int) -> Int32)? = {
        guard let f = dlsym(nil, "malloc_trim") else { return nil }
        return unsafeBitCast(f, to: (@convention(c) (Int) -> Int32).self)
    }()

    private static func kib(_ line: Substring) -> Int? {
        line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
    }
}
