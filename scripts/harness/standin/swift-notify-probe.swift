// A Type=notify probe in Swift: proves that the Swift 6 runtime (Foundation, ICU, Dispatch, async/await,
// SQLite in WAL mode) starts and works under warnd.service's hardening — MemoryDenyWriteExecute=,
// SystemCallFilter=, ProcSubset=pid, PrivateUsers=, RestrictAddressFamilies=AF_UNIX — before the real daemon
// exists. Not warnd. Built by selftest.sh with `swiftc -O swift-notify-probe.swift -o …`.
//
// It writes $STATE_DIRECTORY/probe.sqlite (WAL) and probe.json, sends READY=1 + STATUS= from the main process,
// WATCHDOG=1 at half WatchdogSec, and on SIGTERM sends STOPPING=1 and exits 0.
import Dispatch
import Foundation
import Glibc

typealias NotifyFn = @convention(c) (Int32, UnsafePointer<CChar>) -> Int32
typealias OpenFn = @convention(c) (UnsafePointer<CChar>, UnsafeMutablePointer<OpaquePointer?>) -> Int32
typealias ExecFn = @convention(c) (OpaquePointer?, UnsafePointer<CChar>, OpaquePointer?, OpaquePointer?, OpaquePointer?) -> Int32
typealias CloseFn = @convention(c) (OpaquePointer?) -> Int32

func symbol<T>(_ lib: String, _ name: String, as: T.Type) -> T {
    guard let h = dlopen(lib, RTLD_NOW), let s = dlsym(h, name) else { fatalError("\(lib): \(name) missing") }
    return unsafeBitCast(s, to: T.self)
}

let sdNotify = symbol("libsystemd.so.0", "sd_notify", as: NotifyFn.self)
func notify(_ s: String) -> Int32 { s.withCString { sdNotify(0, $0) } }

let state = ProcessInfo.processInfo.environment["STATE_DIRECTORY"] ?? FileManager.default.currentDirectoryPath

// SQLite in WAL mode, as GRDB will use it: fcntl locks, shared-memory mmap of the -shm file, fsync.
let open = symbol("libsqlite3.so.0", "sqlite3_open", as: OpenFn.self)
let exec = symbol("libsqlite3.so.0", "sqlite3_exec", as: ExecFn.self)
let close = symbol("libsqlite3.so.0", "sqlite3_close", as: CloseFn.self)
var db: OpaquePointer?
guard open("\(state)/probe.sqlite", &db) == 0,
      exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE IF NOT EXISTS t(x TEXT); INSERT INTO t VALUES('孕产妇死亡率');", nil, nil, nil) == 0
else { fatalError("sqlite failed") }
_ = close(db)

// Foundation: JSON, dates with ICU formatting, atomic writes.
let formatter = DateFormatter()
formatter.locale = Locale(identifier: "zh_CN")
formatter.dateStyle = .full
let doc: [String: String] = [
    "date": formatter.string(from: Date()),
    "cpus": String(ProcessInfo.processInfo.activeProcessorCount),
    "memory": String(ProcessInfo.processInfo.physicalMemory),
]
try JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys]).write(to: URL(fileURLWithPath: "\(state)/probe.json"), options: .atomic)

// async/await on the cooperative pool, then ready.
let sum = await withTaskGroup(of: Int.self) { group in
    for i in 1...8 { group.addTask { try? await Task.sleep(nanoseconds: 1_000_000); return i } }
    var total = 0
    for await i in group { total += i }
    return total
}
let sent = notify("READY=1\nSTATUS=swift probe ready (task group sum \(sum), \(doc["date"]!))")
FileHandle.standardError.write(Data("sd_notify READY returned \(sent)\n".utf8))

var usec: UInt64 = 0
let watchdogEnabled = symbol("libsystemd.so.0", "sd_watchdog_enabled", as: (@convention(c) (Int32, UnsafeMutablePointer<UInt64>) -> Int32).self)
if watchdogEnabled(0, &usec) > 0 {
    Task.detached {
        while true {
            try? await Task.sleep(nanoseconds: usec * 500)
            _ = notify("WATCHDOG=1")
        }
    }
}

// SIGTERM: resume the main task and return from top-level code. (Calling exit() inside a DispatchSource handler
// on the main queue after dispatchMain() crashes in libdispatch's thread cleanup on Linux: the real daemon
// should end by returning from its async main too, as ServiceLifecycle does.)
/// Returns at the first SIGTERM; nonisolated, so the handler runs on the global queue, not the main actor.
nonisolated func sigterm() async {
    signal(SIGTERM, SIG_IGN)
    let term = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        term.setEventHandler { @Sendable in done.resume() }   // systemd sends SIGTERM once
        term.resume()
    }
    term.cancel()
}
await sigterm()
_ = notify("STOPPING=1\nSTATUS=stopping")
