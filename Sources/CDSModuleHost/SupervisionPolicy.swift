/// How the host treats a failing external module.
package struct SupervisionPolicy: Sendable, Hashable {
    /// First delay before restarting after a failure; doubles with each further failure.
    package var backoffMilliseconds: Int64 = 100
    /// Longest restart delay.
    package var maximumBackoffMilliseconds: Int64 = 5000
    /// Consecutive failures after which the module is not called for `cooldownMilliseconds`.
    package var failureThreshold = 3
    /// How long an open circuit stays open.
    package var cooldownMilliseconds: Int64 = 30_000
    /// Time a module gets to end after SIGTERM before SIGKILL.
    package var terminationGraceMilliseconds: Int64 = 500

    package init() {}
}
