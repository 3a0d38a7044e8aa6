import Foundation
import Rules
import Testing

@testable import WarnD

/// Issue 5, item 7, "SQL only through bound parameters": data full of SQL metacharacters goes through the store and
/// comes back byte for byte, and no SQL text in `Sources/` is put together from values.
@Suite struct SQLInjectionTests {
    /// Strings that break SQL built by pasting: quotes of both kinds, a statement terminator with a comment,
    /// LIKE wildcards, a backslash, a tautology, and characters outside the BMP.
    static let hostile = [
        "O'Brien", "\"; DROP TABLE observation; --", "'; DROP TABLE submission; --", "100%", "a_b", "back\\slash",
        "' OR '1'='1", "😀 表情", "`tick` [bracket] $1 ?2 :name @v",
    ]
    /// A region with the same characters: the plan lists it, so the data may use it.
    static let region = "O'Brien县\"; DROP TABLE alert; --%_\\😀"

    static func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// The daemon fixture's rules with the hostile region (YAML single quotes: `'` doubled, `\` literal).
    static var rules: String {
        DaemonFixture.rules.replacingOccurrences(of: "regions: [测试县]",
            with: "regions: [测试县, '\(region.replacingOccurrences(of: "'", with: "''"))']")
    }

    @Test func sqlMetacharactersInDataRoundTripAndTheStoreStaysWhole() async throws {
        let f = try DaemonFixture(rules: Self.rules)
        let d = try f.daemon()
        try await d.start()
        let tablesBefore = try Self.tables(f.config.database)
        #expect(!tablesBefore.isEmpty)

        let i = "hiv_mother_to_child_transmission_rate"
        var csv = "indicator,region,period,value,area,source,note\n"
        for (n, s) in Self.hostile.enumerated() {
            csv += "\(i),\(Self.quoted(Self.region)),2024,\(2.5 + Double(n) / 10),\(Self.quoted(s)),"
                + "\(Self.quoted("src " + s)),\(Self.quoted("note " + s))\n"
        }
        let name = "O'Brien\"; DROP TABLE meta; --.csv"
        let first = await d.handle(DaemonFixture.submission(name, csv))
        guard case .accepted(let rows, let series) = first else {
            Issue.record("not accepted: \(first)")
            return
        }
        #expect(rows == Self.hostile.count && series == Self.hostile.count)
        // A revision of every series, so the update path sees the same strings as the insert path.
        let revised = csv.replacingOccurrences(of: ",2024,2.", with: ",2024,3.")
        guard case .accepted = await d.handle(DaemonFixture.submission("revision.csv", revised)) else {
            Issue.record("revision not accepted")
            return
        }

        // Read back through warnd's own outputs: the alert file, then a daemon restarted from the store alone.
        func alertsByArea() throws -> [String: [String: Any]] {
            let data = try Data(contentsOf: URL(fileURLWithPath: f.config.alertsDirectory + "/active.json"))
            let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let alerts = try #require(doc["alerts"] as? [[String: Any]])
            var out: [String: [String: Any]] = [:]
            for a in alerts {
                guard a["region"] as? String == Self.region, a["rule"] as? String == "t-hiv" else { continue }
                if let area = (a["dimensions"] as? [String: String])?["area"] { out[area] = a }
            }
            return out
        }
        // shutdown() leaves the alert files as the state is (they may be written off the submission path).
        await d.shutdown()
        let before = try alertsByArea()
        #expect(Set(before.keys) == Set(Self.hostile), "values did not come back identical: \(before.keys.sorted())")
        try FileManager.default.removeItem(atPath: f.config.alertsDirectory + "/active.json")

        let restarted = try f.daemon()
        try await restarted.start()
        await restarted.shutdown()
        let after = try alertsByArea()
        #expect(Set(after.keys) == Set(Self.hostile))
        for s in Self.hostile {
            #expect(after[s]?["id"] as? String == before[s]?["id"] as? String, "alert id of \(s) changed")
            #expect((after[s]?["value"] as? Double).map { $0 >= 3 } == true, "the revision of \(s) was lost")
        }
        let dataset = await restarted.dataset
        let keys = dataset.series.keys.filter { $0.region == Self.region }
        #expect(Set(keys.compactMap { $0.value(of: "area") }) == Set(Self.hostile))
        let provenance = try restarted.store.provenance(
            of: try #require(keys.first), period: try #require(Period("2024")))
        #expect(provenance?.submission == "revision.csv")
        #expect(try restarted.store.submission(sha256: SHA256.hex(Array(csv.utf8)))?.name == name)
        #expect(try restarted.store.counts() == (observations: Self.hostile.count, submissions: 2))

        // The database: intact, every table still there, and the notes and sources stored as the very strings.
        #expect(try CrashConsistencyTests.sqlite(f.config.database, "PRAGMA integrity_check") == "ok")
        #expect(try Self.tables(f.config.database) == tablesBefore)
        let dump = try WarnDBinary.runTool("/usr/bin/sqlite3", [f.config.database, ".dump"]).stdout
        for s in Self.hostile {
            for text in ["src " + s, "note " + s] {
                #expect(dump.contains("'" + text.replacingOccurrences(of: "'", with: "''") + "'"),
                    "\(text) is not stored as itself")
            }
        }
    }

