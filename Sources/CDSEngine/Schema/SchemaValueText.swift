import CDSJSON

/// How values appear in violation messages: compact JSON, short.
///
/// Strings are quoted and escaped and cut to ``maxCharacters`` characters (an ellipsis
/// marks the cut); numbers, `true`, `false` and `null` appear as JSON. A value that was
/// *found* in an instance and is an array or an object appears as just `array` or `object`;
/// an *expected* value (from `const` or `enum`) is written out, cut to the same length.
enum SchemaValueText {
    /// The longest string (in characters) shown before it is cut.
    static let maxCharacters = 60

    /// A found value, e.g. `"forty"`, `130`, `true`, `array`.
    static func found(_ value: JSONValue) -> String {
        switch value {
        case .array: "array"
        case .object: "object"
        default: literal(value)
        }
    }

    /// A found value with its type, for type mismatches: `string "forty"`, `integer 5`,
    /// `number 40.5`, `boolean true`, `null`, `array`, `object`.
    static func typed(_ value: JSONValue) -> String {
        switch value {
        case .null, .array, .object: value.typeName
        default: value.typeName + " " + literal(value)
        }
    }

    /// An expected value, written out in full unless it is long, e.g. `"dancer"`, `{"a":1}`.
    static func expected(_ value: JSONValue) -> String {
        switch value {
        case .array, .object:
            var text = ""
            write(value, to: &text)
            return text.count > maxCharacters ? String(text.prefix(maxCharacters)) + "…" : text
        default:
            return literal(value)
        }
    }

    /// A scalar as JSON (strings cut when long); containers by kind.
    private static func literal(_ value: JSONValue) -> String {
        switch value {
        case .string(let s):
            return quoted(s.count > maxCharacters ? String(s.prefix(maxCharacters)) + "…" : s)
        case .array:
            return "array"
        case .object:
            return "object"
        default:
            var text = ""
            write(value, to: &text)
            return text
        }
    }

    /// Compact JSON for any value.
    private static func write(_ value: JSONValue, to text: inout String) {
        switch value {
        case .null: text += "null"
        case .bool(let b): text += b ? "true" : "false"
        case .integer(let i): text += String(i)
        case .unsigned(let u): text += String(u)
        case .double(let d): text += number(d)
        case .string(let s): text += quoted(s)
        case .array(let items):
            text += "["
            for (i, item) in items.enumerated() {
                if i > 0 { text += "," }
                write(item, to: &text)
            }
            text += "]"
        case .object(let members):
            text += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { text += "," }
                text += quoted(member.key) + ":"
                write(member.value, to: &text)
            }
            text += "}"
        }
    }

    /// The shortest text that reads back as `d` (`40.5`, `40.0`, `1e-07`).
    private static func number(_ d: Double) -> String {
        d.description
    }

    /// `s` as a JSON string literal.
    static func quoted(_ s: String) -> String {
        var text = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\u{08}": text += "\\b"
            case "\u{0C}": text += "\\f"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: false)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }
}
