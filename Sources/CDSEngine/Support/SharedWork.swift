import Dispatch

/// Independent pieces of work shared between the calling thread and one helper thread: the
/// Catalog's pack files parsed on both processors at start.
package enum SharedWork {
    /// `body(i)` for each `i` in `0..<count`, the calling thread and one detached helper
    /// thread each taking the next index until none is left; the results in index order, so
    /// the caller sees what one thread would give. Everything runs on the calling thread when
    /// there is one piece or no thread can be started.
    package static func map<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
        guard count > 1 else { return (0..<count).map(body) }
        let state = Locked(Progress<T>(results: Array(repeating: nil, count: count)))
        @Sendable func drain() {
            while let index = state.withLock({ progress -> Int? in
                guard progress.next < count else { return nil }
                progress.next += 1
                return progress.next - 1
            }) {
                let result = body(index)
                state.withLock { $0.results[index] = result }
            }
        }
        let helperDone = DispatchSemaphore(value: 0)
        if DetachedThread.start({
            drain()
            helperDone.signal()
        }) {
            drain()
            helperDone.wait()
        } else {
            drain()
        }
        // Every slot is filled: both threads are done.
        return state.withLock { progress in progress.results.compactMap { $0 } }
    }

    private struct Progress<T: Sendable>: Sendable {
        var results: [T?]
        var next = 0
    }
}
