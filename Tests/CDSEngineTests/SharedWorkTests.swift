@testable import CDSEngine
import Testing

@Suite("Work shared between two threads")
struct SharedWorkTests {
    @Test(arguments: [0, 1, 2, 3, 17, 500])
    func resultsComeInIndexOrderEachComputedOnce(count: Int) {
        let calls = Locked([Int](repeating: 0, count: count))
        let results = SharedWork.map(count) { i in
            calls.withLock { $0[i] += 1 }
            return "item \(i)"
        }
        #expect(results == (0..<count).map { "item \($0)" })
        #expect(calls.withLock { $0 } == [Int](repeating: 1, count: count))
    }

    /// Both threads take work: with pieces that wait for each other's start, one thread alone
    /// would never finish the first two.
    @Test func twoThreadsTakePieces() {
        let started = Locked(0)
        let results = SharedWork.map(2) { i in
            started.withLock { $0 += 1 }
            var spins = 0
            while started.withLock({ $0 }) < 2 && spins < 2_000_000 { spins += 1 }
            return started.withLock { $0 } == 2
        }
        #expect(results == [true, true])
    }
}
