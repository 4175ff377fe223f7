/// The version of the assessment-module contract defined by this library.
///
/// Policy (see docs/module-api.md): the contract evolves additively. A minor version adds
/// requirements with default implementations, or new optional case facts; it never removes
/// or changes the meaning of anything. A major version may break; the host then refuses
/// modules built against another major. A module built against minor `m` loads in a host
/// whose minor is at least `m`.
public struct ModuleAPIVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Incremented for breaking changes.
    public var major: Int
    /// Incremented for additive changes.
    public var minor: Int

    /// A version from its two components.
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// Parses `MAJOR.MINOR` strictly: exactly two components, each `0` or ASCII digits
    /// without a leading zero, in range; `nil` otherwise ("1.-1", "01.0", "1.0.0x", "+1.0",
    /// "1.0 " are refused).
    public init?(_ text: String) {
        let parts = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        var values: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 9, part.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                part.count == 1 || part.first != 0x30
            else { return nil }
            values.append(part.reduce(0) { $0 * 10 + Int($1 - 0x30) })
        }
        self.init(major: values[0], minor: values[1])
    }

    /// The contract this copy of the library defines. 2.0 moved the typed case of one
    /// condition out of the contract (modules read ``CaseFacts``), a removal, hence a major.
    public static let current = ModuleAPIVersion(major: 2, minor: 0)

    /// The module-API majors whose modules an external (out-of-process) module may report in
    /// its handshake besides the host's own: the wire contract (the case document in, the
    /// proposals out, module protocol 1.x) did not change with 2.0, so an external module
    /// written against API 1.x still loads. In-process modules must match the host's major.
    public static let externalMajors: ClosedRange<Int> = 1...2

    /// Whether a host speaking `self` can load an in-process module built against `module`.
    public func canLoad(moduleBuiltAgainst module: ModuleAPIVersion) -> Bool {
        module.major == major && module.minor <= minor
    }

    /// Whether a host speaking `self` can load an external module that reports `module`: one
    /// it could load in process, or one of an older major of ``externalMajors`` (any minor).
    public func canLoad(externalModuleBuiltAgainst module: ModuleAPIVersion) -> Bool {
        canLoad(moduleBuiltAgainst: module) || (module.major < major && Self.externalMajors.contains(module.major))
    }

    /// `major.minor`.
    public var description: String { "\(major).\(minor)" }

    /// Orders versions by major, then minor.
    public static func < (lhs: ModuleAPIVersion, rhs: ModuleAPIVersion) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }
}

/// A semantic version (`MAJOR.MINOR.PATCH`, optional `-prerelease`), for modules and the engine.
public struct SemanticVersion: Sendable, Hashable, CustomStringConvertible {
    /// Breaking changes.
    public var major: Int
    /// Additive changes.
    public var minor: Int
    /// Fixes.
    public var patch: Int
    /// Pre-release label without the leading `-`, or `nil`.
    public var prerelease: String?

    /// A version from its components.
    public init(_ major: Int, _ minor: Int, _ patch: Int, prerelease: String? = nil) {
        self.major = major
        self.minor = minor
        self.patch = patch
        self.prerelease = prerelease
    }

    /// Parses `1.2.3` or `1.2.3-beta.1`; `nil` if malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let numbers = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 3 else { return nil }
        var values: [Int] = []
        for n in numbers {
            guard !n.isEmpty, n.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                n == "0" || n.first != "0", let v = Int(n)
            else { return nil }
            values.append(v)
        }
        if parts.count == 2 {
            guard !parts[1].isEmpty else { return nil }
            prerelease = String(parts[1])
        }
        major = values[0]
        minor = values[1]
        patch = values[2]
    }

    /// `MAJOR.MINOR.PATCH[-prerelease]`.
    public var description: String {
        "\(major).\(minor).\(patch)" + (prerelease.map { "-" + $0 } ?? "")
    }
}
