import Foundation
import Testing

/// Runs the scripts of `scripts/harness` (a private journald, a private systemd) from Swift Testing.
///
/// Exit status 77 is the scripts' "SKIP: reason" (not root, unshare refused): the test is cancelled with that
/// reason, so it shows as skipped, never as passed.
enum Harness {
    static let dir = WarnDBinary.root.appendingPathComponent("scripts/harness")

    @discardableResult
    static func run(_ script: String, _ arguments: [String], allowFailure: Bool = false) throws -> WarnDBinary.Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [dir.appendingPathComponent(script).path] + arguments
        p.currentDirectoryURL = WarnDBinary.root
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        let result = WarnDBinary.Output(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
        if result.status == 77 {
            let reason = result.stdout.split(separator: "\n").first { $0.hasPrefix("SKIP") } ?? "SKIP: \(script)"
            try Test.cancel("\(reason)")
        }
        if !allowFailure && result.status != 0 {
            Issue.record("\(script) \(arguments.joined(separator: " ")) exited \(result.status)\n\(result.stdout)\n\(result.stderr)")
        }
        return result
    }

    /// A work folder the namespaces can share with the host: under `.build`, never under /tmp (private inside).
    static func workDirectory() throws -> URL {
        let url = WarnDBinary.root.appendingPathComponent(".build/harness-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The journal entries of a `journalctl -o json` dump, one object a line.
    static func entries(_ url: URL) -> [[String: Any]] {
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}

extension Dictionary where Key == String, Value == Any {
    /// A journal field as text (journalctl prints non-UTF-8 or binary values as byte arrays).
    func field(_ name: String) -> String? {
        if let s = self[name] as? String { return s }
        if let bytes = self[name] as? [UInt8] { return String(decoding: bytes, as: UTF8.self) }
        if let numbers = self[name] as? [NSNumber] { return String(decoding: numbers.map { $0.uint8Value }, as: UTF8.self) }
        return nil
    }
}
