import Foundation
import Rules

extension EvalCommand {
    /// Writes `--format json`: the bytes of `AlertJSON.encode(AlertJSON.document(alerts, …))`, through the daemon's
    /// hand-written ``AlertJSONWriter`` (byte for byte the same; pinned by the CLI golden tests and
    /// `AlertFilesTests`) and streamed a megabyte at a time.
    ///
    /// JSONEncoder took ≈ 40 µs per alert and built the whole text in memory: at national scale (≈ 520 000
    /// alerts, ≈ 600 MB of JSON) that was 20–30 s of the run and gigabytes of peak RSS (issue 4).
    static func writeJSON(_ alerts: [Alert], evaluatedAt: String, at: Period?, to out: FileHandle) {
        AlertJSONWriter.stream(counts: AlertJSON.counts(alerts), evaluatedAt: evaluatedAt, at: at?.description,
            fragments: { emit in
                for a in alerts { emit(AlertJSONWriter.object(a, indent: 4)[...]) }
            },
            write: { out.write(Data($0)) })
    }
}
