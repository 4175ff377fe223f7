/// Settings that adapter layers above the engine decode from the Catalog's
/// ``Catalog/adapterDocuments`` at start, kept with the Catalog they came from.
///
/// The engine neither reads nor interprets them; each adapter stores one value of its own
/// type (the type is the key, as in Vapor's `Storage`) once, at start, and reads it back
/// where it needs it.
package final class AdapterStorage: Sendable {
    private let values = Locked<[ObjectIdentifier: any Sendable]>([:])

    /// Empty storage.
    package init() {}

    /// The stored value of type `T`, if an adapter stored one.
    package func value<T: Sendable>(_ type: T.Type) -> T? {
        values.withLock { $0[ObjectIdentifier(type)] as? T }
    }

    /// Stores `value` as the value of its type.
    package func store<T: Sendable>(_ value: T) {
        values.withLock { $0[ObjectIdentifier(T.self)] = value }
    }
}

extension Catalog {
    /// The Catalog files the engine loads and digests but does not interpret: the adapter
    /// layers' configuration.
    package static let adapterFiles: Set<String> = ["fhir-mapping.json", "cds-hooks.json"]
}
