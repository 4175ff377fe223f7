import CDSJSON

/// A JSON value compared and hashed with JSON Schema equality: numbers by mathematical
/// value (`1` equals `1.0`), arrays item by item, objects member by member in any order.
///
/// Used by `const`, `enum` (a set lookup) and `uniqueItems` (one pass with a dictionary).
struct SchemaValueKey: Sendable, Hashable {
    /// The value as written.
    let value: JSONValue

    init(_ value: JSONValue) {
        self.value = value
    }

    static func == (lhs: SchemaValueKey, rhs: SchemaValueKey) -> Bool {
        equal(lhs.value, rhs.value)
    }

    func hash(into hasher: inout Hasher) {
        Self.hash(value, into: &hasher)
    }

    /// JSON Schema equality of two values.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null):
            return true
        case (.bool(let x), .bool(let y)):
            return x == y
        case (.string(let x), .string(let y)):
            return x == y
        case (.integer, .integer), (.integer, .double), (.double, .integer), (.double, .double):
            return SchemaNumber(a) == SchemaNumber(b)
        case (.unsigned(let x), .unsigned(let y)):
            return x == y
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count
                && x.allSatisfy { member in y[member.key].map { equal(member.value, $0) } ?? false }
        default:
            return false
        }
    }

    /// A hash consistent with ``equal(_:_:)``: an integral double hashes as its integer,
    /// and an object's hash does not depend on member order.
    private static func hash(_ value: JSONValue, into hasher: inout Hasher) {
        switch value {
        case .null:
            hasher.combine(0)
        case .bool(let b):
            hasher.combine(1)
            hasher.combine(b)
        case .integer(let i):
            hasher.combine(2)
            hasher.combine(i)
        case .double(let d):
            if let i = SchemaNumber.exactInteger(d) {
                hasher.combine(2)
                hasher.combine(i)
            } else {
                hasher.combine(3)
                hasher.combine(d)
            }
        case .unsigned(let u):
            hasher.combine(7)
            hasher.combine(u)
        case .string(let s):
            hasher.combine(4)
            hasher.combine(s)
        case .array(let items):
            hasher.combine(5)
            hasher.combine(items.count)
            for item in items { hash(item, into: &hasher) }
        case .object(let members):
            var combined = 0
            for (key, member) in members {
                var one = Hasher()
                one.combine(key)
                hash(member, into: &one)
                combined ^= one.finalize()
            }
            hasher.combine(6)
            hasher.combine(members.count)
            hasher.combine(combined)
        }
    }
}
