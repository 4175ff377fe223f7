import CDSEngine
import CDSJSON

/// Which pending requests a client has cancelled. The reader thread records requests and
/// cancellations as they arrive; the worker consults it when a request's turn comes.
/// Only ids of requests still pending are tracked, so the table stays as small as the
/// number of requests in flight.
package final class CancellationTracker: Sendable {
    private struct Entry {
        var pending = 0
        var cancelled = 0
    }

    private let table = Locked<[JSONValue: Entry]>([:])

    package init() {}

    /// A request with `id` was read and waits for its turn.
    package func requestArrived(_ id: JSONValue) {
        table.withLock { $0[id, default: Entry()].pending += 1 }
    }

    /// The client cancelled `id`; ignored unless such a request is pending.
    package func cancel(_ id: JSONValue) {
        table.withLock { t in
            guard var e = t[id], e.cancelled < e.pending else { return }
            e.cancelled += 1
            t[id] = e
        }
    }

    /// The request's turn has come: whether it was cancelled (it then gets -32800).
    package func start(_ id: JSONValue) -> Bool {
        table.withLock { t in
            guard var e = t[id] else { return false }
            e.pending -= 1
            let cancelled = e.cancelled > 0
            if cancelled { e.cancelled -= 1 }
            t[id] = e.pending > 0 ? e : nil
            return cancelled
        }
    }
}
