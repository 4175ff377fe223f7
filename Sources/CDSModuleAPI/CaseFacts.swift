import CDSJSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The case as facts: what one module may read of one validated case document.
///
/// A module reads facts by JSON Pointer (``FactPath``), only at or below the paths its
/// descriptor declares in ``ModuleDescriptor/reads``; reading anything else throws
/// ``ModuleError``, so a module's inputs are exactly what it declares. Every read answers
/// `nil` when the case does not record the fact (the member is missing, or JSON `null`):
/// `nil` means *unknown*, never "no". A fact of another type than the one asked for throws
/// ``ModuleError`` naming the path.
///
/// The engine builds the facts once per evaluation and hands each module a copy scoped to
/// its `reads`. Condition libraries (such as a typed view of one condition's case) build
/// their view from the whole document once per evaluation through
/// ``typedView(_:build:)`` (SPI `ConditionLibrary`); modules use the reads below.
public struct CaseFacts: Sendable {
    /// `/caseId`: the caller's identifier, echoed in the plan; `nil` when not given.
    public let caseId: String?
    /// `/assessmentDate`: the date the case describes; `nil` when not given (the engine then
    /// uses its clock, see ``AssessmentContext/asOf``).
    public let assessmentDate: CalendarDate?
    /// The paths this copy may read: the module's `reads`.
    public let reads: [FactPath]
    private let storage: Storage

    /// The facts of a validated case `document` that a reader declaring `reads` may read.
    /// The engine is the usual builder; module tests build them from a case document. The
    /// path `""` (the whole document) lets every fact be read.
    public init(document: JSONValue, reads: [FactPath]) {
        self.storage = Storage(document)
        self.reads = reads
        self.caseId = document["caseId"]?.stringValue
        self.assessmentDate = document["assessmentDate"]?.stringValue.flatMap(CalendarDate.init)
    }

    private init(storage: Storage, reads: [FactPath], caseId: String?, assessmentDate: CalendarDate?) {
        self.storage = storage
        self.reads = reads
        self.caseId = caseId
        self.assessmentDate = assessmentDate
    }

    /// The same facts for another reader: the copy the engine hands a module whose
    /// descriptor declares `reads`. Typed views built by condition libraries are shared
    /// between the copies, so they are built once per evaluation, not once per module.
    @_spi(Host)
    public func scoped(to reads: [FactPath]) -> CaseFacts {
        CaseFacts(storage: storage, reads: reads, caseId: caseId, assessmentDate: assessmentDate)
    }

    /// Whether `path` lies at or below one of ``reads``.
    public func isDeclared(_ path: FactPath) -> Bool {
        reads.contains { path.isWithin($0) }
    }

    /// The fact at `path` as JSON, or `nil` when the case does not record it (a missing
    /// member, or `null`). Throws ``ModuleError`` when `path` is not a JSON Pointer or is not
    /// declared in ``reads``.
    public func value(_ path: FactPath) throws -> JSONValue? {
        guard path.rawValue.isEmpty || (path.rawValue.utf8.first == UInt8(ascii: "/") && JSONPointer.isValid(path.rawValue)) else {
            throw ModuleError("not a JSON Pointer", fact: path)
        }
        guard isDeclared(path) else {
            let declared = reads.map(\.rawValue).joined(separator: ", ")
            throw ModuleError("not declared in `reads` (\(declared.isEmpty ? "nothing" : declared)); declare it to read it", fact: path)
        }
        switch storage.document.value(atPointer: path.rawValue) {
        case .none, .some(.null): return nil
        case .some(let value): return value
        }
    }

    /// The string at `path`; `nil` when not recorded.
    public func string(_ path: FactPath) throws -> String? {
        try typed(path, "a string") { $0.stringValue }
    }

    /// The number (integer or not) at `path`; `nil` when not recorded.
    public func number(_ path: FactPath) throws -> Double? {
        try typed(path, "a number") { $0.numberValue }
    }

    /// The whole number at `path` (`2` or `2.0`, not `2.5`); `nil` when not recorded.
    public func integer(_ path: FactPath) throws -> Int? {
        try typed(path, "an integer") { v in
            switch v {
            case .integer(let i): Int(exactly: i)
            case .unsigned(let u): Int(exactly: u)
            case .double(let d): d.rounded() == d && abs(d) < 9.0e15 ? Int(d) : nil
            default: nil
            }
        }
    }

    /// The boolean at `path`; `nil` when not recorded (unknown, not `false`).
    public func bool(_ path: FactPath) throws -> Bool? {
        try typed(path, "a boolean") { $0.boolValue }
    }

