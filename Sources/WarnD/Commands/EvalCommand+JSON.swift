import Foundation
import Rules

extension EvalCommand {
    /// Writes `--format json`: the bytes of `AlertJSON.encode(AlertJSON.document(alerts, …))`, produced a chunk of
    /// alerts at a time.
    ///
    /// Encoding the whole document at once built an encoder tree of every alert and then the whole text in memory:
    /// at national scale (≈ 520 000 alerts, ≈ 600 MB of JSON) that was gigabytes of peak RSS and a third of the
    /// run (issue 4). The chunks are encoded with the same encoder as arrays and indented one level deeper, which
    /// is exactly how the encoder writes them inside the document (pinned by the CLI golden tests).
    static func writeJSON(_ alerts: [Alert], evaluatedAt: String, at: Period?, to out: FileHandle) {
        let chunkSize = 2048
        let skeleton = AlertJSON.encode(AlertJSON.document([], evaluatedAt: evaluatedAt, at: at))
        guard !alerts.isEmpty else {
            out.write(skeleton)
            return
        }
        // The skeleton's empty array, `"alerts" : [\n\n  ]`, splits it into what comes before the alerts and after.
        let marker = Data("\"alerts\" : [".utf8)
        guard let open = skeleton.range(of: marker) else {
            out.write(AlertJSON.encode(AlertJSON.document(alerts, evaluatedAt: evaluatedAt, at: at)))
            return
        }
        out.write(skeleton[..<open.upperBound])
        var counts = AlertJSON.Counts()
        for start in stride(from: 0, to: alerts.count, by: chunkSize) {
            let doc = AlertJSON.document(Array(alerts[start..<min(start + chunkSize, alerts.count)]),
                evaluatedAt: evaluatedAt, at: at)
            counts.critical += doc.counts.critical
            counts.warning += doc.counts.warning
            counts.info += doc.counts.info
            counts.pending += doc.counts.pending
            // `[\n  {…},\n  {…}\n]` → `\n    {…},\n    {…}` (with a `,` before every chunk but the first).
            let array = [UInt8](AlertJSON.encode(doc.alerts))
            var text: [UInt8] = start == 0 ? [] : [UInt8(ascii: ",")]
            text.reserveCapacity(array.count + array.count / 8)
            let body = array[1..<(array.count - 2)]
            var i = body.startIndex
            while i < body.endIndex {
                let b = body[i]
                text.append(b)
                if b == UInt8(ascii: "\n"), i + 1 < body.endIndex, body[i + 1] != UInt8(ascii: "\n") {
                    text.append(UInt8(ascii: " "))
                    text.append(UInt8(ascii: " "))
                }
                i += 1
            }
            out.write(Data(text))
        }
        var tail = AlertJSON.document([], evaluatedAt: evaluatedAt, at: at)
        tail.counts = counts
        let closing = AlertJSON.encode(tail)
        // After the marker the skeleton has `\n\n  ]…`; the alerts end the array with `\n  ]…`.
        let rest = closing[closing.range(of: marker)!.upperBound...].dropFirst()
        out.write(Data(rest))
    }
}
