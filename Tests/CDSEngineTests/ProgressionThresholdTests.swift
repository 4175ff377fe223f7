@testable import CDSEngine
import CDSModuleAPI
import CDSTestSupport
import Testing

/// The edges of the progression hold (Catalog rules `progression.*`): a tolerated tier
/// progresses unless NPRS rose by 2 points or 30 %, or LEFS fell by 9 points.
@Suite("Progression held while pain rises or function falls: thresholds")
struct ProgressionThresholdTests {
    /// The action on the next tier (moderate) for a tolerated low tier with these readings.
    func nextTier(nprs: [Int] = [], lefs: [Int] = []) throws -> String? {
        func readings(_ values: [Int]) -> [[String: Any]] {
            values.enumerated().map { i, v in ["date": "2026-0\(i + 1)-02", "value": v] }
        }
        let c = try Cases.read(
            Cases.minimal {
                $0["exercise"] = ["currentTier": "low", "tolerated": true]
                $0["measurements"] = ["nprs": readings(nprs), "lefs": readings(lefs)]
            })
        let plan = TestRepository.engine.evaluate(c)
        return plan.resolution.recommendations.first { $0.id == "strengthening.tier-moderate" }?.action.rawValue
    }

    @Test func nprsRiseOfTwoPointsHolds() throws {
        #expect(try nextTier(nprs: [6, 8]) == "defer")
        #expect(try nextTier(nprs: [8, 9]) == "recommend", "1 point and 12.5 %: below both thresholds")
    }

    @Test func nprsRiseOfThirtyPercentHolds() throws {
        #expect(try nextTier(nprs: [3, 4]) == "defer", "1 point but 33 %")
        #expect(try nextTier(nprs: [4, 5]) == "recommend", "1 point and 25 %")
        #expect(try nextTier(nprs: [0, 1]) == "recommend", "from 0 only the points threshold applies")
    }

    @Test func lefsFallOfNinePointsHolds() throws {
        #expect(try nextTier(lefs: [60, 51]) == "defer")
        #expect(try nextTier(lefs: [60, 52]) == "recommend")
        #expect(try nextTier(lefs: [60, 55, 51]) == "defer", "against the first reading")
    }

    @Test func improvementOrOneReadingProgresses() throws {
        #expect(try nextTier(nprs: [7, 3], lefs: [40, 60]) == "recommend")
        #expect(try nextTier(nprs: [9]) == "recommend")
    }
}
