import CDSEngine
import Dispatch

/// Parallel work, delivered in submission order.
///
/// Each submission has an optional part that may run on any of `lanes` evaluation lanes,
/// concurrently with other submissions, and a delivery step that runs on one serial queue
/// in submission order, after every earlier submission's delivery, with the result of its
/// own concurrent part. Lanes are taken round-robin, so no lane runs far ahead of another.
/// At most `maxInFlight` submissions are pending: ``submit(_:deliver:)`` then blocks the
/// submitting thread (back-pressure), so memory stays bounded however fast input arrives.
package final class OrderedPipeline: Sendable {
    private let serial: DispatchQueue
    private let lanes: [DispatchQueue]
    private let nextLane = Locked(0)
    private let slots: DispatchSemaphore

    /// `lanes` of 1 runs the concurrent parts on the serial queue itself (no hand-off).
    package init(label: String, lanes: Int, maxInFlight: Int) {
        serial = DispatchQueue(label: label)
        self.lanes = lanes > 1 ? (0..<lanes).map { DispatchQueue(label: "\(label).lane.\($0)") } : []
        slots = DispatchSemaphore(value: max(1, maxInFlight))
    }

    /// Queues `work` (if any) on a lane and `deliver` behind every earlier delivery.
    package func submit<Result: Sendable>(_ work: (@Sendable () -> Result)?, deliver: @escaping @Sendable (Result?) -> Void) {
        slots.wait()
        guard let work, !lanes.isEmpty else {
            serial.async { [slots] in
                defer { slots.signal() }
                deliver(work?())
            }
            return
        }
        let slot = Slot<Result>()
        let lane = nextLane.withLock { next in
            defer { next = (next + 1) % lanes.count }
            return lanes[next]
        }
        lane.async { slot.fill(work()) }
        serial.async { [slots] in
            defer { slots.signal() }
            deliver(slot.take())
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
}

/// One submission's result, handed from its lane to the serial queue.
private final class Slot<Value: Sendable>: @unchecked Sendable {
    // Written once by the lane before `ready` is signalled; read once after `wait`.
    private var value: Value?
    private let ready = DispatchSemaphore(value: 0)

    func fill(_ v: Value) {
        value = v
        ready.signal()
    }

    func take() -> Value? {
        ready.wait()
        return value
    }
}
