import Foundation
import Testing

@testable import Rules

/// A small catalog with one indicator of each kind of unit: a rate per 100 000, a percentage, and one without
/// natural bounds.
private let catalog = IndicatorCatalog([
    Indicator(
        id: "maternal_mortality_ratio", name: "孕产妇死亡率", unit: "1/10万", better: .down, bounds: 0...100_000
    ),
    Indicator(
        id: "cervical_cancer_screening_rate", name: "宫颈癌筛查率", aliases: ["宫颈癌筛查覆盖率"], unit: "%",
        better: .up, bounds: 0...100
    ),
    Indicator(id: "sex_ratio_at_birth", name: "出生人口性别比", unit: "女=100", better: .none),
])

private let header = "indicator,region,period,value\n"
/// In a row `maternal_mortality_ratio,北京市,2024,X` the region starts at column 26, the period at 30, the value at 35.
private let mmr = "maternal_mortality_ratio"
/// In a row `cervical_cancer_screening_rate,北京市,2024,X` the value starts at column 41.
private let ccs = "cervical_cancer_screening_rate"
/// `{"indicator": "maternal_mortality_ratio", "region": "北京市", "period": 2024`: 73 characters, so a value after
/// `, "value": ` starts at column 85, after `, "dimensions": ` at 90, after `, "source": ` at 86, after `, "note": `
/// at 84.
private let prefix = #"{"indicator": "maternal_mortality_ratio", "region": "北京市", "period": 2024"#

private func parse(
    _ text: String, file: String = "d.csv", format: DataFormat? = nil, regions: Set<String>? = nil,
    maxErrors: Int = 100
) -> ParsedData {
    parse(Array(text.utf8), file: file, format: format, regions: regions, maxErrors: maxErrors)
}

private func parse(
    _ bytes: [UInt8], file: String = "d.csv", format: DataFormat? = nil, regions: Set<String>? = nil,
    maxErrors: Int = 100
) -> ParsedData {
    ObservationParser(catalog: catalog, regions: regions, maxErrors: maxErrors).parse(bytes, file: file, format: format)
}

private func errors(_ data: ParsedData) -> [String] { data.errors.map(\.description) }

/// The single value of a one-row CSV file, or its errors.
private func csvValue(_ indicator: String, _ cell: String) -> (value: Double?, errors: [String]) {
    let data = parse(header + "\(indicator),北京市,2024,\(cell)\n")
    return (data.observations.first?.value, errors(data))
}

@Suite("DataParser: encodings")
struct DataParserEncodingTests {
    @Test func utf8ByteOrderMarkIsDroppedAndDoesNotShiftColumns() throws {
        let data = parse("\u{FEFF}" + header + "\(mmr),北京市,2024,12.5\n\(mmr),北京市,2023,abc\n")
        #expect(data.encoding == "utf-8")
        #expect(data.observations.map(\.value) == [12.5])
        #expect(errors(data) == ["d.csv:3:35: error: expected a decimal number, found 'abc'"])

        let decoded = try DataFileDecoder.decode(Array("\u{FEFF}a".utf8), file: "d.csv")
        #expect(decoded.hadByteOrderMark)
        #expect(decoded.utf8 == Array("a".utf8))
        #expect(decoded.encoding == .utf8)
    }

