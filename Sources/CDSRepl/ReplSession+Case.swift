import CDSEngine
import CDSJSON
import CDSModuleAPI

extension ReplSession {
    /// A JSON value typed by a person: JSON if it parses, otherwise the text itself.
    static func value(_ text: String) -> JSONValue {
        (try? JSONParser(limits: .init(maxDepth: 16, maxBytes: 1 << 20)).parse(text)) ?? .string(text)
    }

    func pointer(_ field: String) throws(Failure) -> JSONPointer {
        guard let p = CaseFields.pointer(field), !p.tokens.isEmpty else {
            throw Failure("'\(field)' is not a field path (such as patient.age); type 'help set' for the fields")
        }
        return p
    }

    /// `document` with `value` at `pointer` (objects created on the way), or without it.
    static func setting(_ value: JSONValue?, at pointer: JSONPointer, in document: JSONObject) throws(Failure) -> JSONObject {
        do {
            return try document.setting(value, at: pointer)
        } catch {
            throw Failure(error.description)
        }
    }

    /// Applies a change if it leaves no schema problem at or below the changed field.
    func applyValidated(_ candidate: JSONObject, changed pointer: JSONPointer) throws(Failure) -> JSONObject {
        let problems = engine.caseReader.issues(in: .object(candidate)).filter { $0.path.isWithin(pointer) }
        if let first = problems.first {
            let more = problems.count > 1 ? " (and \(problems.count - 1) more)" : ""
            throw Failure("\(first)\(more); the case is unchanged")
        }
        return candidate
    }

    func set(_ args: [String], _ raw: String) throws(Failure) -> String {
        guard args.count >= 2 else { throw Failure(Self.usage("set")) }
        let p = try pointer(args[0])
        let value = Self.value(Self.rest(of: raw, after: 1))
        document = try applyValidated(try Self.setting(value, at: p, in: document), changed: p)
        lastPlan = nil
        return "\(args[0]) = \(value.serialized())"
    }

    func unset(_ args: [String]) throws(Failure) -> String {
        guard args.count == 1 else { throw Failure(Self.usage("unset")) }
        let p = try pointer(args[0])
        guard JSONValue.object(document).value(at: p) != nil else { throw Failure("\(args[0]) is not set") }
        document = try Self.setting(nil, at: p, in: document)
        lastPlan = nil
        return "\(args[0]) removed"
    }

    func add(_ args: [String], _ raw: String) throws(Failure) -> String {
        guard args.count >= 2 else { throw Failure(Self.usage("add")) }
        let p = try pointer(args[0])
        var item = Self.value(Self.rest(of: raw, after: 1))
        if case .string(let text) = item, let key = fields[args[0]]?.itemKey {
            item = [key: .string(text)]
        }
        var list: [JSONValue]
        switch JSONValue.object(document).value(at: p) {
        case nil: list = []
        case .array(let a)?: list = a
        case let other?: throw Failure("\(args[0]) is \(other.typeName), not a list")
        }
        list.append(item)
        document = try applyValidated(try Self.setting(.array(list), at: p, in: document), changed: p)
        lastPlan = nil
        return "\(args[0]) += \(item.serialized())"
    }

    func reading(_ args: [String]) throws(Failure) -> String {
        guard args.count == 3, ["nprs", "lefs"].contains(args[0]) else { throw Failure(Self.usage("reading")) }
        guard CalendarDate(args[1]) != nil else { throw Failure("'\(args[1])' is not a date (YYYY-MM-DD)") }
        guard let score = Int64(args[2]) else { throw Failure("'\(args[2])' is not a whole-number score") }
        let p = JSONPointer(tokens: ["measurements", args[0]])
        var list = JSONValue.object(document).value(at: p)?.arrayValue ?? []
        list.append(["date": .string(args[1]), "value": .integer(score)])
        document = try applyValidated(try Self.setting(.array(list), at: p, in: document), changed: p)
        lastPlan = nil
        return "\(args[0].uppercased()) \(score) on \(args[1]) recorded (\(list.count) reading\(list.count == 1 ? "" : "s"))"
    }

    func validate() -> String {
        let problems = engine.caseReader.issues(in: .object(document))
        return problems.isEmpty ? "the case is valid" : problems.map(\.description).joined(separator: "\n")
    }

    func load(_ args: [String]) throws(Failure) -> String {
        guard args.count == 1 else { throw Failure(Self.usage("load")) }
        let bytes: [UInt8]
        do {
            bytes = try FileSystem.read(args[0], limit: 1 << 20)
        } catch {
            throw Failure("cannot read \(error)")
        }
        let value: JSONValue
        do {
            value = try JSONParser().parse(bytes)
        } catch {
            throw Failure("\(args[0]): invalid JSON at byte \(error.offset): \(error.message)")
        }
        guard case .object(let object) = value else { throw Failure("\(args[0]): a case is a JSON object, found \(value.typeName)") }
        document = object
        lastPlan = nil
        let problems = engine.caseReader.issues(in: value)
        return "loaded \(args[0])"
            + (problems.isEmpty ? "" : "; \(problems.count) problem\(problems.count == 1 ? "" : "s") remain (type 'validate')")
    }

    func save(_ args: [String]) throws(Failure) -> String {
        guard args.count == 1 else { throw Failure(Self.usage("save")) }
        do {
            try FileSystem.writeAtomically(Array((JSONValue.object(document).serializedPretty() + "\n").utf8), to: args[0])
        } catch {
            throw Failure("cannot write \(error)")
        }
        return "saved \(args[0])"
    }
}
