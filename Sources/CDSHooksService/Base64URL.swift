/// base64url without padding (RFC 4648 section 5), as JWS compact serialisation uses it.
enum Base64URL {
    /// The decoded bytes, or nil for a character outside the alphabet, padding, or a length
    /// no encoder produces.
    static func decode<S: Sequence<UInt8>>(_ text: S) -> [UInt8]? {
        var out: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        var count = 0
        for c in text {
            let v: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "-"): v = 62
            case UInt8(ascii: "_"): v = 63
            default: return nil
            }
            count += 1
            accumulator = (accumulator << 6) | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        // A remainder of one character cannot encode a byte; leftover bits must be zero.
        guard count % 4 != 1, accumulator == 0 else { return nil }
        return out
    }
}
