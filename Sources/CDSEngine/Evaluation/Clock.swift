import CDSModuleAPI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where "today" comes from when a case has no assessment date. Tests and batch runs pin it.
package protocol EngineClock: Sendable {
    /// The current date.
    func today() -> CalendarDate
}

/// The system clock, in UTC.
package struct SystemClock: EngineClock {
    package init() {}

    package func today() -> CalendarDate {
        let seconds = Int(time(nil))
        return CalendarDate(daysSinceEpoch: seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
    }
}

/// A clock that always answers the same date.
package struct FixedClock: EngineClock {
    package var date: CalendarDate
    package init(_ date: CalendarDate) { self.date = date }
    package func today() -> CalendarDate { date }
}
