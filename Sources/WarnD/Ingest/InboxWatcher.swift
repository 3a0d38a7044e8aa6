import Foundation
import Glibc
import Logging
import ServiceLifecycle
import Synchronization

/// Decides when to look at the inbox: at once at start, when inotify says a file was completed there, at a time the
/// last pass asked for, and every `rescanInterval` regardless.
///
/// - The pass at start takes the files dropped while the daemon was down.
/// - inotify (`IN_CLOSE_WRITE | IN_MOVED_TO`) reports a file renamed into the inbox or closed after writing, so a
///   submission is taken within moments without polling. Events for dot-names (work in progress) are ignored.
/// - The last pass returns how long until something it left becomes due (a file settling, a retry after a
///   failure); the watcher wakes then, so a writer who writes in place is picked up as soon as it settles.
/// - The periodic rescan catches whatever inotify cannot see (an overflowed event queue, a file system where
///   inotify says nothing, such as a network share written from another machine). Without inotify (it failed to
///   initialise, or `usesInotify` is off) the periodic rescan is the polling fallback.
///
/// The watcher only says when; the pass lists the directory itself and processes the files one at a time in name
/// order. Waiting happens on a dedicated thread blocked in `poll(2)` (never on a thread of Swift's small cooperative
/// pool), which hands wake-ups to the async side through an `AsyncStream` that keeps at most one pending wake-up,
/// so a burst of events while a pass runs causes exactly one more pass.
struct InboxWatcher: Sendable {
    struct Configuration: Sendable {
        /// Watch with inotify; when `false`, or when inotify cannot be set up, only the periodic rescan runs.
        var usesInotify: Bool = true
        /// The time between two full scans that happen regardless of events.
        var rescanInterval: Duration = .seconds(10)

        init(usesInotify: Bool = true, rescanInterval: Duration = .seconds(10)) {
            self.usesInotify = usesInotify
            self.rescanInterval = rescanInterval
        }
    }

    let directory: String
    let configuration: Configuration
    let logger: Logger

    init(directory: String, configuration: Configuration = Configuration(), logger: Logger) {
        self.directory = directory
        self.configuration = configuration
        self.logger = logger
    }

    /// Calls `pass` now and on every wake-up until the task is cancelled or the service group shuts down
    /// gracefully; a pass that is running then finishes first. `pass` returns how long until it wants to run again
    /// (`nil`: only on events and rescans).
    func run(_ pass: () async -> Duration?) async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let wakeups = try Wakeups(
            directory: directory, configuration: configuration, continuation: continuation, logger: logger)
        let thread = Thread { wakeups.loop() }
        thread.name = "warnd-inbox-watch"
        thread.start()
        defer {
            wakeups.stop()
            continuation.finish()
        }
        await withTaskCancellationOrGracefulShutdownHandler {
            guard !Self.stopping else { return }
            wakeups.wake(after: await pass())
            for await _ in stream {
                guard !Self.stopping else { return }
                wakeups.wake(after: await pass())
            }
        } onCancelOrGracefulShutdown: {
            continuation.finish()
        }
    }

    /// Whether the current task is asked to stop: cancelled, or its service group is shutting down.
    static var stopping: Bool {
        Task.isCancelled || Task.isShuttingDownGracefully
    }

    /// Whether inotify can watch `directory` here; tests use it to tell a missing facility from a failure.
    static func inotifyAvailable(for directory: String) -> Bool {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return inotify_add_watch(fd, directory, Wakeups.mask) >= 0
    }
}