    static func tables(_ database: String) throws -> [String] {
        try CrashConsistencyTests.sqlite(database, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .split(separator: "\n").map(String.init)
    }

    // MARK: The source scan

    static let sources = WarnDBinary.root.appendingPathComponent("Sources")

    /// Every `.swift` file under `Sources/`.
    static func swiftFiles() -> [URL] {
        guard let walker = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }.sorted { $0.path < $1.path }
    }

    @Test func noSQLTextInTheSourcesIsBuiltFromValues() throws {
        let files = Self.swiftFiles()
        #expect(files.count > 50, "the scan found too few files: \(files.count)")
        var statements = 0
        var findings: [String] = []
        let texts = try files.map { try String(contentsOf: $0, encoding: .utf8) }
        var constants: [String: Bool] = [:]
        for text in texts { constants.merge(SQLTextScanner.constants(text)) { $0 && $1 } }
        for (url, text) in zip(files, texts) {
            let scan = SQLTextScanner.scan(text, constants: constants)
            statements += scan.statements
            let relative = url.path.replacingOccurrences(of: WarnDBinary.root.path + "/", with: "")
            findings += scan.findings.map { "\(relative):\($0.line): \($0.message)" }
        }
        #expect(findings.isEmpty, "SQL built from values:\n\(findings.joined(separator: "\n"))")
        #expect(statements >= 10, "the scanner saw only \(statements) SQL arguments: is it still looking?")
    }