    @Test func crlfLineEndsAreLineBreaksAndNotPartOfValues() {
        let data = parse(
            "indicator,region,period,value\r\n\(mmr),北京市,2024,12.5\r\n\r\n\(mmr),北京市,2023,x\r\n\(mmr),北京市,2022,9\r\n"
        )
        #expect(data.observations.map(\.value) == [12.5, 9])
        #expect(data.observations.map(\.location) == [
            SourceLocation(file: "d.csv", line: 2, column: 1), SourceLocation(file: "d.csv", line: 5, column: 1),
        ])
        #expect(errors(data) == ["d.csv:4:35: error: expected a decimal number, found 'x'"])
    }

    @Test func gb18030FileFromChineseExcelIsDecoded() throws {
        let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
            .appendingPathComponent("data/gb18030.csv")
        let bytes = [UInt8](try Data(contentsOf: url))
        // 指 is D6 B8 in GB18030: the fixture really is not UTF-8.
        #expect(Array(bytes.prefix(2)) == [0xD6, 0xB8])
        let data = parse(bytes, file: "gb18030.csv")
        #expect(data.encoding == "gb18030")
        #expect(data.observations.count == 1)
        #expect(data.observations.first?.key == SeriesKey(indicator: mmr, region: "北京市"))
        #expect(data.observations.first?.note == "初步数")
        #expect(data.observations.first?.value == 12.5)
        // Columns count characters of the decoded text, not GB18030 bytes.
        #expect(errors(data) == ["gb18030.csv:3:41: error: expected a decimal number, found '百分之九十'"])
    }

    @Test(arguments: [
        ([0xFF, 0xFE, 0x69, 0x00], "UTF-16"),
        ([0xFE, 0xFF, 0x00, 0x69], "UTF-16"),
        ([0xFF, 0xFE, 0x00, 0x00, 0x69, 0x00, 0x00, 0x00], "UTF-32"),
        ([0x00, 0x00, 0xFE, 0xFF, 0x00, 0x00, 0x00, 0x69], "UTF-32"),
    ] as [([UInt8], String)])
    func utf16AndUtf32AreRefusedByTheirByteOrderMark(bytes: [UInt8], name: String) {
        let data = parse(bytes)
        #expect(errors(data) == ["d.csv:1:1: error: \(name) is not supported; save it as UTF-8 (CSV UTF-8)"])
        #expect(data.encoding == "unknown")
        #expect(data.observations.isEmpty)
    }

    /// "CSV UTF-8" is a choice in a spreadsheet's save dialog; a JSON Lines file comes from a program.
    @Test func jsonLinesFilesAreNotToldToSaveAsCsv() {
        let nul = parse(prefix + ", \"value\": 1}\u{0}\n", file: "d.jsonl")
        #expect(errors(nul) == [
            "d.jsonl:1:87: error: NUL byte: this is not a text file (UTF-16 without a byte order mark, "
                + "or a binary file?); write it as UTF-8"
        ])
        #expect(errors(parse([0xFF, 0xFE, 0x7B, 0x00], file: "d.ndjson")) == [
            "d.ndjson:1:1: error: UTF-16 is not supported; write it as UTF-8"
        ])
        // Told by the caller, whatever the name says.
        #expect(errors(parse(Array("{}".utf8) + [0xFF], file: "upload", format: .jsonl)) == [
            "upload:1:3: error: invalid byte sequence 0xFF: the file is neither UTF-8 nor GB18030; write it as UTF-8"
        ])
        // A workbook is a spreadsheet's whatever its name: the spreadsheet advice stays.
        #expect(errors(parse([0x50, 0x4B, 0x03, 0x04], file: "d.jsonl")) == [
            "d.jsonl:1:1: error: this is a spreadsheet workbook (.xlsx/.xls/.et), not a text file; "
                + "save it as UTF-8 (CSV UTF-8)"
        ])
    }

    @Test func byteOrderMarkInTheMiddleIsAnErrorAtItsPosition() {
        let data = parse(header + "\(mmr),北京市,2024,12.5\n\u{FEFF}\(mmr),北京市,2023,11\n\(mmr),北京市\u{FEFF},2022,10\n")
        #expect(errors(data) == [
            "d.csv:3:1: error: byte order mark (U+FEFF) in the middle of the file (were files joined?); "
                + "it is only allowed at the very start",
            "d.csv:4:29: error: byte order mark (U+FEFF) in the middle of the file (were files joined?); "
                + "it is only allowed at the very start",
        ])
        // The rows themselves are still read, so that all their other problems are reported too.
        #expect(data.observations.map(\.key.region) == ["北京市", "北京市", "北京市"])
        #expect(data.rowCount == 3)
    }

    @Test func nulByteIsAnErrorAtItsPosition() {
        let data = parse(header + "\(mmr),北京市\u{0},2024,1\n")
        #expect(errors(data) == [
            "d.csv:2:29: error: NUL byte: this is not a text file (UTF-16 without a byte order mark, "
                + "or a binary file?); save it as UTF-8 (CSV UTF-8)"
        ])
        #expect(data.observations.isEmpty)
    }

    @Test func bytesThatAreNeitherUtf8NorGb18030AreRefusedAtTheFirstBadByte() {
        let bad = Array((header + "\(mmr),北京").utf8) + [0xFF] + Array(",2024,1\n".utf8)
        #expect(errors(parse(bad)) == [
            "d.csv:2:28: error: invalid byte sequence 0xFF: the file is neither UTF-8 nor GB18030; "
                + "save it as UTF-8 (CSV UTF-8)"
        ])
        let truncated = Array((header + "\(mmr),北").utf8) + [0xE4, 0xBA] + Array(",2024,1\n".utf8)
        #expect(errors(parse(truncated)) == [
            "d.csv:2:27: error: invalid byte sequence 0xE4 0xBA: the file is neither UTF-8 nor GB18030; "
                + "save it as UTF-8 (CSV UTF-8)"
        ])
    }

    @Test func invalidUtf8AfterAUtf8ByteOrderMarkIsNotGuessedAsGb18030() {
        // B5 D8 would decode as GB18030 (地), but the byte order mark says the file is UTF-8.
        let bytes = [0xEF, 0xBB, 0xBF] + Array("ab".utf8) + [0xB5, 0xD8]
        #expect(errors(parse(bytes)) == [
            "d.csv:1:3: error: invalid UTF-8 byte sequence 0xB5 in a file that starts with a UTF-8 byte order mark; "
                + "save it again as UTF-8 (CSV UTF-8)"
        ])
    }

    @Test func spreadsheetWorkbookIsRefused() {
        #expect(errors(parse([0x50, 0x4B, 0x03, 0x04, 0x14, 0x00])) == [
            "d.csv:1:1: error: this is a spreadsheet workbook (.xlsx/.xls/.et), not a text file; "
                + "save it as UTF-8 (CSV UTF-8)"
        ])
    }
}

