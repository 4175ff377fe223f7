/// The positions of a fixed set of string keys (Catalog ids, member names), built once and
/// then only read: a lookup hashes the key's UTF-8 bytes eight at a time and compares them
/// with `memcmp`-like word loads, several times cheaper than a `Dictionary<String, Int>`
/// (SipHash over every byte, then `String` comparison), which matters on the paths every
/// evaluation takes several dozen times.
///
/// The hash is not seeded: the table is built from the Catalog and never grows, so a caller
/// choosing the keys it looks up can at worst walk one cluster of a table kept at most half
/// full; there is nothing to flood. The first occurrence of a key given twice wins, as with
/// `Dictionary(_:uniquingKeysWith: { a, _ in a })`.
package struct KeyTable: Sendable {
    /// Every key's UTF-8 bytes, one after another.
    private let bytes: [UInt8]
    /// Where each key's bytes start in `bytes`; one more entry than there are keys.
    private let starts: [Int]
    /// Open addressing, linear probing: each slot holds the high 32 bits of its key's hash
    /// (compared before the bytes) above the key's index plus one (0: an empty slot).
    private let slots: [UInt64]
    private let mask: Int

    /// The table of `keys`, each at its index in `keys`.
    package init(_ keys: [String]) {
        var bytes: [UInt8] = []
        var starts: [Int] = [0]
        starts.reserveCapacity(keys.count + 1)
        for key in keys {
            bytes.append(contentsOf: key.utf8)
            starts.append(bytes.count)
        }
        var size = 8
        while size < 2 * keys.count { size *= 2 }
        var slots = [UInt64](repeating: 0, count: size)
        let mask = size - 1
        bytes.withUnsafeBufferPointer { all in
            for k in keys.indices {
                let key = UnsafeBufferPointer(rebasing: all[starts[k]..<starts[k + 1]])
                let hash = Self.hash(key)
                var slot = Int(truncatingIfNeeded: hash) & mask
                var duplicate = false
                while slots[slot] != 0 {
                    let other = Int(truncatingIfNeeded: slots[slot] & 0xFFFF_FFFF) - 1
                    if slots[slot] >> 32 == hash >> 32
                        && Self.equal(key, UnsafeBufferPointer(rebasing: all[starts[other]..<starts[other + 1]]))
                    {
                        duplicate = true
                        break
                    }
                    slot = (slot + 1) & mask
                }
                if !duplicate { slots[slot] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(k + 1) }
            }
        }
        self.bytes = bytes
        self.starts = starts
        self.slots = slots
        self.mask = mask
    }

    /// The number of keys the table was built from (duplicates included).
    package var count: Int { starts.count - 1 }

    /// The index of `key` among the keys the table was built from, or `nil`.
    package func position(of key: String) -> Int? {
        var key = key
        return key.withUTF8 { position(ofUTF8: $0) }
    }

    /// The index of the key whose UTF-8 bytes are `key`, or `nil`.
    package func position(ofUTF8 key: UnsafeBufferPointer<UInt8>) -> Int? {
        let hash = Self.hash(key)
        let tag = hash >> 32
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            if entry >> 32 == tag {
                let k = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                let (start, end) = (starts[k], starts[k + 1])
                if end - start == key.count
                    && bytes.withUnsafeBufferPointer({ Self.equal(key, UnsafeBufferPointer(rebasing: $0[start..<end])) })
                {
                    return k
                }
            }
            slot = (slot + 1) & mask
        }
    }

    /// A 64-bit hash of `bytes`: eight bytes at a time, each word mixed in by a multiply and
    /// a rotation (the last word overlapping the one before it when the length is not a
    /// multiple of eight), the length and a final avalanche last.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let n = bytes.count
        var h: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(n)
        guard let base = bytes.baseAddress, n > 0 else { return finalize(h) }
        if n < 8 {
            var word: UInt64 = 0
            for j in 0..<n { word |= UInt64(base[j]) << (UInt64(j) * 8) }
            return finalize((h ^ word) &* 0x9E37_79B9_7F4A_7C15)
        }
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i + 8 <= n {
            h = mix(h, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i += 8
        }
        if i < n { h = mix(h, raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)) }
        return finalize(h)
    }

    @inline(__always)
    private static func mix(_ h: UInt64, _ word: UInt64) -> UInt64 {
        let m = (h ^ word) &* 0x9E37_79B9_7F4A_7C15
        return (m << 29) | (m >> 35)
    }

    @inline(__always)
    private static func finalize(_ x: UInt64) -> UInt64 {
        var h = x
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        return h
    }

    /// Whether `a` and `b` hold the same bytes: word by word, the last word overlapping.
    @inline(__always)
    private static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = a.count
        guard n == b.count else { return false }
        guard n > 0, let x = a.baseAddress, let y = b.baseAddress else { return true }
        if n < 8 {
            for i in 0..<n where x[i] != y[i] { return false }
            return true
        }
        let p = UnsafeRawPointer(x)
        let q = UnsafeRawPointer(y)
        var i = 0
        while i + 8 <= n {
            if p.loadUnaligned(fromByteOffset: i, as: UInt64.self) != q.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        return i == n || p.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) == q.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
    }
}