    /// The calendar date (`YYYY-MM-DD`) at `path`; `nil` when not recorded.
    public func date(_ path: FactPath) throws -> CalendarDate? {
        try typed(path, "a date (YYYY-MM-DD)") { $0.stringValue.flatMap(CalendarDate.init) }
    }

    /// The array at `path`; `nil` when not recorded (an empty array is recorded).
    public func array(_ path: FactPath) throws -> [JSONValue]? {
        try typed(path, "an array") { $0.arrayValue }
    }

    /// The object at `path`; `nil` when not recorded.
    public func object(_ path: FactPath) throws -> JSONObject? {
        try typed(path, "an object") { $0.objectValue }
    }

    private func typed<T>(_ path: FactPath, _ expected: String, _ convert: (JSONValue) -> T?) throws -> T? {
        guard let value = try value(path) else { return nil }
        guard let converted = convert(value) else {
            throw ModuleError("expected \(expected), found \(value.typeName)", fact: path)
        }
        return converted
    }
}

// MARK: condition libraries

extension CaseFacts {
    /// The whole validated case document, for condition libraries that build a typed view
    /// of it (and for the host, which records it in the plan). Not the everyday path for a
    /// module: read facts through ``value(_:)`` and the typed reads, which keep to `reads`.
    @_spi(ConditionLibrary)
    public var document: JSONValue { storage.document }

    /// A typed view of the whole document (such as one condition's case model), built by
    /// `build` on first use and shared by every copy of these facts for the rest of the
    /// evaluation; a failure to build is kept too, so every module of the evaluation sees it.
    /// One view per type `View`.
    @_spi(ConditionLibrary)
    public func typedView<View: Sendable>(_ type: View.Type, build: (JSONValue) throws(ModuleError) -> View) throws(ModuleError) -> View {
        try storage.view(type, build: build).value
    }

    /// Calls `body` with the typed view of ``typedView(_:build:)``, lent for the call rather
    /// than copied out (a copy of a view retains each of its parts, once per module and case).
    @_spi(ConditionLibrary)
    public func withTypedView<View: Sendable, Result>(
        _ type: View.Type, build: (JSONValue) throws(ModuleError) -> View, _ body: (borrowing View) throws -> Result
    ) throws -> Result {
        let box = try storage.view(type, build: build)
        return try body(box.value)
    }
}

/// One typed view, boxed (``CaseFacts``' storage).
private final class ViewBox<View: Sendable>: Sendable {
    let value: View
    init(_ value: View) { self.value = value }
}

extension CaseFacts {
    /// The document and the typed views built from it, shared by every scoped copy.
    ///
    /// `@unchecked Sendable` is sound: `document` is an immutable `Sendable` value, and
    /// `views` is read and written only while `mutex` is held (``view(_:build:)``); its
    /// values are `Sendable` (``typedView(_:build:)`` requires it).
    private final class Storage: @unchecked Sendable {
        let document: JSONValue
        /// Each view in a box of its own type: taking it out is a class cast and a copy, not
        /// the runtime's generic cast of an existential (a copy of the whole view through
        /// its value witnesses), once per module and case. Few types: searched in order.
        private var views: [(type: ObjectIdentifier, result: Result<any AnyObject & Sendable, ModuleError>)] = []
        private let mutex: UnsafeMutablePointer<pthread_mutex_t>

        init(_ document: JSONValue) {
            self.document = document
            mutex = .allocate(capacity: 1)
            pthread_mutex_init(mutex, nil)
        }

        deinit {
            pthread_mutex_destroy(mutex)
            mutex.deallocate()
        }

        func view<View: Sendable>(_ type: View.Type, build: (JSONValue) throws(ModuleError) -> View) throws(ModuleError) -> ViewBox<View> {
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            let key = ObjectIdentifier(type)
            let result: Result<any AnyObject & Sendable, ModuleError>
            if let cached = views.first(where: { $0.type == key }) {
                result = cached.result
            } else {
                do throws(ModuleError) {
                    result = .success(ViewBox(try build(document)))
                } catch {
                    result = .failure(error)
                }
                views.append((key, result))
            }
            switch result {
            case .success(let box):
                // Stored under `View`'s identifier, so made as a `ViewBox<View>` (checked in
                // debug builds): no dynamic cast, which asks the runtime for the generic
                // class's metadata on every call.
                return unsafeDowncast(box, to: ViewBox<View>.self)
            case .failure(let error):
                throw error
            }
        }
    }
}
