import Foundation
import Testing

@testable import WarnD

#if canImport(Glibc)
    import Glibc
#endif

/// The alert files' writer thread (issue 4): its own thread, named, at a lower CPU priority than the daemon's
/// other threads, so that a 610 MB rewrite gives way to the submission path on a 2-core server.
@Suite struct BackgroundThreadTests {
    /// What the kernel says of the calling thread: its id, name and nice value, from `/proc/thread-self/stat`.
    static func thisThread() throws -> (tid: String, name: String, nice: Int) {
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self")
        let stat = try String(contentsOfFile: "/proc/thread-self/stat", encoding: .utf8)
        // "tid (comm) state ppid …": the name may hold spaces, so fields are counted after its closing parenthesis.
        let open = try #require(stat.firstIndex(of: "(")), close = try #require(stat.lastIndex(of: ")"))
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // Field 19 of stat is the nice value; after the name, it is the 17th (state is the 3rd field).
        return (String(link.split(separator: "/").last!), String(stat[stat.index(after: open)..<close]),
            Int(fields[16])!)
    }

    @Test func jobsRunInOrderOnOneNamedThreadAtALowerPriority() async throws {
        let caller = try Self.thisThread()
        let thread = BackgroundThread(name: "warnd-test-bg", nice: 10)
        let seen = try await withCheckedThrowingContinuation { (done: CheckedContinuation<[(Int, String, String, Int)], any Error>) in
            let log = Log()
            for n in 0..<5 {
                thread.async {
                    do {
                        let t = try Self.thisThread()
                        log.append((n, t.tid, t.name, t.nice))
                        if n == 4 { done.resume(returning: log.entries) }
                    } catch {
                        done.resume(throwing: error)
                    }
                }
            }
        }
        #expect(seen.map(\.0) == [0, 1, 2, 3, 4], "in the order queued")
        #expect(Set(seen.map(\.1)).count == 1, "one thread")
        #expect(seen[0].1 != caller.tid)
        #expect(seen[0].2 == "warnd-test-bg")
        #expect(seen[0].3 == min(caller.nice + 10, 19), "nice 10 above the caller's")
        #expect(try Self.thisThread().nice == caller.nice, "the caller's own priority is not touched")
    }

    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [(Int, String, String, Int)] = []
        func append(_ e: (Int, String, String, Int)) { lock.withLock { list.append(e) } }
        var entries: [(Int, String, String, Int)] { lock.withLock { list } }
    }
}
