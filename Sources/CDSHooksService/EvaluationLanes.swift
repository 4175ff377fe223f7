import CDSEngine
import CDSServer

/// Evaluation lanes for HTTP requests: each lane is an ``OrderedPipeline`` of one (a serial
/// queue of its own), and each request goes to the lane with the fewest requests in hand,
/// so a slow evaluation holds up only what is queued behind it on its own lane, never the
/// event loops, and never a request while another lane is free. At most `maxQueued`
/// requests wait in all; beyond that ``run(_:)`` returns nil (the service answers 503).
package final class EvaluationLanes: Sendable {
    private let lanes: [OrderedPipeline]
    private let load: Locked<[Int]>
    private let maxQueued: Int

    package init(count: Int, maxQueued: Int) {
        let n = max(1, count)
        lanes = (0..<n).map { OrderedPipeline(label: "cds.http.lane\($0)", lanes: 1, maxInFlight: max(1, maxQueued)) }
        load = Locked(Array(repeating: 0, count: n))
        self.maxQueued = max(1, maxQueued)
    }

    /// Runs `work` on the least busy lane and returns its result, or nil when too many
    /// requests are waiting already.
    package func run<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result? {
        let chosen: Int? = load.withLock { load in
            guard load.reduce(0, +) < maxQueued else { return nil }
            var best = 0
            for i in load.indices where load[i] < load[best] { best = i }
            load[best] += 1
            return best
        }
        guard let lane = chosen else { return nil }
        let result: Result? = await withCheckedContinuation { continuation in
            lanes[lane].submit([work], deliver: { _, result in continuation.resume(returning: result) }, finish: {})
        }
        load.withLock { $0[lane] -= 1 }
        return result
    }
}
