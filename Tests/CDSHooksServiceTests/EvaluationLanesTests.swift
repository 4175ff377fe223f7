import CDSEngine
import Dispatch
import Testing

@testable import CDSHooksService

@Suite struct EvaluationLanesTests {
    /// A request that never finishes on its own does not hold up the next one: the second
    /// completes while the first still waits (the first is released only afterwards), so
    /// with a single shared lane this test would never end.
    @Test(.timeLimit(.minutes(1))) func aSlowRequestDoesNotBlockAnother() async {
        let lanes = EvaluationLanes(count: 2, maxQueued: 8)
        let release = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        async let slow: Int? = lanes.run {
            started.signal()
            release.wait()
            return 1
        }
        await wait(for: started)
        let fast = await lanes.run { 2 }
        #expect(fast == 2)
        release.signal()
        #expect(await slow == 1)
    }

    @Test func beyondTheQueueLimitRequestsAreRefused() async {
        let lanes = EvaluationLanes(count: 1, maxQueued: 1)
        let release = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        async let held: Int? = lanes.run {
            started.signal()
            release.wait()
            return 1
        }
        await wait(for: started)
        #expect(await lanes.run { 2 } == nil)
        release.signal()
        #expect(await held == 1)
    }

    /// Waits for `semaphore` off the concurrency pool.
    private func wait(for semaphore: DispatchSemaphore) async {
        await withCheckedContinuation { c in
            DispatchQueue.global().async {
                semaphore.wait()
                c.resume()
            }
        }
    }
}
