import Rules
import Testing

@testable import WarnD

/// The daemon's picture of the current alerts, per region (issue 4: a full evaluation replaces it region by region,
/// from positions rather than from grouped copies).
@Suite struct CurrentAlertsTests {
    /// A full evaluation's alerts become the current ones: an unchanged region keeps its bucket (so its file is not
    /// written again), a changed one gets a new bucket, a region with no alerts left is emptied, and only those two
    /// are returned as changed.
    @Test func replacingAllKeepsUnchangedRegionsAndReturnsOnlyTheChangedOnes() throws {
        let alerts = try AlertFilesTests.exampleEvaluation().result.alerts
        let regions = Set(alerts.map(\.key.region)).sorted()
        try #require(regions.count >= 3, "the example data covers several regions")
        var current = CurrentAlerts()
        let first = current.replaceAll(alerts, positions: CurrentAlerts.positions(alerts))
        #expect(Set(first.map(\.region)) == Set(regions))
        for bucket in first {
            #expect(bucket.alerts == alerts.filter { $0.key.region == bucket.region }, "in the order given")
        }
        #expect(current.count == alerts.count)

        let before = current.regions
        #expect(current.replaceAll(alerts, positions: CurrentAlerts.positions(alerts)).isEmpty)
        for (region, bucket) in current.regions { #expect(bucket === before[region], "\(region) kept") }

        let (changedRegion, goneRegion) = (regions[0], regions[1])
        let dropped = try #require(alerts.first { $0.key.region == changedRegion }).id
        let next = alerts.filter { $0.id != dropped && $0.key.region != goneRegion }
        let changed = current.replaceAll(next, positions: CurrentAlerts.positions(next))
        #expect(Set(changed.map(\.region)) == [changedRegion, goneRegion])
        #expect(current.regions[goneRegion]?.alerts.isEmpty == true, "emptied, so its file is emptied too")
        #expect(current.regions[changedRegion]?.alerts == next.filter { $0.key.region == changedRegion })
        #expect(current.regions[changedRegion] !== before[changedRegion])
        for region in regions.dropFirst(2) { #expect(current.regions[region] === before[region], "\(region) kept") }
        #expect(current.count == next.count)
    }

    /// Positions list each region's alerts in the order of the evaluation, and every alert once.
    @Test func positionsListEachRegionsAlertsInOrder() throws {
        let alerts = try AlertFilesTests.exampleEvaluation().result.alerts
        let positions = CurrentAlerts.positions(alerts)
        #expect(positions.values.flatMap { $0 }.sorted() == alerts.indices.map { Int32($0) })
        for (region, list) in positions {
            #expect(list == list.sorted())
            #expect(list.allSatisfy { alerts[Int($0)].key.region == region })
        }
    }
}