/// The waiting thread and what it shares with the async side: the descriptors and, under a lock, the stop flag and
/// the time the last pass asked to be woken. The descriptors close when both sides have let go.
private final class Wakeups: Sendable {
    static let mask = UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_ONLYDIR)

    let directory: String
    let rescanInterval: Duration
    let inotify: Int32
    let wakeRead: Int32
    let wakeWrite: Int32
    let continuation: AsyncStream<Void>.Continuation
    let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var stopped = false
        var requested: ContinuousClock.Instant?
    }

    init(
        directory: String, configuration: InboxWatcher.Configuration, continuation: AsyncStream<Void>.Continuation,
        logger: Logger
    ) throws {
        self.directory = directory
        self.rescanInterval = max(configuration.rescanInterval, .milliseconds(10))
        self.continuation = continuation
        self.logger = logger
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw SystemError("pipe", "inbox watcher") }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        inotify = Self.watch(directory, configuration.usesInotify, logger: logger, interval: rescanInterval)
    }

    /// An inotify descriptor watching `directory`, or -1 (logged) when inotify is off or cannot be set up.
    private static func watch(_ directory: String, _ enabled: Bool, logger: Logger, interval: Duration) -> Int32 {
        guard enabled else {
            logger.debug("polling the inbox every \(interval)", metadata: ["file": "\(directory)"])
            return -1
        }
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        if fd < 0 {
            let problem = "\(SystemError("inotify_init1", directory))"
            logger.warning("inotify unavailable (\(problem)); polling the inbox every \(interval)")
            return -1
        }
        if inotify_add_watch(fd, directory, mask) < 0 {
            let problem = "\(SystemError("inotify_add_watch", directory))"
            logger.warning("cannot watch the inbox with inotify (\(problem)); polling it every \(interval)")
            close(fd)
            return -1
        }
        logger.debug("watching the inbox with inotify", metadata: ["file": "\(directory)"])
        return fd
    }

    deinit {
        for fd in [inotify, wakeRead, wakeWrite] where fd >= 0 { close(fd) }
    }

    func stop() {
        state.withLock { $0.stopped = true }
        poke()
    }

    /// Asks to be woken after `delay` (replacing the previous request); `nil` cancels the request. Never sooner
    /// than 50 ms, so no answer of a pass can make the watcher spin.
    func wake(after delay: Duration?) {
        let at = delay.map { ContinuousClock.now + max($0, .milliseconds(50)) }
        state.withLock { $0.requested = at }
        poke()
    }

    /// Logs `message`, built with `+` across lines (which `Logger.Message` literals do not allow).
    private func log(_ level: Logger.Level, _ message: String, _ metadata: Logger.Metadata = [:]) {
        logger.log(level: level, "\(message)", metadata: metadata)
    }

    private func poke() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)  // a full pipe already holds a wake-up
    }

    /// The thread's body: block in `poll` until an event, a poke or a deadline, and yield a wake-up for each reason
    /// to look at the inbox.
    func loop() {
        let clock = ContinuousClock()
        var nextRescan = clock.now + rescanInterval
        var watching = inotify >= 0
        var fds = [
            pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
            pollfd(fd: inotify, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let (stopped, requested) = state.withLock { ($0.stopped, $0.requested) }
            if stopped { return }
            let now = clock.now
            var deadline = nextRescan
            if let requested, requested < deadline { deadline = requested }
            if deadline <= now {
                if let requested, requested <= now {
                    state.withLock { if let r = $0.requested, r <= now { $0.requested = nil } }
                }
                if nextRescan <= now {
                    nextRescan = now + rescanInterval
                    if inotify >= 0 && !watching { watching = rewatch() }
                }
                continuation.yield(())
                continue
            }
            let nanoseconds = InboxReader.nanoseconds(now.duration(to: deadline))
            let timeout = Int32(clamping: (nanoseconds + 999_999) / 1_000_000)
            fds[1].fd = watching ? inotify : -1
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 {
                if errno != EINTR {
                    // Not expected (ENOMEM at worst): say so, and keep the rescans going at a sane pace.
                    log(.error, "inbox watcher: \(SystemError("poll", directory)); retrying in a second")
                    var second = timespec(tv_sec: 1, tv_nsec: 0)
                    nanosleep(&second, nil)
                }
                continue
            }
            if fds[0].revents != 0 { drain(wakeRead) }
            if watching && fds[1].revents != 0 {
                let (relevant, lost) = readEvents()
                if lost {
                    watching = false
                    log(.warning, "the inbox stopped being watched (removed or replaced?); "
                        + "rescanning every \(rescanInterval) and watching it again once it is back")
                }
                if relevant || lost { continuation.yield(()) }
            }
        }
    }

    private func rewatch() -> Bool {
        guard inotify_add_watch(inotify, directory, Self.mask) >= 0 else { return false }
        log(.notice, "watching the inbox with inotify again", ["file": "\(directory)"])
        return true
    }

    private func drain(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 64)
        while buffer.withUnsafeMutableBytes({ read(fd, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// Reads every queued inotify event: whether one is about a file worth a pass (not a dot-name, or the queue
    /// overflowed), and whether the watch is gone.
    private func readEvents() -> (relevant: Bool, lost: Bool) {
        var relevant = false
        var lost = false
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                return (relevant, lost)
            }
            buffer.withUnsafeBytes { raw in
                var offset = 0
                while offset + 16 <= n {
                    let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let name = raw[(offset + 16)..<min(offset + 16 + length, n)]
                    if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                        relevant = true
                    } else if mask & UInt32(IN_IGNORED) != 0 {
                        lost = true
                    } else if name.first != UInt8(ascii: ".") {
                        relevant = true
                    }
                    offset += 16 + length
                }
            }
        }
    }
}
