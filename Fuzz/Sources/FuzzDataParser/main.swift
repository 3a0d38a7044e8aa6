import FuzzSupport
import Rules

/// libFuzzer entry: any bytes as a CSV and as a JSON Lines file. Must never crash, hang or leak; every input either
/// parses or yields errors with a location.
let catalog = IndicatorCatalog([
    Indicator(id: "maternal_mortality_ratio", name: "孕产妇死亡率", unit: "1/10万", better: .down, bounds: 0...100_000),
    Indicator(id: "cervical_cancer_screening_rate", name: "适龄妇女宫颈癌人群筛查率", unit: "%", better: .up, bounds: 0...100),
])
let parser = ObservationParser(catalog: catalog, regions: ["渠县", "测试县"])

func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    for format in [DataFormat.csv, .jsonl] {
        let parsed = parser.parse(bytes, file: "fuzz", format: format)
        for e in parsed.errors { precondition(e.location.line >= 1 && e.location.column >= 1) }
    }
    return 0
}

/// The symbol libFuzzer's runtime references.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt { fuzzOne(data, size) }

runLibFuzzer { fuzzOne($0, $1) }
