#if canImport(Glibc)
    import Glibc
#endif

/// A value behind a pthread mutex.
///
/// Used instead of `Synchronization.Mutex` because ThreadSanitizer understands pthread
/// mutexes (it intercepts them) but not the futex-based `Mutex`, so with this lock a TSan
/// run reports real races only.
///
/// Like swift-nio's `NIOLockedValueBox`, a `Locked` is `Sendable` only where its value is:
/// a lock makes access exclusive, but a non-`Sendable` value (a class reference, say) could
/// still escape the closure and be used on two threads at once, so the compiler is left to
/// check that.
package final class Locked<Value> {
    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    package func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}

// Safe: `value` is only ever read or written inside `withLock`, with `mutex` held, and `mutex`
// itself is never reassigned; `Value: Sendable` makes whatever leaves the closure safe to share.
extension Locked: @unchecked Sendable where Value: Sendable {}
