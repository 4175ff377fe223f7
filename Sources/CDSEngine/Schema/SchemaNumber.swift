import CDSJSON

/// A JSON number that compares exactly: an `Int64` against a `Double` without rounding
/// either, so `9007199254740993` is greater than `9007199254740992.0` and `1` equals `1.0`.
struct SchemaNumber: Sendable, Comparable {
    private enum Storage: Sendable {
        case integer(Int64)
        case double(Double)
    }

    private let storage: Storage

    /// The number held by an `integer` or `double` value, or `nil` for any other value.
    init?(_ value: JSONValue) {
        switch value {
        case .integer(let i): storage = .integer(i)
        case .double(let d) where d.isFinite: storage = .double(d)
        // Above Int64 (2^63...2^64-1): compared as the nearest double, which orders it
        // correctly against every limit a schema here states.
        case .unsigned(let u): storage = .double(Double(u))
        default: return nil
        }
    }

    /// The value as an `Int64` when it is integral and in range (`40.0` gives 40), else `nil`.
    var exactInteger: Int64? {
        switch storage {
        case .integer(let i): i
        case .double(let d): Self.exactInteger(d)
        }
    }

    /// `d` as an `Int64` when it is integral and representable, else `nil`.
    static func exactInteger(_ d: Double) -> Int64? {
        guard d == d.rounded(.towardZero), d >= -0x1p63, d < 0x1p63 else { return nil }
        return Int64(d)
    }

    static func == (lhs: SchemaNumber, rhs: SchemaNumber) -> Bool {
        compare(lhs, rhs) == 0
    }

    static func < (lhs: SchemaNumber, rhs: SchemaNumber) -> Bool {
        compare(lhs, rhs) < 0
    }

    /// -1, 0 or 1 as `lhs` is less than, equal to or greater than `rhs`.
    private static func compare(_ lhs: SchemaNumber, _ rhs: SchemaNumber) -> Int {
        switch (lhs.storage, rhs.storage) {
        case (.integer(let a), .integer(let b)): a < b ? -1 : (a == b ? 0 : 1)
        case (.double(let a), .double(let b)): a < b ? -1 : (a == b ? 0 : 1)
        case (.integer(let a), .double(let b)): compare(a, b)
        case (.double(let a), .integer(let b)): -compare(b, a)
        }
    }

    /// Compares an integer with a finite double exactly.
    private static func compare(_ i: Int64, _ d: Double) -> Int {
        if d >= 0x1p63 { return -1 }
        if d < -0x1p63 { return 1 }
        // Here -2^63 <= floor(d) <= d < 2^63, so the floor converts exactly.
        let floor = d.rounded(.down)
        let whole = Int64(floor)
        if i != whole { return i < whole ? -1 : 1 }
        return floor == d ? 0 : -1
    }
}
