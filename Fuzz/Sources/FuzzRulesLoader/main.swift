import FuzzSupport
import Rules

/// libFuzzer entry: any bytes as a rules file beside a fixed catalog. Must never crash or hang; a failure to load
/// must come with diagnostics.
let catalogYAML = Array("""
    indicators:
      - {id: maternal_mortality_ratio, name: 孕产妇死亡率, unit: 1/10万, better: down, bounds: [0, 100000]}
      - {id: cervical_cancer_screening_rate, name: 宫颈癌筛查率, unit: "%", better: up, bounds: [0, 100]}
    """.utf8)

func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    switch RulesLoader.load([.init(path: "catalog.yaml", bytes: catalogYAML), .init(path: "fuzz.yaml", bytes: bytes)]) {
    case .success: break
    case .failure(let e): precondition(!e.diagnostics.isEmpty)
    }
    return 0
}

/// The symbol libFuzzer's runtime references.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt { fuzzOne(data, size) }

runLibFuzzer { fuzzOne($0, $1) }
