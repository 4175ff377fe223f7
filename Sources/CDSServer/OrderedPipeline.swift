import CDSEngine
import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

/// Parallel work, delivered in submission order.
///
/// Each submitted item has an optional part that may run on any of `lanes` evaluation
/// lanes, concurrently with other items, and a delivery step that runs on one serial
/// queue in submission order, after every earlier item's delivery, with the result of its
/// own concurrent part. Items travel in runs: consecutive items of one submission go to
/// one lane together and are delivered together, then `finish` runs (so that a run's
/// replies can be written at once), which keeps hand-offs between threads few when input
/// arrives in large blocks, and costs nothing when it arrives one line at a time. Runs
/// take the lanes round-robin.
///
/// At most `maxInFlight` items are pending: ``submit(_:deliver:finish:)`` then blocks the
/// submitting thread (back-pressure), so memory stays bounded however fast input arrives.
package final class OrderedPipeline: Sendable {
    private let serial: DispatchQueue
    private let lanes: [LaneThread]
    private let nextLane = Locked(0)
    private let slots: DispatchSemaphore
    private let runLength: Int
    private let maxInFlight: Int

    /// `lanes` of 1 runs the concurrent parts on the serial queue itself (no hand-off).
    package init(label: String, lanes: Int, maxInFlight: Int) {
        serial = DispatchQueue(label: label)
        self.lanes = lanes > 1 ? (0..<lanes).map { _ in LaneThread() } : []
        let inFlight = max(1, maxInFlight)
        slots = DispatchSemaphore(value: inFlight)
        self.maxInFlight = inFlight
        // Small enough that every lane has a run or two in flight at once.
        runLength = max(1, inFlight / (2 * max(1, lanes)))
    }

    /// Queues `works` (one per item; nil for an item with no concurrent part) in runs, and
    /// for each run, behind every earlier run: `deliver(index, result)` for its items in
    /// order, then `finish()`. An item takes `weights[index]` of the `maxInFlight` slots
    /// (default 1; clamped to 1...maxInFlight) until it is delivered.
    package func submit<Result: Sendable>(
        _ works: [(@Sendable () -> Result)?], weights: [Int] = [], deliver: @escaping @Sendable (Int, Result?) -> Void,
        finish: @escaping @Sendable () -> Void
    ) {
        let weight = { (i: Int) in min(self.maxInFlight, max(1, i < weights.count ? weights[i] : 1)) }
        var start = 0
        while start < works.count {
            // A run: up to `runLength` items whose weights fit in the slots together.
            var end = start + 1
            var taken = weight(start)
            while end < min(start + runLength, works.count) && taken + weight(end) <= maxInFlight {
                taken += weight(end)
                end += 1
            }
            let range = start..<end
            start = end
            let slotsTaken = taken
            for _ in 0..<slotsTaken { slots.wait() }
            let run = Array(works[range])
            let first = range.lowerBound
            let release: @Sendable () -> Void = { [slots] in
                for _ in 0..<slotsTaken { slots.signal() }
            }
            guard !lanes.isEmpty, run.contains(where: { $0 != nil }) else {
                serial.async {
                    for (i, work) in run.enumerated() { deliver(first + i, work?()) }
                    finish()
                    release()
                }
                continue
            }
            let slot = Slot<[Result?]>()
            takeLane().submit { slot.fill(run.map { $0?() }) }
            serial.async {
                let results = slot.take() ?? []
                for i in run.indices { deliver(first + i, results[i]) }
                finish()
                release()
            }
        }
    }

    /// Runs `works` on the lanes, one contiguous share per lane, and returns their results
    /// in order once all are done (on the calling thread when there is one lane). Lane work
    /// never waits for the serial queue, so a delivery may call this.
    package func onLanes<Result: Sendable>(_ works: [@Sendable () -> Result]) -> [Result] {
        guard lanes.count > 1, works.count > 1 else { return works.map { $0() } }
        let shares = min(lanes.count, works.count)
        let filled = (0..<shares).map { share in
            let slot = Slot<[Result]>()
            let part = Array(works[(share * works.count / shares)..<((share + 1) * works.count / shares)])
            takeLane().submit { slot.fill(part.map { $0() }) }
            return slot
        }
        return filled.flatMap { $0.take() ?? [] }
    }

    /// The next lane, round-robin.
    private func takeLane() -> LaneThread {
        nextLane.withLock { next in
            defer { next = (next + 1) % lanes.count }
            return lanes[next]
        }
    }

    /// Runs `body` on the serial queue after every delivery queued so far.
    package func afterQueued(_ body: @escaping @Sendable () -> Void) {
        serial.async(execute: body)
    }

    /// Waits until every delivery queued so far has run.
    package func drain() {
        serial.sync {}
    }

    deinit {
        for lane in lanes { lane.stop() }
    }
}

/// One run's results, handed from its lane to the serial queue.
private final class Slot<Value: Sendable>: Sendable {
    // Written once by the lane before `ready` is signalled; read once after `wait`.
    private let value = Locked<Value?>(nil)
    private let ready = DispatchSemaphore(value: 0)

    func fill(_ v: Value) {
        value.withLock { $0 = v }
        ready.signal()
    }

    func take() -> Value? {
        ready.wait()
        return value.withLock { $0 }
    }
}

/// One evaluation lane: a thread of its own that runs submitted work in order. A lane keeps
/// its thread (and so its malloc arena and warm caches) for the pipeline's whole life,
/// which a dispatch queue, run by whichever pool thread is free, does not: measured, that
/// was the difference between 1.5x and 1.7x with two lanes on two processors
/// (docs/performance.md).
final class LaneThread: Sendable {
    /// Work in submission order; `nil` asks the thread to end.
    private let queue: Locked<[(@Sendable () -> Void)?]>
    private let available: DispatchSemaphore
    /// No thread could be created: work runs on the caller's thread instead of being lost.
    private let threadless: Bool

    init() {
        let queue = Locked<[(@Sendable () -> Void)?]>([])
        let available = DispatchSemaphore(value: 0)
        self.queue = queue
        self.available = available
        threadless = !DetachedThread.start { Self.loop(queue, available) }
    }

    /// Queues `work` behind the lane's earlier work.
    func submit(_ work: @escaping @Sendable () -> Void) {
        if threadless { return work() }
        queue.withLock { $0.append(work) }
        available.signal()
    }

    /// Ends the thread once its queued work is done.
    func stop() {
        if threadless { return }
        queue.withLock { $0.append(nil) }
        available.signal()
    }

    private static func loop(_ queue: Locked<[(@Sendable () -> Void)?]>, _ available: DispatchSemaphore) {
        while true {
            available.wait()
            guard let work = queue.withLock({ $0.removeFirst() }) else { return }
            work()
        }
    }
}
