import CSHA256

/// SHA-256 (FIPS 180-4), for Catalog provenance and source-file integrity checks.
package struct SHA256 {
    /// The round constants (FIPS 180-4, 4.2.2), from CSHA256, which the SHA extensions use too.
    private static var k: UnsafeBufferPointer<UInt32> { UnsafeBufferPointer(start: cds_sha256_round_constants(), count: 64) }

    /// Whether this processor's SHA extensions compress the blocks (about 3 instructions a
    /// byte instead of about 50 for the portable code; the Catalog and its sources are
    /// hashed at every start).
    package static let accelerated = cds_sha256_accelerated() != 0

    /// The lowercase hexadecimal digest of `bytes`.
    package static func hex(_ bytes: [UInt8]) -> String { hex(bytes, accelerated: accelerated) }

    /// The digest by the SHA extensions or by the portable code (tests check both).
    package static func hex(_ bytes: [UInt8], accelerated: Bool) -> String {
        var h: [UInt32] = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
        ]
        var message = bytes
        let bitLength = UInt64(bytes.count) &* 8
        message.reserveCapacity((bytes.count + 72) & ~63)
        message.append(0x80)
        while message.count % 64 != 56 { message.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { message.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        if accelerated {
            precondition(Self.accelerated, "this processor has no SHA extensions")
            h.withUnsafeMutableBufferPointer { state in
                message.withUnsafeBufferPointer { cds_sha256_compress(state.baseAddress, $0.baseAddress, $0.count / 64) }
            }
        } else {
            compress(&h, message)
        }
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for word in h {
            for shift in stride(from: 28, through: 0, by: -4) { out.append(digits[Int((word >> UInt32(shift)) & 0xf)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The portable compression of `message`'s 64-byte blocks into `h`.
    private static func compress(_ h: inout [UInt32], _ message: [UInt8]) {
        let k = Self.k
        var w = [UInt32](repeating: 0, count: 64)
        for chunk in stride(from: 0, to: message.count, by: 64) {
            for i in 0..<16 {
                let j = chunk + i * 4
                w[i] = UInt32(message[j]) << 24 | UInt32(message[j + 1]) << 16 | UInt32(message[j + 2]) << 8 | UInt32(message[j + 3])
            }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for i in 0..<64 {
                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            h[0] &+= a
            h[1] &+= b
            h[2] &+= c
            h[3] &+= d
            h[4] &+= e
            h[5] &+= f
            h[6] &+= g
            h[7] &+= hh
        }
    }

    private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
}
