import CDSJSON

/// Collects Catalog issues while a file is decoded.
package final class IssueSink {
    package init() {}

    package private(set) var issues: [CatalogIssue] = []
    /// Put before every file name added: the folder of the pack being read (such as
    /// `packs/iliopsoas/`), so that issues name the file as found in the Catalog.
    package var filePrefix = ""

    package func add(_ file: String, _ path: JSONPointer, _ message: String, _ code: IssueCode = .invalid, member: String? = nil) {
        issues.append(CatalogIssue(file: filePrefix + file, path: path, message: message, code: code, member: member))
    }
}

/// Typed, path-aware access to the members of one JSON object of a Catalog file.
///
/// Every accessor records a precise issue (file, JSON path, expectation) instead of
/// throwing, so that `cds catalog check` reports all problems at once. Unknown members are
/// reported too: a misspelt key must never be silently ignored in clinical content.
package struct FieldReader {
    package let file: String
    package let path: JSONPointer
    package let object: JSONObject
    package let sink: IssueSink

    /// A reader for `value`, or `nil` (with an issue) if it is not an object.
    package init?(_ value: JSONValue, file: String, path: JSONPointer, sink: IssueSink, allowedKeys: Set<String>) {
        guard case .object(let object) = value else {
            sink.add(file, path, "expected object, found \(value.typeName)", .typeMismatch)
            return nil
        }
        self.file = file
        self.path = path
        self.object = object
        self.sink = sink
        for key in object.orderedKeys where !allowedKeys.contains(key) {
            sink.add(
                file, path.appending(key), "unknown member (allowed: \(allowedKeys.sorted().joined(separator: ", ")))", .unknownMember,
                member: key)
        }
    }

    package func issue(_ key: String, _ message: String) {
        sink.add(file, path.appending(key), message)
    }

    private func typed<T>(_ key: String, required: Bool, _ expected: String, _ extract: (JSONValue) -> T?) -> T? {
        guard let value = object[key] else {
            if required { sink.add(file, path, "missing required member \"\(key)\"", .missingRequired, member: key) }
            return nil
        }
        guard let result = extract(value) else {
            sink.add(file, path.appending(key), "expected \(expected), found \(value.typeName)", .typeMismatch)
            return nil
        }
        return result
    }

    package func string(_ key: String, required: Bool = true) -> String? {
        guard let s = typed(key, required: required, "string", \.stringValue) else { return nil }
        if s.isEmpty {
            issue(key, "expected a non-empty string")
            return nil
        }
        return s
    }

    package func number(_ key: String, required: Bool = true) -> Double? {
        typed(key, required: required, "number", \.numberValue)
    }

    package func integer(_ key: String, required: Bool = true) -> Int? {
        typed(key, required: required, "integer", \.integerValue).map { Int($0) }
    }

    package func bool(_ key: String, required: Bool = true) -> Bool? {
        typed(key, required: required, "boolean", \.boolValue)
    }

    package func array(_ key: String, required: Bool = true) -> [JSONValue]? {
        typed(key, required: required, "array", \.arrayValue)
    }

    package func objectValue(_ key: String, required: Bool = true) -> JSONObject? {
        typed(key, required: required, "object", \.objectValue)
    }

    /// An array of non-empty strings, each checked.
    package func strings(_ key: String, required: Bool = true) -> [String]? {
        guard let items = array(key, required: required) else { return nil }
        var result: [String] = []
        for (i, item) in items.enumerated() {
            if let s = item.stringValue, !s.isEmpty {
                result.append(s)
            } else {
                sink.add(
                    file, path.appending(key).appending(index: i), "expected a non-empty string, found \(item.typeName)", .typeMismatch)
            }
        }
        return result
    }

    /// Readers for each element of an array of objects.
    package func objects(_ key: String, required: Bool = true, allowedKeys: Set<String>) -> [FieldReader]? {
        guard let items = array(key, required: required) else { return nil }
        return items.enumerated().compactMap { i, item in
            FieldReader(item, file: file, path: path.appending(key).appending(index: i), sink: sink, allowedKeys: allowedKeys)
        }
    }

    /// A reader for a nested object member.
    package func nested(_ key: String, required: Bool = true, allowedKeys: Set<String>) -> FieldReader? {
        guard let value = object[key] else {
            if required { sink.add(file, path, "missing required member \"\(key)\"", .missingRequired, member: key) }
            return nil
        }
        return FieldReader(value, file: file, path: path.appending(key), sink: sink, allowedKeys: allowedKeys)
    }
}
