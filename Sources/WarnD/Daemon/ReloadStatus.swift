import Foundation

/// `reload.json` in the state directory: the outcome of the daemon's latest rules load.
///
/// `warnd reload` (systemd's `ExecReload=`) sends SIGHUP and waits for `generation` to move past the value it read
/// before, so `systemctl reload warnd` returns only once the outcome is known, and fails when the rules were refused.
struct ReloadStatus: Codable, Sendable, Equatable {
    var generation: Int
    var ok: Bool
    var errors: [String]
    var rules: Int

    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self), to: path, mode: 0o644)
    }

    static func read(from path: String) -> ReloadStatus? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(ReloadStatus.self, from: data)
    }
}
