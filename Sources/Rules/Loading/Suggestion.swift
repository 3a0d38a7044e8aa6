/// "Did you mean" hints for misspelt keys, indicator ids and rule ids.
///
/// A tuner who types `thershold` should be told `threshold`, not just "unknown key"; the hint is offered only when
/// the candidate is close enough (edit distance at most a third of the word, at least 1) to be a plausible typo.
public enum Suggestion {
    /// The closest candidate to `word`, or `nil` when none is plausibly what was meant.
    public static func closest(to word: String, among candidates: some Sequence<String>) -> String? {
        let w = Array(word.lowercased().unicodeScalars)
        let limit = max(1, w.count / 3)
        var best: (String, Int)?
        for c in candidates {
            // The distance is at least the difference in length: skip the O(n·m) work for hopeless candidates
            // (a megabyte-long cell in a data file would otherwise cost seconds per candidate).
            let n = c.unicodeScalars.count
            if abs(n - w.count) > limit { continue }
            let d = distance(w, Array(c.lowercased().unicodeScalars))
            if d <= limit, d < (best?.1 ?? Int.max) { best = (c, d) }
        }
        return best?.0
    }

    /// ` (did you mean 'x'?)`, or the empty string, ready to append to a message.
    public static func hint(for word: String, among candidates: some Sequence<String>) -> String {
        closest(to: word, among: candidates).map { " (did you mean '\($0)'?)" } ?? ""
    }

    /// Optimal string alignment distance (Levenshtein plus adjacent transpositions, the commonest typo).
    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev2 = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    cur[j] = min(cur[j], prev2[j - 2] + 1)
                }
            }
            (prev2, prev, cur) = (prev, cur, prev2)
        }
        return prev[b.count]
    }
}