@Suite("DataParser: CSV")
struct DataParserCSVTests {
    @Test func quotedFieldsHoldCommasLineBreaksAndDoubledQuotes() {
        let data = parse(
            "indicator,region,period,value,note\n"
                + "\(mmr),\"北京市\",2024,\"12.5\",\"含\"\"流动人口\"\",\n跨行\"\n"
                + "\(mmr),\"上海,浦东\",2024,x,\n"
                + "\(mmr),\"上海,浦东\",2023,3,\"\"\n"
        )
        #expect(data.observations.count == 2)
        #expect(data.observations.first?.key.region == "北京市")
        #expect(data.observations.first?.value == 12.5)
        #expect(data.observations.first?.note == "含\"流动人口\",\n跨行")
        #expect(data.observations.last?.key.region == "上海,浦东")
        #expect(data.observations.last?.note == nil)
        // Line numbers count physical lines: the note of line 2 runs on to line 3.
        #expect(data.observations.last?.location == SourceLocation(file: "d.csv", line: 5, column: 1))
        #expect(errors(data) == ["d.csv:4:39: error: expected a decimal number, found 'x'"])
    }

    @Test func unterminatedQuoteIsReportedAtTheOpeningQuote() {
        let data = parse(header + "\(mmr),北京市,2024,12\n\(mmr),\"北京市,2023,13\n\(mmr),北京市,2022,14\n")
        #expect(errors(data) == ["d.csv:3:26: error: unterminated quoted field: the quote opened here is never closed"])
        #expect(data.observations.map(\.value) == [12])
    }

