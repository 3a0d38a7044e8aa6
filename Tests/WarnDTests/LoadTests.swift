import Foundation
import Glibc
import Testing

@testable import WarnD

/// The reporting deadline: a thousand files from fifty clients at once. Every file is processed exactly once,
/// memory stays bounded, and the daemon never misses a watchdog ping — observed by this test standing in for
/// systemd's notify socket (`NOTIFY_SOCKET`, `WATCHDOG_USEC`), as `sd_notify` and `sd_watchdog_enabled` read them.
@Suite struct LoadTests {
    /// Receives sd_notify datagrams and remembers when each `WATCHDOG=1` arrived.
    final class NotifySocket: @unchecked Sendable {
        let path: String
        let fd: Int32
        private let lock = NSLock()
        private var pings: [ContinuousClock.Instant] = []
        private var messages: [String] = []
        private var thread: Thread?

        init(path: String) throws {
            self.path = path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                for (i, b) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
            }
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard rc == 0 else { throw POSIXError(.EADDRINUSE) }
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let t = Thread { [self] in
                var buffer = [UInt8](repeating: 0, count: 4096)
                while !Thread.current.isCancelled {
                    let n = recv(fd, &buffer, buffer.count, 0)
                    guard n > 0 else { continue }
                    let text = String(decoding: buffer[..<n], as: UTF8.self)
                    lock.withLock {
                        messages.append(text)
                        if text.split(separator: "\n").contains("WATCHDOG=1") { pings.append(.now) }
                    }
                }
            }
            thread = t
            t.start()
        }

        var snapshot: (pings: [ContinuousClock.Instant], messages: [String]) { lock.withLock { (pings, messages) } }

        func close() {
            thread?.cancel()
            Glibc.close(fd)
            unlink(path)
        }
    }

    static func peakRSSKiB(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
        return line.flatMap { Int($0.split(whereSeparator: { $0 == " " || $0 == "\t" })[1]) }
    }

    @Test func aThousandFilesFromFiftyClientsAreEachProcessedOnceWithoutMissingAWatchdogPing() async throws {
        let dir = try TemporaryDirectory()
        let f = try DaemonFixture()
        let state = dir.url.appendingPathComponent("state").path
        try "state_directory: \(state)\nrules: \(f.rulesDir.path)\nlog: stderr\nsettle: 100ms\npoll_interval: 500ms\n"
            .write(to: dir.url.appendingPathComponent("warnd.yaml"), atomically: true, encoding: .utf8)
        // 1000 distinct files: each a revision of the same two series, so every one is a real store transaction.
        let files = dir.url.appendingPathComponent("files")
        try FileManager.default.createDirectory(at: files, withIntermediateDirectories: true)
        var names: [String] = []
        for i in 0..<1000 {
            let v = 1 + Double(i % 200) / 100
            let csv = "indicator,region,period,value\nhiv_mother_to_child_transmission_rate,测试县,2023,\(v)\n"
                + "hiv_mother_to_child_transmission_rate,测试县,2024,\(v + 0.5)\nmaternal_mortality_ratio,测试县,2024,\(10 + Double(i) / 1000)\n"
            let name = String(format: "f%04d.csv", i)
            try csv.write(to: files.appendingPathComponent(name), atomically: true, encoding: .utf8)
            names.append(name)
        }
        let notify = try NotifySocket(path: dir.url.appendingPathComponent("notify.sock").path)
        defer { notify.close() }

        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: WarnDBinary.path)
        daemon.arguments = ["run", "--config", dir.url.appendingPathComponent("warnd.yaml").path, "--now", "2025-07-01"]
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = notify.path
        // 2 s, so pings every second: a ping loop stalled by the ingest would leave a gap of seconds, while the
        // scheduler's delays when CI runs every suite at once on two cores (seen: 0.66 s late) stay inside it.
        env["WATCHDOG_USEC"] = "2000000"
        env.removeValue(forKey: "WATCHDOG_PID")
        daemon.environment = env
        daemon.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try daemon.run()
        defer { if daemon.isRunning { daemon.terminate() } }

        func eventually(_ seconds: Double, _ what: String, _ condition: () -> Bool) {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition() { return }
                usleep(100_000)
            }
            Issue.record("timed out waiting for \(what)")
        }
        eventually(30, "READY=1") { notify.snapshot.messages.contains { $0.contains("READY=1") } }
        let readyAt = ContinuousClock.now

        // 50 clients at once, 20 files each, through `warnd ingest` (copy under a dot-name, fsync, rename).
        try await withThrowingTaskGroup(of: Int32.self) { group in
            for c in 0..<50 {
                let mine = names[(c * 20)..<(c * 20 + 20)].map { files.appendingPathComponent($0).path }
                group.addTask {
                    try WarnDBinary.run(["ingest", "--state-dir", state] + mine).status
                }
            }
            for try await status in group { #expect(status == 0) }
        }
        let archive = state + "/archive"
        eventually(180, "1000 files archived") {
            ((try? FileManager.default.contentsOfDirectory(atPath: archive))?.count ?? 0) >= 1000
        }
        let peak = Self.peakRSSKiB(daemon.processIdentifier)
        let doneAt = ContinuousClock.now
        daemon.terminate()
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)

        // Exactly once: 1000 archived files, 1000 submissions, nothing left in the inbox or rejected.
        let archived = try FileManager.default.contentsOfDirectory(atPath: archive)
        #expect(archived.count == 1000)
        #expect(Set(archived.map { String($0.split(separator: "-", maxSplits: 2)[2]) }) == Set(names))
        #expect(try FileManager.default.contentsOfDirectory(atPath: state + "/inbox").isEmpty)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: state + "/rejected")) ?? []).isEmpty)
        let store = try Store(path: state + "/warnd.sqlite")
        #expect(try store.counts().submissions == 1000)
        #expect(try store.counts().observations == 3, "three (series, period) values, each revised 1000 times")

        // Memory: bounded, far below the machine (a generous ceiling: debug build, 1000 files).
        let rss = try #require(peak)
        #expect(rss < 512 * 1024, "peak RSS \(rss) KiB")

        // The watchdog: pings at half the 2 s interval the whole time, never a gap of a full interval.
        let pings = notify.snapshot.pings.filter { $0 >= readyAt && $0 <= doneAt }
        #expect(pings.count >= 2)
        let gaps = zip(pings, pings.dropFirst()).map { $1 - $0 }
        let worst = gaps.max() ?? .zero
        #expect(worst < .seconds(2), "longest gap between WATCHDOG=1 pings: \(worst)")
        if ProcessInfo.processInfo.environment["WARND_LOAD_REPORT"] != nil {
            print("load: peak RSS \(rss) KiB, \(pings.count) pings, longest gap \(worst), \(doneAt - readyAt) for 1000 files")
        }
    }
}
