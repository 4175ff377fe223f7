#if canImport(Glibc)
    import Glibc
#endif

/// A thread of its own for long work (an evaluation lane, the Catalog loaded at start): a
/// plain detached POSIX thread, which starts in tens of microseconds, where a dispatch
/// queue's first use starts libdispatch's own threads first (milliseconds at a cold start).
package enum DetachedThread {
    /// The body of a detached thread.
    private final class Body: Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Runs `body` on a detached thread of its own; false, having run nothing, if no thread
    /// could be created.
    package static func start(_ body: @escaping @Sendable () -> Void) -> Bool {
        var thread = pthread_t()
        // The thread holds its body until it ends.
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        let created = pthread_create(
            &thread, nil,
            { context in
                guard let context else { return nil }
                Unmanaged<Body>.fromOpaque(context).takeRetainedValue().run()
                return nil
            }, context)
        guard created == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}