    @Test func textAfterAClosingQuoteIsAnError() {
        let data = parse(header + "\(mmr),\"北京\"市,2024,12\n\(mmr),北京市,2023,13\n")
        #expect(errors(data) == [
            "d.csv:2:30: error: unexpected text after the closing quote of a field "
                + "(write a quote inside a quoted field as \"\")"
        ])
        #expect(data.observations.map(\.value) == [13])
    }

    @Test(arguments: [
        (ccs, "８７．５", 87.5),
        (ccs, "８７．５％", 87.5),
        (ccs, "　＋８７．５　", 87.5),
        (ccs, "87.5 %", 87.5),
        (ccs, "87.5%", 87.5),
        (mmr, " 12.5 ", 12.5),
        (mmr, "１２", 12),
        ("sex_ratio_at_birth", "－１．５", -1.5),
    ])
    func fullWidthFormsAndPercentSignsAreNormalised(indicator: String, cell: String, expected: Double) {
        let result = csvValue(indicator, cell)
        #expect(result.errors == [])
        #expect(result.value == expected)
    }

    @Test func percentSignOnAnIndicatorNotMeasuredInPercentIsAnError() {
        #expect(csvValue(mmr, "12%").errors == [
            "d.csv:2:35: error: '%' is only allowed for indicators measured in %; "
                + "the unit of 孕产妇死亡率 (maternal_mortality_ratio) is 1/10万"
        ])
        #expect(csvValue(mmr, "１２％").errors.count == 1)
    }

    @Test(arguments: ["", "   ", "　"])
    func emptyValueMeansNotReported(cell: String) {
        let data = parse(header + "\(mmr),北京市,2024,\(cell)\n")
        #expect(errors(data) == [])
        #expect(data.observations.count == 1)
        #expect(data.observations.first?.value == nil)
    }

    @Test(arguments: [
        ("NaN", "expected a decimal number, found 'NaN'"),
        ("nan", "expected a decimal number, found 'nan'"),
        ("inf", "expected a decimal number, found 'inf'"),
        ("-Infinity", "expected a decimal number, found '-Infinity'"),
        ("abc", "expected a decimal number, found 'abc'"),
        ("约12", "expected a decimal number, found '约12'"),
        ("1.2.3", "expected a decimal number, found '1.2.3'"),
        ("1e", "expected a decimal number, found '1e'"),
        ("--1", "expected a decimal number, found '--1'"),
        ("12 5", "expected a decimal number, found '12 5'"),
        ("0x10", "expected a decimal number, found '0x10'"),
        ("%", "expected a decimal number, found '%'"),
        ("\"1,234\"", "expected a decimal number, found '1,234' (write numbers without thousands separators)"),
        ("\"１，２３４\"", "expected a decimal number, found '１，２３４' (write numbers without thousands separators)"),
        ("1e999", "number '1e999' is too large"),
    ])
    func textThatIsNotADecimalNumberIsAnError(cell: String, message: String) {
        // `sex_ratio_at_birth,北京市,2024,` is 28 characters.
        #expect(csvValue("sex_ratio_at_birth", cell).errors == ["d.csv:2:29: error: \(message)"])
    }

    @Test func unquotedThousandsSeparatorSplitsTheRow() {
        #expect(csvValue(mmr, "1,234").errors == ["d.csv:2:37: error: expected 4 fields as in the header, found 5"])
    }

    @Test(arguments: [
        ("0.1", 0.1),
        ("1e-7", 1e-7),
        ("12.50", 12.5),
        ("-0", 0),
        ("+3", 3),
        (".5", 0.5),
        ("5.", 5),
        ("2.5E+3", 2500),
        ("0.30000000000000004", 0.30000000000000004),
        ("123456789012345678901", 123_456_789_012_345_678_901.0),
        ("1.7976931348623157e308", Double.greatestFiniteMagnitude),
        ("4.9e-324", Double.leastNonzeroMagnitude),
        ("000123.4500", 123.45),
    ])
    func decimalNumbersAreReadExactly(cell: String, expected: Double) {
        let result = csvValue("sex_ratio_at_birth", cell)
        #expect(result.errors == [])
        #expect(result.value == expected)
    }

    @Test func valueOutsideTheNaturalBoundsIsAnError() {
        #expect(csvValue(ccs, "100.5").errors == [
            "d.csv:2:41: error: value 100.5 is outside the bounds 0…100 of 宫颈癌筛查率 (cervical_cancer_screening_rate)"
        ])
        #expect(csvValue(mmr, "-1").errors == [
            "d.csv:2:35: error: value -1 is outside the bounds 0…100000 of 孕产妇死亡率 (maternal_mortality_ratio)"
        ])
        #expect(csvValue(ccs, "100").value == 100)
        #expect(csvValue(ccs, "0").value == 0)
    }

    @Test(arguments: [
        (
            "maternal_mortality_rate",
            "unknown indicator 'maternal_mortality_rate' (did you mean 'maternal_mortality_ratio'?)"
        ),
        ("孕产妇死亡率", "unknown indicator '孕产妇死亡率' (did you mean 'maternal_mortality_ratio'?)"),
        ("宫颈癌筛查覆盖率", "unknown indicator '宫颈癌筛查覆盖率' (did you mean 'cervical_cancer_screening_rate'?)"),
        ("gdp", "unknown indicator 'gdp'"),
        ("", "missing indicator"),
    ])
    func unknownIndicatorIsAnErrorWithDidYouMean(indicator: String, message: String) {
        let data = parse(header + "\(indicator),北京市,2024,1\n\(indicator),北京市,2023,2\n")
        // Every row is reported, not only the first with the same mistake.
        #expect(errors(data) == ["d.csv:2:1: error: \(message)", "d.csv:3:1: error: \(message)"])
        #expect(data.observations.isEmpty)
    }

    @Test(arguments: ["2024Q5", "24", "2024-7", "2024年", "20245", "1900", "2024-13", "Q3"])
    func badPeriodIsAnError(period: String) {
        let data = parse(header + "\(mmr),北京市,\(period),1\n")
        #expect(errors(data) == [
            "d.csv:2:30: error: expected a period like 2024, 2024Q3 or 2024-07, found '\(period)'"
        ])
    }

    @Test(arguments: [
        ("2024", Period.year(2024)),
        (" 2024 ", .year(2024)),
        ("2024Q3", .quarter(2024, 3)),
        ("2024-q1", .quarter(2024, 1)),
        ("2024-07", .month(2024, 7)),
    ])
    func periodsOfEachGranularityAreRead(cell: String, expected: Period) {
        let data = parse(header + "\(mmr),北京市,\(cell),1\n")
        #expect(errors(data) == [])
        #expect(data.observations.first?.period == expected)
    }

    @Test func missingRegionAndPeriodAreErrors() {
        let data = parse(header + "\(mmr),,,1\n")
        #expect(errors(data) == ["d.csv:2:26: error: missing region", "d.csv:2:27: error: missing period"])
    }

    @Test func regionMustBeKnownWhenRegionsAreGiven() {
        let data = parse(
            header + "\(mmr),北京巿,2024,1\n\(mmr),广州市,2024,1\n\(mmr),上海市,2024,1\n", regions: ["北京市", "上海市"]
        )
        #expect(errors(data) == [
            "d.csv:2:26: error: unknown region '北京巿' (did you mean '北京市'?)",
            "d.csv:3:26: error: unknown region '广州市'",
        ])
        #expect(data.observations.map(\.key.region) == ["上海市"])
    }

    @Test func missingRequiredColumnIsReportedWithDidYouMean() {
        let misspelt = parse("indicater,region,period,value\n\(mmr),北京市,2024,1\n")
        #expect(errors(misspelt) == [
            "d.csv:1:1: error: missing required column 'indicator' (did you mean 'indicator' instead of 'indicater'?)"
        ])
        #expect(misspelt.rowCount == 0)
        #expect(misspelt.observations.isEmpty)

        let missing = parse("\n\nindicator,region,value\n\(mmr),北京市,1\n")
        #expect(errors(missing) == ["d.csv:3:1: error: missing required column 'period'"])

        let twoMissing = parse("region,sex,peroid\n")
        #expect(errors(twoMissing) == [
            "d.csv:1:1: error: missing required column 'indicator'",
            "d.csv:1:1: error: missing required column 'value'",
            "d.csv:1:12: error: missing required column 'period' (did you mean 'period' instead of 'peroid'?)",
        ])
    }

    @Test func duplicateColumnIsAnError() {
        #expect(errors(parse("indicator,region,period,value,地区\n")) == [
            "d.csv:1:31: error: duplicate column '地区' (column 2, 'region', means the same)"
        ])
        #expect(errors(parse("indicator,region,period,value,Region\n")) == [
            "d.csv:1:31: error: duplicate column 'Region' (column 2, 'region', means the same)"
        ])
        #expect(errors(parse("indicator,region,period,value,region\n")) == [
            "d.csv:1:31: error: duplicate column 'region' (also column 2)"
        ])
    }

    @Test func headerWithAnotherSeparatorIsExplained() {
        #expect(errors(parse("indicator;region;period;value\n")) == [
            "d.csv:1:1: error: the header has a single column: columns must be separated by commas (','), "
                + "but this file seems to use semicolons (';')"
        ])
    }

    @Test(arguments: ["", "\n\n", "  \r\n"])
    func fileWithoutHeaderIsAnError(text: String) {
        #expect(errors(parse(text)) == [
            "d.csv:1:1: error: empty file: expected a header row such as 'indicator,region,period,value'"
        ])
    }

    @Test func headerOnlyFileHasNoRowsAndNoErrors() {
        let data = parse(header)
        #expect(errors(data) == [])
        #expect(data.rowCount == 0)
        #expect(data.format == .csv)
    }

    @Test func wrongNumberOfFieldsNamesExpectedAndFound() {
        let data = parse(header + "\(mmr),北京市,2024,12,extra\n\(mmr),北京市,2024\n")
        #expect(errors(data) == [
            "d.csv:2:38: error: expected 4 fields as in the header, found 5",
            "d.csv:3:34: error: expected 4 fields as in the header, found 3",
        ])
        #expect(data.rowCount == 2)
    }

    @Test func chineseHeadingsNameTheColumns() {
        let data = parse("指标,地区,年份,数值,来源,备注\n\(mmr),北京市,2024,12.5,国家卫健委,初步\n")
        #expect(errors(data) == [])
        let o = data.observations.first
        #expect(o?.key == SeriesKey(indicator: mmr, region: "北京市"))
        #expect(o?.period == .year(2024))
        #expect(o?.value == 12.5)
        #expect(o?.source == "国家卫健委")
        #expect(o?.note == "初步")

        let other = parse("值,时期,地区,指标\n1,2024Q2,上海市,\(mmr)\n")
        #expect(errors(other) == [])
        #expect(other.observations.first?.period == .quarter(2024, 2))
    }

    @Test func otherColumnsAreDimensionsAndAnEmptyCellMeansNone() {
        let data = parse(
            "indicator,region,period,Sex,area,value\n"
                + "\(ccs),北京市,2024,女,农村,80\n"
                + "\(ccs),北京市,2024,女,城镇,90\n"
                + "\(ccs),北京市,2024,女,,85\n"
                + "\(ccs),北京市,2024,女, 农村 ,80\n"
        )
        #expect(errors(data) == [])
        #expect(data.observations.map(\.key) == [
            SeriesKey(indicator: ccs, region: "北京市", dimensions: ["sex": "女", "area": "农村"]),
            SeriesKey(indicator: ccs, region: "北京市", dimensions: ["sex": "女", "area": "城镇"]),
            SeriesKey(indicator: ccs, region: "北京市", dimensions: ["sex": "女"]),
        ])
        #expect(data.observations.map(\.value) == [80, 90, 85])
    }

    @Test func sameSeriesAndPeriodTwiceWithDifferentValuesIsAnErrorCitingTheFirstLine() {
        let data = parse(
            header
                + "\(mmr),北京市,2024,12.5\n"
                + "\(mmr),北京市,2024,12.50\n"
                + "\(mmr),北京市,2024,13\n"
                + "\(mmr),北京市,2024,\n"
                + "\(mmr),上海市,2023,1\n"
                + "\(mmr),上海市,2023,2\n"
                + "\(mmr),北京市,2024Q1,13\n"
        )
        #expect(errors(data) == [
            "d.csv:4:35: error: conflicting values for maternal_mortality_ratio{region=北京市} in 2024: "
                + "13 here, 12.5 on line 2",
            "d.csv:5:35: error: conflicting values for maternal_mortality_ratio{region=北京市} in 2024: "
                + "empty here, 12.5 on line 2",
            "d.csv:7:35: error: conflicting values for maternal_mortality_ratio{region=上海市} in 2023: "
                + "2 here, 1 on line 6",
        ])
        // The identical repeat is kept once; a quarter is a different period from its year.
        #expect(data.observations.map(\.value) == [12.5, 1, 13])
        #expect(data.rowCount == 7)
    }

    @Test func repeatedEmptyValueIsAnIdenticalDuplicate() {
        let data = parse(header + "\(mmr),北京市,2024,\n\(mmr),北京市,2024, \n")
        #expect(errors(data) == [])
        #expect(data.observations.count == 1)
    }

    @Test func blankLinesAndRowsOfEmptyCellsAreSkipped() {
        let data = parse(header + "\n   \n,,,\n\(mmr),北京市,2024,1\n\n")
        #expect(errors(data) == [])
        #expect(data.rowCount == 1)
        #expect(data.observations.first?.location == SourceLocation(file: "d.csv", line: 5, column: 1))
    }

    @Test func unnamedTrailingColumnIsToleratedWhileEmpty() {
        let data = parse("indicator,region,period,value,\n\(mmr),北京市,2024,1,\n\(mmr),北京市,2023,2,x\n")
        #expect(errors(data) == ["d.csv:3:37: error: value in column 5, which has no heading in the header"])
        #expect(data.observations.count == 1)
    }

    @Test func errorsOfOneRowComeInColumnOrder() {
        let data = parse("value,period,region,indicator\nx,20245,北京市,unknown\n")
        #expect(errors(data) == [
            "d.csv:2:1: error: expected a decimal number, found 'x'",
            "d.csv:2:3: error: expected a period like 2024, 2024Q3 or 2024-07, found '20245'",
            "d.csv:2:13: error: unknown indicator 'unknown'",
        ])
    }

    @Test func errorsBeyondTheLimitAreCountedInOneFinalError() {
        let rows = (1...5).map { "\(mmr),北京市,\(2020 + $0),x\($0)\n" }.joined()
        let data = parse(header + rows, maxErrors: 2)
        #expect(errors(data) == [
            "d.csv:2:35: error: expected a decimal number, found 'x1'",
            "d.csv:3:35: error: expected a decimal number, found 'x2'",
            "d.csv:4:35: error: 3 more errors suppressed (only the first 2 are shown)",
        ])
        #expect(data.rowCount == 5)
    }

    @Test func observationKeepsSourceNoteAndRowLocation() {
        let data = parse("indicator,region,period,value,source,note\n\(mmr),北京市,2024,12,  ,  \n", file: "in/a.csv")
        let o = data.observations.first
        #expect(o?.source == nil)
        #expect(o?.note == nil)
        #expect(o?.location == SourceLocation(file: "in/a.csv", line: 2, column: 1))
    }

    @Test func manySeriesAndPeriodsOfEveryGranularityAreKeptApart() {
        var text = "indicator,region,period,area,value\n"
        var expected = 0
        for region in 0..<40 {
            for year in 2000...2024 {
                for period in ["\(year)", "\(year)Q2", "\(year)-11"] {
                    for area in ["城镇", "农村"] {
                        text += "\(mmr),R\(region),\(period),\(area),\(region + year)\n"
                        expected += 1
                    }
                }
            }
        }
        text += "\(mmr),R39,2024-11,农村,0\n"
        let data = parse(text)
        #expect(data.observations.count == expected)
        #expect(errors(data) == [
            "d.csv:\(expected + 2):41: error: conflicting values for "
                + "maternal_mortality_ratio{region=R39,area=农村} in 2024-11: 0 here, 2063 on line \(expected + 1)"
        ])
    }
}

