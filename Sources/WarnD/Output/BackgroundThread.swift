import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A thread of its own for long background work, run at a lower CPU priority (a higher nice value) than the rest
/// of the daemon.
///
/// Why: at national scale the alert files are a 610 MB rewrite, seconds of CPU every few seconds while files
/// arrive, and on a 2-core server it shares a core with the submission path. Lowered, it gives way whenever a
/// submission needs the core (the kernel's fair scheduler weighs a thread at nice 10 at about a tenth of one at
/// nice 0), as storage engines lower their compaction threads. A thread of its own, because an unprivileged
/// process cannot raise a nice value back: a pooled thread lowered for one job would stay lowered for the next.
final class BackgroundThread: @unchecked Sendable {
    /// What the thread and its owner share; the thread ends once the owner is gone and the jobs are done.
    private final class Queue: @unchecked Sendable {
        let condition = NSCondition()
        var jobs: [@Sendable () -> Void] = []
        var open = true
    }

    private let queue = Queue()

    /// `name`: the thread's name in `/proc` and `top -H` (at most 15 bytes). `nice`: added to the process's nice
    /// value, for this thread only (Linux keeps one per thread).
    init(name: String, nice: Int32) {
        let queue = self.queue
        let thread = Thread {
            // Also told to the kernel directly: Foundation applies `Thread.name` to the thread only when it already
            // knows its own pthread, which it may not yet when the thread starts (CI once saw the creator's name).
            Thread.current.name = name
            let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
            if fd >= 0 {
                let bytes = Array(name.utf8.prefix(15))
                _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                close(fd)
            }
            // `who` 0 is the calling thread: Linux keeps a nice value per thread.
            let which = __priority_which_t(PRIO_PROCESS.rawValue)
            errno = 0
            let base = getpriority(which, 0)
            if errno == 0 { _ = setpriority(which, 0, base + nice) }
            while true {
                queue.condition.lock()
                while queue.jobs.isEmpty && queue.open { queue.condition.wait() }
                if queue.jobs.isEmpty {
                    queue.condition.unlock()
                    return
                }
                let job = queue.jobs.removeFirst()
                queue.condition.unlock()
                job()
            }
        }
        thread.start()
    }

    deinit {
        queue.condition.lock()
        queue.open = false
        queue.condition.signal()
        queue.condition.unlock()
    }

    /// Runs `job` on the thread, after the jobs queued before it.
    func async(_ job: @escaping @Sendable () -> Void) {
        queue.condition.lock()
        queue.jobs.append(job)
        queue.condition.signal()
        queue.condition.unlock()
    }
}