    /// The scanner on planted examples: each way of pasting a value into SQL is caught, and the safe forms are not.
    @Test(arguments: [
        (#"try db.execute(sql: "DELETE FROM t WHERE name = '\(name)'")"#, "interpolates"),
        (#"try Row.fetchAll(db, sql: "SELECT * FROM " + table)"#, "concatenates"),
        (#"try Row.fetchAll(db, sql: "SELECT * FROM t WHERE a = ?" + extra, arguments: [a])"#, "concatenates"),
        ("let s = try db.cachedStatement(sql: \"\"\"\n    SELECT x FROM t WHERE y = \\(y)\n    \"\"\")", "interpolates"),
        (#"try db.execute(sql: query)"#, "not a string literal"),
        (#"try db.execute(sql: String(format: "DELETE FROM t WHERE id = %d", id))"#, "not a string literal"),
        (##"try db.execute(sql: #"SELECT '\#(name)'"#)"##, "interpolates"),
        (#"try db.execute(sql: "SELECT 1"); try db.execute(sql: "x" + y)"#, "concatenates"),
        (#"sqlite3_exec(handle, text, nil, nil, nil)"#, "raw SQLite call"),
        ("let q = \"SELECT * FROM t WHERE a = \" + a\ntry db.execute(sql: q)", "built from values"),
        ("static let q = \"SELECT '\\(a)'\"\nfunc f() { try db.execute(sql: Self.q) }", "built from values"),
        (#"try db.execute(sql: "SELECT \(column(name)) FROM t")"#, "interpolates"),
        (#"try db.execute(sql: "SELECT \(columns) FROM t")"#, "interpolates"),
        ("let v = Array(repeating: name, count: 2).joined(separator: \", \")\ntry db.execute(sql: \"IN (\\(v))\")",
            "interpolates"),
        ("let v = Array(repeating: \"'x'\", count: n).joined(separator: \", \")\ntry db.execute(sql: \"IN (\\(v))\")",
            "interpolates"),
    ])
    func scannerCatchesSQLBuiltFromValues(_ source: String, _ kind: String) {
        let scan = SQLTextScanner.scan(source, constants: SQLTextScanner.constants(source))
        #expect(scan.findings.count == 1, "\(scan.findings)")
        #expect(scan.findings.first?.message.contains(kind) == true, "\(scan.findings)")
    }

    @Test(arguments: [
        #"try db.execute(sql: "DELETE FROM t WHERE name = ?", arguments: [name])"#,
        "try db.execute(sql: \"\"\"\n    INSERT INTO t (a, b) VALUES (?, ?) -- a \"quoted\" word, a + sign, \\\\( no\n    \"\"\", arguments: [a, b])",
        #"try db.execute(literal: "DELETE FROM t WHERE name = \(name)")"#,
        #"// try db.execute(sql: "SELECT " + x) in a comment"#,
        #"/* sql: "\(x)" */ let y = 1"#,
        #"let help = "use sql: \(x) + y" // a string that mentions sql:"#,
        #"try Int.fetchOne(db, sql: "SELECT count(*) FROM t") ?? 0"#,
        "static let v1 = \"\"\"\n    CREATE TABLE t (a TEXT);\n    \"\"\"\nm.registerMigration(\"v1\") { db in try db.execute(sql: v1) }",
        #"throw DatabaseError(resultCode: rc, message: m, sql: sqlite3_sql(s).map { String(cString: $0) })"#,
        #"func run(sql: String, arguments: StatementArguments) throws {}"#,
        "let values = Array(repeating: \"(?, ?, ?)\", count: batch).joined(separator: \", \")\n"
            + "let many = try db.makeStatement(sql: \"\"\"\n    INSERT INTO t (a, b, c) VALUES \\(values)\n    \"\"\")",
        "static let columns = \"a, b\"\ntry db.execute(sql: \"SELECT \\(Self.columns), \\(text(\"o.period\")) FROM t\")",
    ])
    func scannerAcceptsBoundParametersAndIgnoresCommentsAndText(_ source: String) {
        let scan = SQLTextScanner.scan(source, constants: SQLTextScanner.constants(source))
        #expect(scan.findings.isEmpty, "\(scan.findings)")
    }
}

/// Finds the SQL arguments (`sql:`) in Swift source and reports those not written as one plain string literal.
///
/// GRDB's `sql:` arguments take SQL text as is, so a value pasted into it (`\(x)` or `+ x`) is executed as SQL.
/// Values belong in `arguments:` (bound parameters), or in `literal:` (GRDB's `SQL` interpolation, which binds each
/// `\(…)`). A name is accepted when it is a constant (`let`/`static let` anywhere in the sources) initialised with
/// one clean literal; anything else (a variable built elsewhere, a call) is reported: the scanner cannot see where
/// that text came from, so it must be a literal or such a constant. Comments and string contents are skipped, so
/// text that merely mentions `sql:` is not an argument, and so are `sql:` parameters that only carry SQL for a
/// report (`DatabaseError(…, sql:)`) or declare one (`func f(sql: String)`). Raw `sqlite3_exec`/`sqlite3_prepare`
/// calls are reported: they would compile SQL text outside GRDB's statements.
enum SQLTextScanner {
    struct Finding: Equatable, CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "\(line): \(message)" }
    }

    struct Result {
        var statements = 0
        var findings: [Finding] = []
    }

    /// Callees whose `sql:` argument is not executed: it only describes a statement in an error.
    static let reportingCallees: Set<String> = ["DatabaseError"]

    /// The string constants in `source` (`let NAME = "…"`, `static let NAME: String = """…"""`), each with whether
    /// its initialiser is one literal without interpolation or concatenation.
    static func constants(_ source: String) -> [String: Bool] {
        var out: [String: Bool] = [:]
        for d in definitions(Array(source.unicodeScalars)) { out[d.name] = (out[d.name] ?? true) && d.clean }
        return out
    }

    /// Every `let NAME = …` in `c`, where it is, and whether its initialiser is clean SQL text.
    static func definitions(_ c: [Unicode.Scalar]) -> [(name: String, at: Int, clean: Bool)] {
        var out: [(name: String, at: Int, clean: Bool)] = []
        var i = 0
        func isIdent(_ u: Unicode.Scalar) -> Bool { u == "_" || u.properties.isAlphabetic || u.properties.numericType != nil }
        while i + 4 < c.count {
            guard (i == 0 || !isIdent(c[i - 1])) && c[i] == "l" && c[i + 1] == "e" && c[i + 2] == "t" && c[i + 3] == " "
            else { i += 1; continue }
            var k = i + 4
            var name = ""
            while k < c.count && isIdent(c[k]) { name.unicodeScalars.append(c[k]); k += 1 }
            while k < c.count && c[k] == " " { k += 1 }
            if k + 1 < c.count && c[k] == ":" {  // a type annotation
                k += 1
                while k < c.count && c[k] != "=" && c[k] != "\n" { k += 1 }
            }
            guard !name.isEmpty, k < c.count, c[k] == "=" else { i = k; continue }
            let (end, findings, _) = argument(c, from: k + 1, line: 0, endsAtLineEnd: true)
            let clean = findings.isEmpty || isPlaceholderList(c, from: k + 1, to: end)
            out.append((name, i, clean))
            i = end
        }
        return out
    }

    /// Scans `source`. A name used as SQL text is looked up in this file first (its nearest definition before the
    /// use), then in `constants` (all the sources: a `static let` of another type).
    static func scan(_ source: String, constants global: [String: Bool] = [:]) -> Result {
        let c = Array(source.unicodeScalars)
        let local = definitions(c)
        let resolve: (String, Int) -> Bool? = { name, position in
            local.last { $0.name == name && $0.at < position }?.clean ?? global[name]
        }
        var result = Result()
        var i = 0
        var line = 1
        func at(_ s: String, _ k: Int) -> Bool {
            let u = Array(s.unicodeScalars)
            return k + u.count <= c.count && Array(c[k..<(k + u.count)]) == u
        }
        func isIdent(_ u: Unicode.Scalar) -> Bool { u == "_" || u.properties.isAlphabetic || u.properties.numericType != nil }
        while i < c.count {
            if c[i] == "\n" { line += 1; i += 1; continue }
            if at("//", i) { while i < c.count && c[i] != "\n" { i += 1 }; continue }
            if at("/*", i) {
                i += 2
                while i < c.count && !at("*/", i) { if c[i] == "\n" { line += 1 }; i += 1 }
                i += 2
                continue
            }
            if c[i] == "\"" || (c[i] == "#" && i + 1 < c.count && (c[i + 1] == "\"" || c[i + 1] == "#")) {
                let lit = skipLiteral(c, i)
                line += lit.newlines
                i = lit.end
                continue
            }
            let start = i == 0 || !isIdent(c[i - 1])
            if start && (at("sqlite3_exec", i) || at("sqlite3_prepare", i)) {
                result.findings.append(Finding(line: line, message: "raw SQLite call: SQL goes through GRDB with bound arguments"))
                i += 12
                continue
            }
            if start && at("sql", i) {
                var k = i + 3
                while k < c.count && (c[k] == " " || c[k] == "\t") { k += 1 }
                if k < c.count && c[k] == ":" && !(i + 3 < c.count && isIdent(c[i + 3])) {
                    let (callee, declaration) = enclosingCall(c, before: i)
                    var (end, findings, newlines) = argument(c, from: k + 1, line: line, resolve: resolve)
                    if declaration || reportingCallees.contains(callee) {
                        findings = []
                    } else {
                        result.statements += 1
                    }
                    result.findings += findings
                    line += newlines
                    i = end
                    continue
                }
            }
            i += 1
        }
        return result
    }

    /// Skips a string literal starting at `i` (`"…"`, `"""…"""`, `#"…"#`); returns where it ends, how many lines it
    /// spans, and the interpolated expressions in it.
    static func skipLiteral(_ c: [Unicode.Scalar], _ start: Int) -> (end: Int, newlines: Int, interpolations: [String]) {
        var i = start
        var hashes = 0
        while i < c.count && c[i] == "#" { hashes += 1; i += 1 }
        let multi = i + 2 < c.count && c[i] == "\"" && c[i + 1] == "\"" && c[i + 2] == "\""
        i += multi ? 3 : 1
        let closing: [Unicode.Scalar] = Array(repeating: "\"", count: multi ? 3 : 1) + Array(repeating: "#", count: hashes)
        let escape: [Unicode.Scalar] = ["\\"] + Array(repeating: "#", count: hashes)
        var newlines = 0
        var interpolations: [String] = []
        while i < c.count {
            if c[i] == "\n" { newlines += 1 }
            if i + escape.count <= c.count && Array(c[i..<(i + escape.count)]) == escape {
                let after = i + escape.count
                if after < c.count && c[after] == "(" {
                    var depth = 1
                    var k = after + 1
                    while k < c.count && depth > 0 {
                        if c[k] == "(" { depth += 1 } else if c[k] == ")" { depth -= 1 }
                        k += 1
                    }
                    interpolations.append(String(String.UnicodeScalarView(c[(after + 1)..<max(after + 1, k - 1)])))
                    i = k
                    continue
                }
                i = after + 1
                continue
            }
            if i + closing.count <= c.count && Array(c[i..<(i + closing.count)]) == closing {
                return (i + closing.count, newlines, interpolations)
            }
            i += 1
        }
        return (c.count, newlines, interpolations)
    }

    /// Whether `c[from..<to]` is a list of bound-parameter placeholders for a multi-row statement, exactly
    /// `Array(repeating: "(?, ?, …)", count: n).joined(separator: ", ")` with literals made only of `?`, parentheses,
    /// commas and spaces: whatever `n` is, only placeholders come out, never a value.
    static func isPlaceholderList(_ c: [Unicode.Scalar], from: Int, to: Int) -> Bool {
        let allowed = Set("\"#?(), \n".unicodeScalars)
        var code = ""
        var i = from
        while i < to {
            if c[i] == "\"" || c[i] == "#" {
                let lit = skipLiteral(c, i)
                guard c[i..<min(lit.end, to)].allSatisfy({ allowed.contains($0) }) else { return false }
                code += "L"
                i = lit.end
                continue
            }
            code.unicodeScalars.append(c[i])
            i += 1
        }
        let shape = #"^Array\(repeating: *L, *count: *[A-Za-z_0-9.]+\)\.joined\(separator: *L\)$"#
        return code.trimmingCharacters(in: .whitespacesAndNewlines).range(of: shape, options: .regularExpression) != nil
    }

    /// Whether an interpolated expression is SQL fixed at compile time: a constant initialised with one clean
    /// literal (`\(Self.periodColumns)`), or a call whose arguments are all plain literals (`\(periodText("o.period"))`),
    /// so no value from outside the source can flow into it.
    static func isConstantSQL(_ expression: String, at position: Int, resolve: (String, Int) -> Bool?) -> Bool {
        let e = expression.trimmingCharacters(in: .whitespaces)
        func isName(_ s: Substring) -> Bool {
            !s.isEmpty && s.unicodeScalars.allSatisfy { $0 == "." || $0 == "_" || $0.properties.isAlphabetic
                || $0.properties.numericType != nil }
        }
        if isName(e[...]) { return resolve(String(e.split(separator: ".").last ?? ""), position) == true }
        guard let open = e.firstIndex(of: "("), e.hasSuffix(")"), isName(e[..<open]) else { return false }
        let inside = Array(e[e.index(after: open)..<e.index(before: e.endIndex)].unicodeScalars)
        var i = 0
        while i < inside.count {
            let u = inside[i]
            if u == "\"" || u == "#" {
                let lit = skipLiteral(inside, i)
                if !lit.interpolations.isEmpty { return false }
                i = lit.end
            } else if u == " " || u == "," {
                i += 1
            } else if u == "_" || u.properties.isAlphabetic {
                // Only as an argument label: `name:`, never a name whose value would flow in.
                while i < inside.count && (inside[i] == "_" || inside[i].properties.isAlphabetic
                    || inside[i].properties.numericType != nil) { i += 1 }
                while i < inside.count && inside[i] == " " { i += 1 }
                guard i < inside.count, inside[i] == ":" else { return false }
                i += 1
            } else {
                return false
            }
        }
        return true
    }

    /// The name of the call whose argument list holds position `i`, and whether it is a declaration (`func f(`).
    static func enclosingCall(_ c: [Unicode.Scalar], before i: Int) -> (callee: String, declaration: Bool) {
        var k = i - 1
        var depth = 0
        while k >= 0 {
            if c[k] == ")" || c[k] == "]" { depth += 1 }
            if c[k] == "(" || c[k] == "[" {
                if depth == 0 { break }
                depth -= 1
            }
            k -= 1
        }
        guard k > 0, c[k] == "(" else { return ("", false) }
        var e = k - 1
        while e >= 0 && c[e] == " " { e -= 1 }
        var name = ""
        while e >= 0 && (c[e] == "_" || c[e].properties.isAlphabetic || c[e].properties.numericType != nil) {
            name = String(c[e]) + name
            e -= 1
        }
        while e >= 0 && c[e] == " " { e -= 1 }
        let declaration = e >= 3 && String(String.UnicodeScalarView(c[(e - 3)...e])) == "func"
        return (name, declaration || name == "init")
    }

    /// Reads one argument expression from `from` up to the `,` or `)` that ends it (or the end of the line, for a
    /// constant's initialiser), and judges it.
    static func argument(
        _ c: [Unicode.Scalar], from: Int, line: Int, resolve: (String, Int) -> Bool? = { _, _ in nil },
        endsAtLineEnd: Bool = false
    ) -> (end: Int, findings: [Finding], newlines: Int) {
        var i = from
        var depth = 0
        var literals = 0
        var newlines = 0
        var code = ""
        var findings: [Finding] = []
        while i < c.count {
            let u = c[i]
            if depth == 0 && (u == "," || u == ")" || u == ";" || u == "}" || (endsAtLineEnd && u == "\n")) { break }
            if u == "\"" || (u == "#" && i + 1 < c.count && (c[i + 1] == "\"" || c[i + 1] == "#")) {
                let lit = skipLiteral(c, i)
                for e in lit.interpolations where !isConstantSQL(e, at: from, resolve: resolve) {
                    findings.append(Finding(line: line, message: "interpolates \\(\(e)) into SQL text; bind it with arguments: instead"))
                }
                literals += 1
                newlines += lit.newlines
                i = lit.end
                continue
            }
            if u == "\n" { newlines += 1 }
            if u == "(" || u == "[" || u == "{" { depth += 1 }
            if u == ")" || u == "]" || u == "}" { depth -= 1 }
            code.unicodeScalars.append(u)
            i += 1
        }
        let rest = code.trimmingCharacters(in: .whitespacesAndNewlines)
        let name = rest.split(separator: ".").last.map(String.init) ?? ""
        let isName = literals == 0 && !rest.isEmpty
            && rest.unicodeScalars.allSatisfy { $0 == "." || $0 == "_" || $0.properties.isAlphabetic || $0.properties.numericType != nil }
        if rest.contains("+") {
            findings.append(Finding(line: line, message: "concatenates text into SQL; bind values with arguments: instead"))
        } else if isName, let clean = resolve(name, from) {
            if !clean {
                findings.append(Finding(line: line, message: "SQL text `\(rest)` is built from values (see its "
                    + "definition); make it one literal and bind values with arguments:"))
            }
        } else if literals == 0 || !rest.isEmpty {
            findings.append(Finding(line: line, message: "SQL text is not a string literal (`\(rest)`); the scan cannot "
                + "see what goes into it: write it as a literal and bind values with arguments:"))
        }
        return (i, findings, newlines)
    }
}