@Suite("DataParser: JSON Lines")
struct DataParserJSONLinesTests {
    @Test func goodRowsAreRead() {
        let data = parse(
            [
                #"{"indicator": "maternal_mortality_ratio", "region": "北京市", "period": 2024, "value": 12.5}"#,
                #"{"indicator": "cervical_cancer_screening_rate", "region": "北京市", "period": "2024Q3", "#
                    + #""value": "87.5%", "dimensions": {"Sex": "女", "area": ""}, "source": "卫健委", "note": null}"#,
                "",
                #"  {"region":"上海市","indicator":"maternal_mortality_ratio","period":"2024-07","value":null}  "#,
                #"{"indicator": "maternal_mortality_ratio", "region": "广州市", "period": 2023, "dimensions": {}}"#,
                #"{"indicator": "maternal_mortality_ratio", "region": "广州市", "period": 2022, "value": -0.5e1}"#,
            ].joined(separator: "\n"),
            file: "d.jsonl"
        )
        #expect(data.format == .jsonl)
        #expect(data.rowCount == 5)
        #expect(errors(data) == [
            "d.jsonl:6:85: error: value -5 is outside the bounds 0…100000 of 孕产妇死亡率 (maternal_mortality_ratio)"
        ])
        #expect(data.observations.map(\.value) == [12.5, 87.5, nil, nil])
        #expect(data.observations.map(\.period) == [.year(2024), .quarter(2024, 3), .month(2024, 7), .year(2023)])
        #expect(data.observations[1].key == SeriesKey(indicator: ccs, region: "北京市", dimensions: ["sex": "女"]))
        #expect(data.observations[1].source == "卫健委")
        #expect(data.observations[1].note == nil)
        #expect(data.observations.map { $0.location?.line } == [1, 2, 4, 5])
    }

    @Test func dimensionsInAnyOrderNameTheSameSeries() {
        let data = parse(
            prefix + #", "value": 1, "dimensions": {"sex": "女", "area": "农村"}}"# + "\n"
                + prefix + #", "value": 2, "dimensions": {"area": "农村", "sex": "女"}}"#,
            file: "d.jsonl"
        )
        #expect(errors(data) == [
            "d.jsonl:2:85: error: conflicting values for maternal_mortality_ratio{region=北京市,area=农村,sex=女} "
                + "in 2024: 2 here, 1 on line 1"
        ])
    }

    @Test func unknownKeyIsAnErrorWithDidYouMean() {
        let data = parse(
            #"{"indicator": "maternal_mortality_ratio", "regoin": "北京市", "period": 2024, "value": 1}"#,
            file: "d.jsonl"
        )
        #expect(errors(data) == [
            "d.jsonl:1:1: error: missing key 'region'",
            "d.jsonl:1:43: error: unknown key 'regoin' (did you mean 'region'?)",
        ])
        #expect(data.observations.isEmpty)
    }

    @Test(arguments: [
        (#"{"indicator": 5, "region": "北京市", "period": 2024}"#, 15,
         "expected a string for 'indicator', found a number"),
        (#"{"indicator": "maternal_mortality_ratio", "region": null, "period": 2024}"#, 53,
         "expected a string for 'region', found null"),
        (#"{"indicator": "maternal_mortality_ratio", "region": "北京市", "period": true}"#, 70,
         "expected a string or an integer year for 'period', found true"),
        (#"{"indicator": "maternal_mortality_ratio", "region": "北京市", "period": 2024.5}"#, 70,
         "expected a period like 2024, 2024Q3 or 2024-07, found '2024.5'"),
        (prefix + #", "value": [1]}"#, 85, "expected a number, a numeric string or null for 'value', found an array"),
        (prefix + #", "value": {"a": 1}}"#, 85,
         "expected a number, a numeric string or null for 'value', found an object"),
        (prefix + #", "value": false}"#, 85, "expected a number, a numeric string or null for 'value', found false"),
        (prefix + #", "value": "abc"}"#, 85, "expected a decimal number, found 'abc'"),
        (prefix + #", "value": "１２％"}"#, 85,
         "'%' is only allowed for indicators measured in %; the unit of 孕产妇死亡率 (maternal_mortality_ratio) is 1/10万"),
        (prefix + #", "dimensions": "女"}"#, 90, "expected an object of strings for 'dimensions', found a string"),
        (prefix + #", "dimensions": {"sex": 1}}"#, 98, "expected a string for dimension 'sex', found a number"),
        (prefix + #", "dimensions": {"Region": "x"}}"#, 91,
         "'Region' cannot be a dimension name: it is the 'region' key"),
        (prefix + #", "dimensions": {"sex": "女", "SEX": "男"}}"#, 103, "duplicate dimension 'sex'"),
        (prefix + #", "source": 1}"#, 86, "expected a string or null for 'source', found a number"),
        (prefix + #", "period": 2023}"#, 76, "duplicate key 'period'"),
    ])
    func wrongTypeIsAnErrorNamingTheExpectedType(line: String, column: Int, message: String) {
        let data = parse(line + "\n", file: "d.jsonl")
        #expect(errors(data) == ["d.jsonl:1:\(column): error: \(message)"])
        #expect(data.observations.isEmpty)
    }

    @Test(arguments: [
        (#"{"indicator": "maternal_mortality_ratio" "region": "北京市"}"#, 42,
         #"expected ',' or '}' after a value, found '"'"#),
        (#"{"indicator": "maternal_mortality_ratio", "region": "北京市"#, 53, "unterminated string"),
        (prefix + #", "value": NaN}"#, 85, "expected a value, found 'NaN'"),
        (prefix + #", "value": Infinity}"#, 85, "expected a value, found 'Infinity'"),
        (prefix + "} x", 76, "unexpected text after the object"),
        (#"["maternal_mortality_ratio"]"#, 1,
         "expected a JSON object ('{') at the start of the line (JSON Lines has one object per line, not an array)"),
        ("maternal_mortality_ratio,北京市,2024,1", 1, "expected a JSON object ('{') at the start of the line"),
        (prefix, 74, "expected ',' or '}' after a value, found end of line"),
        (prefix + #", "value": 01}"#, 86, "expected ',' or '}' after a value, found '1'"),
        (prefix + #", "value": -}"#, 85, "invalid number"),
        (prefix + #", "value": 1.}"#, 85, "invalid number"),
        (prefix + #", "value": "a\qb"}"#, 87, #"invalid escape: '\' followed by 'q'"#),
        (prefix + #", "note": "\ud83d"}"#, 85, #"unpaired surrogate in \u escape"#),
        (prefix + #", "note": "\ude00x"}"#, 85, #"unpaired surrogate in \u escape"#),
        (prefix + #", "note": "\u12G4"}"#, 85, #"invalid \u escape: expected four hexadecimal digits"#),
        (prefix + ", \"note\": \"a\tb\"}", 86, #"control character in a string (write it as an escape like \t)"#),
        (#"{"indicator": "maternal_mortality_ratio",}"#, 42, "expected a key in double quotes, found '}'"),
        (prefix + #", "dimensions": [1, {"y": tru}]}"#, 100, "expected a value, found 'tru'"),
        (prefix + #", "value" 1}"#, 84, "expected ':' after the key, found '1'"),
    ])
    func malformedLineIsAnErrorWhereItBreaks(line: String, column: Int, message: String) {
        // The line after a broken one is still read.
        let good = #"{"indicator": "maternal_mortality_ratio", "region": "上海市", "period": 2024, "value": 3}"#
        let data = parse(line + "\n" + good + "\n", file: "d.jsonl")
        #expect(errors(data) == ["d.jsonl:1:\(column): error: invalid JSON: \(message)"])
        #expect(data.observations.map(\.value) == [3])
        #expect(data.rowCount == 2)
    }

    @Test func unicodeEscapesIncludingSurrogatePairsAreDecoded() {
        let line = #"{"indicator": "maternal_mortality_ratio", "region": "\u5317\u4eac\u5E02", "period": 2024, "#
            + #""value": "\uff11\uFF12", "note": "\ud83d\ude00 \"ok\" \\ \/ \t\n.\n"}"#
        let data = parse(line, file: "d.jsonl")
        #expect(errors(data) == [])
        #expect(data.observations.first?.key.region == "北京市")
        #expect(data.observations.first?.value == 12)
        #expect(data.observations.first?.note == "😀 \"ok\" \\ / \t\n.")
    }

    @Test func unknownUnicodeKeyIsQuotedDecoded() {
        let data = parse(prefix + #", "\u5907\u6ce8": "x"}"#, file: "d.jsonl")
        #expect(errors(data) == ["d.jsonl:1:76: error: unknown key '备注'"])
    }

    @Test func missingKeysAreReportedAtTheObjectStart() {
        let data = parse(#"  {"value": 1}"#, file: "d.jsonl")
        #expect(errors(data) == [
            "d.jsonl:1:3: error: missing key 'indicator'",
            "d.jsonl:1:3: error: missing key 'region'",
            "d.jsonl:1:3: error: missing key 'period'",
        ])
    }

    @Test func crlfAndBlankLinesAreSkipped() {
        let data = parse("\r\n" + prefix + ", \"value\": 1}\r\n\r\n" + prefix + ", \"value\": x}\r\n", file: "d.ndjson")
        #expect(errors(data) == ["d.ndjson:4:85: error: invalid JSON: expected a value, found 'x'"])
        #expect(data.observations.map { $0.location?.line } == [2])
    }
}

@Suite("DataParser: formats")
struct DataParserFormatTests {
    @Test(arguments: [
        ("a/b.csv", DataFormat.csv),
        ("B.CSV", .csv),
        ("d.jsonl", .jsonl),
        ("d.ndjson", .jsonl),
        ("x/d.json", .jsonl),
        ("d.txt", nil),
        ("noext", nil),
        ("dir.csv/file", nil),
    ] as [(String, DataFormat?)])
    func formatIsInferredFromTheExtension(path: String, expected: DataFormat?) {
        #expect(DataFormat.infer(fromPath: path) == expected)
    }

    @Test func contentDecidesWhenThePathSaysNothing() {
        let jsonl = parse("\n  " + prefix + "}\n", file: "upload")
        #expect(jsonl.format == .jsonl)
        #expect(errors(jsonl) == [])
        let csv = parse(header + "\(mmr),北京市,2024,1\n", file: "upload")
        #expect(csv.format == .csv)
        #expect(csv.observations.count == 1)
    }

    @Test func explicitFormatOverridesTheExtension() {
        let data = parse(prefix + "}\n", file: "d.csv", format: .jsonl)
        #expect(data.format == .jsonl)
        #expect(data.observations.count == 1)
    }

    @Test func errorDescriptionIsGccStyle() {
        let e = DataError(location: SourceLocation(file: "a.csv", line: 3, column: 7), message: "boom")
        #expect(e.description == "a.csv:3:7: error: boom")
    }
}

/// The example files of `docs/data.md`, kept as fixtures so that the documentation cannot drift from the parser.
@Suite("DataParser: documented examples")
struct DataParserExampleTests {
    private func fixture(_ name: String) throws -> [UInt8] {
        let url = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
            .appendingPathComponent("data/\(name)")
        return [UInt8](try Data(contentsOf: url))
    }

    @Test func csvExampleIsRead() throws {
        let data = parse(try fixture("example.csv"), file: "example.csv")
        #expect(errors(data) == [])
        #expect(data.rowCount == 5)
        #expect(data.observations.map(\.value) == [11.2, 10.8, 87.5, 91.2, nil])
        #expect(data.observations[2].key == SeriesKey(indicator: ccs, region: "海淀区", dimensions: ["area": "农村"]))
        #expect(data.observations[2].note == "含流动人口，按\"常住人口\"口径")
        #expect(data.observations[0].key == SeriesKey(indicator: mmr, region: "北京市"))
        #expect(data.observations[0].source == "市卫生健康委")
        #expect(data.observations[4].note == "尚未上报")
    }

    @Test func jsonLinesExampleIsRead() throws {
        let data = parse(try fixture("example.jsonl"), file: "example.jsonl")
        #expect(errors(data) == [])
        #expect(data.observations.map(\.value) == [10.8, 87.5, 91.2, nil])
        #expect(data.observations.map(\.period) == [.year(2024), .quarter(2024, 3), .month(2024, 7), .quarter(2024, 4)])
        #expect(data.observations[3].note == "尚未上报")
    }

    @Test func brokenExampleReportsEveryError() throws {
        let data = parse(try fixture("broken.csv"), file: "broken.csv")
        #expect(errors(data) == [
            "broken.csv:3:1: error: unknown indicator 'maternal_mortality_rate' "
                + "(did you mean 'maternal_mortality_ratio'?)",
            "broken.csv:4:36: error: expected a period like 2024, 2024Q3 or 2024-07, found '2024Q5'",
            "broken.csv:5:41: error: expected a decimal number, found '约90'",
            "broken.csv:6:41: error: value 120 is outside the bounds 0…100 of 宫颈癌筛查率 "
                + "(cervical_cancer_screening_rate)",
            "broken.csv:7:35: error: conflicting values for maternal_mortality_ratio{region=北京市} in 2024: "
                + "10.9 here, 10.8 on line 2",
            "broken.csv:8:35: error: '%' is only allowed for indicators measured in %; "
                + "the unit of 孕产妇死亡率 (maternal_mortality_ratio) is 1/10万",
        ])
    }
}
