import CDSEngine
import CDSJSON
import Testing

/// The violations of `instance` under `schema`, as `path: message` lines.
private func violations(_ schema: JSONValue, _ instance: JSONValue) throws -> [String] {
    try JSONSchema(schema).validate(instance).map(\.description)
}

/// The compile problems of `schema`, as `path: message` lines; empty if it compiles.
private func problems(_ schema: JSONValue) -> [String] {
    do {
        _ = try JSONSchema(schema)
        return []
    } catch {
        return error.problems.map(\.description)
    }
}

@Suite("JSON Schema: type, enum, const")
struct SchemaTypeTests {
    @Test func eachTypeAcceptsItsValuesAndRefusesOthers() throws {
        let samples: [(String, JSONValue, String)] = [
            ("null", nil, "null"),
            ("boolean", true, "boolean true"),
            ("object", ["a": 1], "object"),
            ("array", [1, 2], "array"),
            ("number", 2.5, "number 2.5"),
            ("integer", 7, "integer 7"),
            ("string", "forty", "string \"forty\""),
        ]
        for (type, value, _) in samples {
            #expect(try violations(["type": .string(type)], value) == [], "\(type)")
        }
        for (type, _, _) in samples {
            for (otherType, value, shown) in samples where otherType != type {
                // Every integer is also a number.
                if type == "number" && otherType == "integer" { continue }
                #expect(try violations(["type": .string(type)], value) == ["/: expected \(type), found \(shown)"])
            }
        }
    }

    @Test func integerMeansIntegralValue() throws {
        let schema: JSONValue = ["properties": ["age": ["type": "integer"]]]
        #expect(try violations(schema, ["age": 40]) == [])
        #expect(try violations(schema, ["age": 40.0]) == [], "draft 2020-12: 40.0 is an integer")
        #expect(try violations(schema, ["age": 40.5]) == ["/age: expected integer, found number 40.5"])
        #expect(try violations(schema, ["age": "forty"]) == ["/age: expected integer, found string \"forty\""])
        #expect(try violations(["type": "number"], 40) == [])
    }

    @Test func aListOfTypesAcceptsAnyOfThem() throws {
        let schema: JSONValue = ["type": ["null", "integer", "string"]]
        #expect(try violations(schema, nil) == [])
        #expect(try violations(schema, "x") == [])
        #expect(try violations(schema, false) == ["/: expected null, integer or string, found boolean false"])
        #expect(try violations(["type": ["integer", "string"]], [1]) == ["/: expected integer or string, found array"])
    }

    @Test func enumListsTheAllowedValues() throws {
        let schema: JSONValue = ["properties": ["group": ["enum": ["general", "dancer", "athlete"]]]]
        #expect(try violations(schema, ["group": "dancer"]) == [])
        #expect(
            try violations(schema, ["group": "swimmer"]) == [
                "/group: must be one of \"general\", \"dancer\", \"athlete\"; found \"swimmer\""
            ])
        #expect(try violations(schema, ["group": ["x"]]) == ["/group: must be one of \"general\", \"dancer\", \"athlete\"; found array"])
        #expect(try violations(["enum": ["only"]], "other") == ["/: must be \"only\", found \"other\""])
    }

    @Test func enumUsesJSONEquality() throws {
        let schema: JSONValue = ["enum": [1, ["a": 1, "b": [true, nil]], nil]]
        #expect(try violations(schema, 1.0) == [], "1.0 equals 1")
        #expect(try violations(schema, ["b": [true, nil], "a": 1.0]) == [], "member order does not matter")
        #expect(try violations(schema, nil) == [])
        #expect(try violations(schema, 1.5) == ["/: must be one of 1, {\"a\":1,\"b\":[true,null]}, null; found 1.5"])
        #expect(try violations(schema, "1") == ["/: must be one of 1, {\"a\":1,\"b\":[true,null]}, null; found \"1\""])
    }

    /// An enum of more than eight values is checked by hashing, a shorter one value by value:
    /// the same JSON equality either way.
    @Test func aLongEnumUsesJSONEqualityToo() throws {
        let values: [JSONValue] = (2...9).map { .integer($0) } + [1, ["a": 1, "b": [true, nil]], nil]
        let schema: JSONValue = ["enum": .array(values)]
        #expect(try violations(schema, 1.0) == [], "1.0 equals 1")
        #expect(try violations(schema, 9) == [])
        #expect(try violations(schema, ["b": [true, nil], "a": 1.0]) == [], "member order does not matter")
        #expect(try violations(schema, nil) == [])
        #expect(try violations(schema, 10).count == 1)
        #expect(try violations(schema, "1").count == 1)
    }

    @Test func constRequiresOneValue() throws {
        let schema: JSONValue = ["properties": ["schemaVersion": ["const": 1]]]
        #expect(try violations(schema, ["schemaVersion": 1]) == [])
        #expect(try violations(schema, ["schemaVersion": 1.0]) == [])
        #expect(try violations(schema, ["schemaVersion": 2]) == ["/schemaVersion: must be 1, found 2"])
        #expect(try violations(schema, ["schemaVersion": true]) == ["/schemaVersion: must be 1, found true"])
        #expect(try violations(["const": nil], nil) == [])
        #expect(try violations(["const": nil], 0) == ["/: must be null, found 0"])
        #expect(try violations(["const": [1, 2]], [1, 2.0]) == [])
        #expect(try violations(["const": [1, 2]], [2, 1]) == ["/: must be [1,2], found array"])
    }

    @Test func booleanSchemas() throws {
        #expect(try violations(true, ["anything": [1, "x"]]) == [])
        #expect(try violations(false, 1) == ["/: no value is allowed here"])
        let schema: JSONValue = ["properties": ["legacy": false]]
        #expect(try violations(schema, [:]) == [])
        #expect(try violations(schema, ["legacy": 1]) == ["/legacy: no value is allowed here"])
    }
}

@Suite("JSON Schema: objects and arrays")
struct SchemaStructureTests {
    static let patient: JSONValue = [
        "type": "object",
        "required": ["age", "sex"],
        "additionalProperties": false,
        "properties": ["sex": ["enum": ["female", "male"]], "age": ["type": "integer"]],
    ]

    @Test func requiredPropertiesMustBePresent() throws {
        #expect(try violations(Self.patient, ["age": 40, "sex": "female"]) == [])
        #expect(try violations(Self.patient, ["age": 40]) == ["/: missing required property \"sex\""])
        #expect(
            try violations(["properties": ["symptoms": ["required": ["anteriorHipOrGroinPain"]]]], ["symptoms": [:]]) == [
                "/symptoms: missing required property \"anteriorHipOrGroinPain\""
            ])
    }

    @Test func additionalPropertiesFalseNamesTheAllowedOnes() throws {
        #expect(
            try violations(["properties": ["patient": Self.patient]], ["patient": ["age": 40, "sex": "male", "colour": "blue"]]) == [
                "/patient/colour: unknown property (allowed: age, sex)"
            ])
        #expect(try violations(["additionalProperties": false], ["x": 1]) == ["/x: unknown property (no properties are allowed)"])
        #expect(try violations(["additionalProperties": false], [:]) == [])
        #expect(try violations(["additionalProperties": true], ["x": 1]) == [])
    }

    @Test func additionalPropertiesSchemaAppliesToUndeclaredMembers() throws {
        let schema: JSONValue = ["properties": ["id": ["type": "string"]], "additionalProperties": ["type": "boolean"]]
        #expect(try violations(schema, ["id": "a", "x": true, "y": false]) == [])
        #expect(try violations(schema, ["id": "a", "x": 1]) == ["/x: expected boolean, found integer 1"])
    }

    @Test func propertyCounts() throws {
        let schema: JSONValue = ["minProperties": 1, "maxProperties": 2]
        #expect(try violations(schema, ["a": 1]) == [])
        #expect(try violations(schema, ["a": 1, "b": 2]) == [])
        #expect(try violations(schema, [:]) == ["/: must have at least 1 property, found 0"])
        #expect(try violations(schema, ["a": 1, "b": 2, "c": 3]) == ["/: must have at most 2 properties, found 3"])
        #expect(try violations(schema, [1, 2, 3]) == [], "applies to objects only")
    }

    @Test func itemsApplyToEveryItem() throws {
        let schema: JSONValue = ["items": ["type": "integer", "minimum": 0, "maximum": 10]]
        #expect(try violations(schema, [0, 5, 10]) == [])
        #expect(try violations(schema, []) == [])
        #expect(
            try violations(schema, [3, 11, "x", -1]) == [
                "/1: must be ≤ 10, found 11", "/2: expected integer, found string \"x\"", "/3: must be ≥ 0, found -1",
            ])
    }

    @Test func itemCounts() throws {
        let schema: JSONValue = ["minItems": 1, "maxItems": 2]
        #expect(try violations(schema, [1]) == [])
        #expect(try violations(schema, [1, 2]) == [])
        #expect(try violations(schema, []) == ["/: must have at least 1 item, found 0"])
        #expect(try violations(schema, [1, 2, 3]) == ["/: must have at most 2 items, found 3"])
        #expect(try violations(["minItems": 2], [1]) == ["/: must have at least 2 items, found 1"])
        #expect(try violations(schema, "not an array") == [])
    }

    @Test func uniqueItemsUsesJSONEquality() throws {
        let schema: JSONValue = ["uniqueItems": true]
        #expect(try violations(schema, [1, "1", [1], ["a": 1], true]) == [])
        #expect(try violations(schema, [1, 2, 1.0]) == ["/: must have unique items, but item 2 equals item 0"])
        #expect(
            try violations(schema, [["a": 1, "b": 2], "x", ["b": 2, "a": 1], "x"]) == [
                "/: must have unique items, but item 2 equals item 0",
                "/: must have unique items, but item 3 equals item 1",
            ])
        #expect(try violations(["uniqueItems": false], [1, 1]) == [])
    }

    @Test func aValueOfTheWrongTypeIsNotLookedInto() throws {
        let schema: JSONValue = [
            "type": "object", "required": ["a"], "minProperties": 3,
            "properties": ["list": ["type": "array", "minItems": 2, "items": ["type": "string"]]],
        ]
        #expect(try violations(schema, [1, 2]) == ["/: expected object, found array"])
        #expect(try violations(schema, ["a": 1, "b": 2, "list": "x"]) == ["/list: expected array, found string \"x\""])
    }
}

@Suite("JSON Schema: numbers and strings")
struct SchemaScalarTests {
    @Test func inclusiveBounds() throws {
        let schema: JSONValue = ["properties": ["age": ["minimum": 0, "maximum": 120]]]
        #expect(try violations(schema, ["age": 0]) == [])
        #expect(try violations(schema, ["age": 120]) == [])
        #expect(try violations(schema, ["age": 120.0]) == [])
        #expect(try violations(schema, ["age": 130]) == ["/age: must be ≤ 120, found 130"])
        #expect(try violations(schema, ["age": -0.5]) == ["/age: must be ≥ 0, found -0.5"])
        #expect(try violations(schema, ["age": "130"]) == [], "bounds apply to numbers only")
    }

    @Test func exclusiveBounds() throws {
        let schema: JSONValue = ["exclusiveMinimum": 0, "exclusiveMaximum": 10.5]
        #expect(try violations(schema, 0.001) == [])
        #expect(try violations(schema, 10) == [])
        #expect(try violations(schema, 0) == ["/: must be > 0, found 0"])
        #expect(try violations(schema, 10.5) == ["/: must be < 10.5, found 10.5"])
    }

    @Test func largeIntegersCompareExactly() throws {
        // 2^53 + 1 is not representable as a Double; a lossy comparison would call it equal.
        #expect(
            try violations(["maximum": 9_007_199_254_740_992.0], 9_007_199_254_740_993) == [
                "/: must be ≤ 9007199254740992.0, found 9007199254740993"
            ])
        #expect(try violations(["maximum": 9_007_199_254_740_992.0], 9_007_199_254_740_992) == [])
        #expect(
            try violations(["minimum": -9_223_372_036_854_775_807], .integer(Int64.min)) == [
                "/: must be ≥ -9223372036854775807, found -9223372036854775808"
            ])
    }

    @Test func lengthsCountCodePoints() throws {
        let schema: JSONValue = ["minLength": 2, "maxLength": 3]
        #expect(try violations(schema, "ab") == [])
        #expect(try violations(schema, "e\u{301}") == [], "two code points, one character")
        #expect(try violations(schema, "👍🏽") == [], "two code points")
        #expect(try violations(schema, "é") == ["/: must be at least 2 characters long, found \"é\" (1 character)"])
        #expect(try violations(schema, "abcd") == ["/: must be at most 3 characters long, found \"abcd\" (4 characters)"])
        #expect(try violations(["minLength": 1], "") == ["/: must be at least 1 character long, found \"\" (0 characters)"])
        #expect(try violations(schema, 12345) == [], "lengths apply to strings only")
    }

    @Test func longAndSpecialStringsAreShownShortAndEscaped() throws {
        let long = String(repeating: "a", count: 100)
        let shown = "\"" + String(repeating: "a", count: 60) + "…\""
        #expect(
            try violations(["maxLength": 10], .string(long)) == ["/: must be at most 10 characters long, found \(shown) (100 characters)"])
        #expect(
            try violations(["type": "integer"], "say \"hi\"\n\u{1}") == ["/: expected integer, found string \"say \\\"hi\\\"\\n\\u0001\""])
    }

    @Test func patternIsSearchedNotAnchored() throws {
        #expect(try violations(["pattern": "[0-9]{3}"], "ab123cd") == [])
        #expect(try violations(["pattern": "[0-9]{3}"], "ab12cd") == ["/: must match the pattern \"[0-9]{3}\", found \"ab12cd\""])
        let anchored: JSONValue = ["pattern": "^[A-Z]{2}-\\d+$"]
        #expect(try violations(anchored, "AB-12") == [])
        #expect(try violations(anchored, "xAB-12") == ["/: must match the pattern \"^[A-Z]{2}-\\\\d+$\", found \"xAB-12\""])
        #expect(try violations(anchored, "AB-12\n").count == 1, "$ matches only at the very end, as in ECMA-262")
        #expect(try violations(anchored, "AB-١٢").count == 1, "\\d is ASCII only, as in ECMA-262")
        #expect(try violations(anchored, 12) == [], "pattern applies to strings only")
    }

    @Test func dateFormatIsAFullDateThatExists() throws {
        let schema: JSONValue = ["properties": ["date": ["type": "string", "format": "date"]]]
        for valid in ["2024-02-29", "2000-02-29", "2023-12-31", "0001-01-01", "2023-04-30"] {
            #expect(try violations(schema, ["date": .string(valid)]) == [], "\(valid)")
        }
        for invalid in [
            "2023-02-29", "1900-02-29", "2024-02-30", "2023-04-31", "2023-13-01", "2023-00-10", "2023-01-00",
            "0000-01-01", "2023-1-01", "20230101", "2023-01-01T00:00:00Z", " 2023-01-01", "2023-01-01\n", "２０２３-01-01", "",
        ] {
            #expect(
                try violations(schema, ["date": .string(invalid)]) == [
                    "/date: not a valid date (expected YYYY-MM-DD), found \(SchemaTestText.quoted(invalid))"
                ], "\(invalid)")
        }
        #expect(try violations(["format": "date"], 20230101) == [], "format applies to strings only")
    }
}

@Suite("JSON Schema: combinators and references")
struct SchemaCombinatorTests {
    @Test func allOfReportsEverySubschemasViolations() throws {
        let schema: JSONValue = ["allOf": [["minimum": 0], true, ["maximum": 5]]]
        #expect(try violations(schema, 3) == [])
        #expect(try violations(["allOf": [["minimum": 4], ["maximum": 2]]], 3) == ["/: must be ≤ 2, found 3", "/: must be ≥ 4, found 3"])
    }

    @Test func anyOfSaysWhyEachAlternativeFailed() throws {
        let schema: JSONValue = ["anyOf": [["type": "string"], ["type": "integer", "minimum": 10]]]
        #expect(try violations(schema, "x") == [])
        #expect(try violations(schema, 12) == [])
        #expect(
            try violations(schema, 5) == [
                "/: must match at least one alternative (anyOf), matched none: [0] expected string, found integer 5; [1] must be ≥ 10, found 5"
            ])
    }

    @Test func anyOfReasonsNameDeeperPathsAndCountTheRest() throws {
        let schema: JSONValue = [
            "properties": [
                "dose": [
                    "anyOf": [
                        ["required": ["mg", "route"]],
                        ["properties": ["units": ["type": "integer"]], "required": ["units"]],
                    ]
                ]
            ]
        ]
        #expect(try violations(schema, ["dose": ["units": 2]]) == [])
        #expect(
            try violations(schema, ["dose": ["units": "two"]]) == [
                "/dose: must match at least one alternative (anyOf), matched none: [0] missing required property \"mg\" (and 1 more); [1] at /dose/units: expected integer, found string \"two\""
            ])
    }

    @Test func oneOfNeedsExactlyOneMatch() throws {
        let schema: JSONValue = ["oneOf": [["type": "integer"], ["type": "number", "minimum": 10], ["type": "string"]]]
        #expect(try violations(schema, 5) == [])
        #expect(try violations(schema, "x") == [])
        #expect(try violations(schema, 12) == ["/: must match exactly one alternative (oneOf), matched 2: [0], [1]"])
        #expect(
            try violations(schema, 5.5) == [
                "/: must match exactly one alternative (oneOf), matched none: [0] expected integer, found number 5.5; [1] must be ≥ 10, found 5.5; [2] expected string, found number 5.5"
            ])
    }

    @Test func notRefusesWhatItsSchemaAccepts() throws {
        let schema: JSONValue = ["not": ["enum": ["unknown"]]]
        #expect(try violations(schema, "female") == [])
        #expect(try violations(schema, "unknown") == ["/: must not match the schema in \"not\""])
    }

    @Test func ifThenElse() throws {
        let schema: JSONValue = [
            "properties": ["totalHipArthroplasty": ["type": "boolean"], "monthsSinceSurgery": ["type": "number"]],
            "if": ["properties": ["totalHipArthroplasty": ["const": true]], "required": ["totalHipArthroplasty"]],
            "then": ["required": ["monthsSinceSurgery"]],
            "else": ["not": ["required": ["monthsSinceSurgery"]]],
        ]
        #expect(try violations(schema, ["totalHipArthroplasty": true, "monthsSinceSurgery": 3]) == [])
        #expect(try violations(schema, ["totalHipArthroplasty": false]) == [])
        #expect(try violations(schema, [:]) == [])
        #expect(try violations(schema, ["totalHipArthroplasty": true]) == ["/: missing required property \"monthsSinceSurgery\""])
        #expect(
            try violations(schema, ["totalHipArthroplasty": false, "monthsSinceSurgery": 3]) == ["/: must not match the schema in \"not\""])
        #expect(try violations(["if": ["type": "string"], "then": ["minLength": 2]], 5) == [], "if without a match and without else")
    }

    @Test func membersAreCheckedWhicheverSideIsWalked() throws {
        // Undeclared members allowed: with fewer declared properties than members the
        // object is walked by the declared ones, with more by its members; the same
        // violations (and the same verdict of an `if` trial) either way.
        let schema: JSONValue = [
            "properties": ["a": ["type": "integer"], "b": ["type": "string"], "c": ["minimum": 0]],
            "if": ["properties": ["a": ["const": 1]]],
            "then": ["properties": ["b": ["const": "one"]]],
        ]
        let many: JSONValue = ["x": 1, "y": 2, "z": 3, "w": 4, "a": 1, "b": "two", "c": -1]
        #expect(
            try violations(schema, many) == ["/b: must be \"one\", found \"two\"", "/c: must be ≥ 0, found -1"])
        #expect(try violations(schema, ["a": 1, "b": "two"]) == ["/b: must be \"one\", found \"two\""])
        #expect(try violations(schema, ["x": 1, "y": 2, "z": 3, "w": 4, "a": 2, "b": "two"]) == [], "if fails: then not applied")
        #expect(try violations(schema, ["x": 1, "y": 2, "z": 3, "w": 4, "a": "1"]) == ["/a: expected integer, found string \"1\""])
    }

    @Test func refToDefinitions() throws {
        let schema: JSONValue = [
            "$defs": ["reading": ["type": "object", "required": ["value"], "properties": ["value": ["maximum": 10]]]],
            "type": "array",
            "items": ["$ref": "#/$defs/reading"],
        ]
        #expect(try violations(schema, [["value": 1], ["value": 10]]) == [])
        #expect(
            try violations(schema, [["value": 11], [:], 3]) == [
                "/0/value: must be ≤ 10, found 11", "/1: missing required property \"value\"", "/2: expected object, found integer 3",
            ])
    }

    @Test func refWithEscapedPointerTokensAndSiblings() throws {
        let schema: JSONValue = [
            "$defs": ["a/b": ["minimum": 1], "c d": ["maximum": 5], "e~f": ["type": "integer"]],
            "allOf": [["$ref": "#/$defs/a~1b"], ["$ref": "#/$defs/c%20d"], ["$ref": "#/$defs/e~0f", "minimum": 3]],
        ]
        #expect(try violations(schema, 4) == [])
        #expect(try violations(schema, 0) == ["/: must be ≥ 1, found 0", "/: must be ≥ 3, found 0"])
        #expect(try violations(schema, 6.5) == ["/: expected integer, found number 6.5", "/: must be ≤ 5, found 6.5"])
    }

    @Test func recursiveSchemas() throws {
        let tree: JSONValue = [
            "type": "object",
            "required": ["name"],
            "additionalProperties": false,
            "properties": ["name": ["type": "string"], "children": ["type": "array", "items": ["$ref": "#"]]],
        ]
        let valid: JSONValue = ["name": "a", "children": [["name": "b", "children": [["name": "c"]]], ["name": "d"]]]
        #expect(try violations(tree, valid) == [])
        let invalid: JSONValue = ["name": "a", "children": [["name": "b", "children": [["name": 3], ["x": 1]]]]]
        #expect(
            try violations(tree, invalid) == [
                "/children/0/children/0/name: expected string, found integer 3",
                "/children/0/children/1: missing required property \"name\"",
                "/children/0/children/1/x: unknown property (allowed: children, name)",
            ])

        let mutual: JSONValue = [
            "$ref": "#/$defs/even",
            "$defs": [
                "even": ["anyOf": [["const": []], ["type": "array", "items": ["$ref": "#/$defs/odd"], "minItems": 1]]],
                "odd": ["type": "array", "items": ["$ref": "#/$defs/even"], "minItems": 1],
            ],
        ]
        #expect(try violations(mutual, [[[]]]) == [])
        #expect(try violations(mutual, [[[]], [[]]]) == [])
        #expect(
            try violations(mutual, [[[[]]]]) == [
                "/: must match at least one alternative (anyOf), matched none: [0] must be [], found array; [1] at /0/0: must match at least one alternative (anyOf), matched none: [0] must be [], found array; [1] at /0/0/0: must have at least 1 item, found 0"
            ])
    }
}

@Suite("JSON Schema: compile errors")
struct SchemaCompileTests {
    @Test func unsupportedKeywordsAreRefused() {
        #expect(
            problems(["type": "object", "patternProperties": ["^x": true]]) == [
                "/patternProperties: unsupported keyword 'patternProperties'"
            ])
        #expect(problems(["properties": ["a": ["minimun": 0]]]) == ["/properties/a/minimun: unsupported keyword 'minimun'"])
    }

    @Test func annotationsAreAccepted() throws {
        let schema: JSONValue = [
            "$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "https://example.invalid/s.json",
            "$comment": "c", "title": "t", "description": "d", "examples": [1], "default": 1, "deprecated": false,
            "readOnly": true, "writeOnly": false, "$defs": ["unused": ["type": "string"]],
        ]
        #expect(problems(schema) == [])
        #expect(try violations(schema, ["anything"]) == [])
    }

    @Test func badReferencesAreRefused() {
        #expect(
            problems(["items": ["$ref": "#/$defs/missing"]]) == [
                "/items/$ref: reference \"#/$defs/missing\" does not resolve in this document"
            ])
        #expect(
            problems(["$ref": "other.json#/a"]) == [
                "/$ref: only local references of the form \"#/…\" are supported, found \"other.json#/a\""
            ])
        #expect(problems(["$ref": "#anchor"]) == ["/$ref: only local references of the form \"#/…\" are supported, found \"#anchor\""])
        #expect(problems(["$ref": "#/a~2"]) == ["/$ref: not a valid JSON Pointer: \"#/a~2\""])
        #expect(problems(["$ref": 1]) == ["/$ref: expected a reference (a string), found integer 1"])
        #expect(
            problems(["$defs": ["a": "string"], "$ref": "#/$defs/a"]) == [
                "/$defs/a: a schema must be an object or a boolean, found string \"string\""
            ])
    }

    @Test func referenceCyclesThatNeverDescendAreRefused() {
        #expect(problems(["$ref": "#"]) == ["/: the schema applies itself to the same value without end: # → #"])
        #expect(
            problems(["$defs": ["a": ["allOf": [["$ref": "#/$defs/b"]]], "b": ["not": ["$ref": "#/$defs/a"]]]]) == [
                "/$defs/a: the schema applies itself to the same value without end: #/$defs/a → #/$defs/a/allOf/0 → #/$defs/b → #/$defs/b/not → #/$defs/a"
            ])
    }

    @Test func badPatternsAreRefused() {
        let found = problems(["properties": ["code": ["pattern": "[a-z"]]])
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("/properties/code/pattern: invalid regular expression \"[a-z\": ") == true, "\(found)")
        #expect(problems(["pattern": 5]) == ["/pattern: expected a regular expression (a string), found integer 5"])
    }

    @Test func onlyTheDateFormatIsSupported() {
        #expect(problems(["format": "email"]) == ["/format: unsupported format \"email\" (supported: \"date\")"])
        #expect(problems(["format": "date"]) == [])
    }

    @Test func keywordValuesOfTheWrongShapeAreRefused() {
        #expect(
            problems(["type": "int"]) == [
                "/type: unknown type \"int\" (expected one of: array, boolean, integer, null, number, object, string)"
            ])
        #expect(problems(["type": ["string", "string"]]) == ["/type/1: type \"string\" is listed twice"])
        #expect(problems(["type": []]) == ["/type: expected a type name or a non-empty array of type names, found array"])
        #expect(problems(["minimum": "0"]) == ["/minimum: expected a number, found string \"0\""])
        #expect(problems(["maxLength": -1]) == ["/maxLength: expected a non-negative integer, found integer -1"])
        #expect(problems(["minItems": 1.5]) == ["/minItems: expected a non-negative integer, found number 1.5"])
        #expect(problems(["minItems": 2.0]) == [])
        #expect(
            problems(["required": ["a", 1, "a"]]) == [
                "/required/1: expected a property name (a string), found integer 1", "/required/2: property \"a\" is listed twice",
            ])
        #expect(problems(["enum": []]) == ["/enum: expected a non-empty array, found array"])
        #expect(problems(["anyOf": []]) == ["/anyOf: expected a non-empty array of schemas, found array"])
        #expect(problems(["items": [["type": "string"]]]) == ["/items: a schema must be an object or a boolean, found array"])
        #expect(problems(["uniqueItems": "yes"]) == ["/uniqueItems: expected a boolean, found string \"yes\""])
        #expect(problems(["properties": ["a": 1]]) == ["/properties/a: a schema must be an object or a boolean, found integer 1"])
        #expect(problems(["then": ["required": ["a"]]]) == ["/then: \"then\" has no effect without \"if\""])
        #expect(
            problems(["$schema": "http://json-schema.org/draft-07/schema#"]) == [
                "/$schema: unsupported dialect \"http://json-schema.org/draft-07/schema#\" (only \"https://json-schema.org/draft/2020-12/schema\" is supported)"
            ])
        #expect(
            problems(["items": ["$id": "item.json"]]) == [
                "/items/$id: \"$id\" is supported on the root schema only (elsewhere it would change what \"$ref\" refers to)"
            ])
    }

    @Test func everyProblemIsListedInPathOrder() {
        let schema: JSONValue = [
            "properties": ["b": ["format": "uri"], "a": ["pattern": "("], "c": ["$ref": "#/nowhere"]],
            "foo": 1,
            "$defs": ["x": ["type": "text"]],
        ]
        let found = problems(schema)
        #expect(
            found.map { String($0.prefix(while: { $0 != ":" })) } == [
                "/$defs/x/type", "/foo", "/properties/a/pattern", "/properties/b/format", "/properties/c/$ref",
            ])
        do {
            _ = try JSONSchema(schema)
        } catch {
            #expect(error.description == error.problems.map(\.description).joined(separator: "\n"))
        }
    }
}

@Suite("JSON Schema: ordering and a case schema")
struct SchemaCaseTests {
    /// A small clinical case schema in the shape of Catalog/schema/case.schema.json.
    static let caseSchema: JSONValue = [
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["patient", "symptoms"],
        "additionalProperties": false,
        "properties": [
            "patient": [
                "type": "object",
                "required": ["age", "sex"],
                "additionalProperties": false,
                "properties": [
                    "age": ["type": "integer", "minimum": 0, "maximum": 120],
                    "sex": ["enum": ["female", "male", "other", "unknown"]],
                ],
            ],
            "population": [
                "type": "object", "required": ["group"], "additionalProperties": false,
                "properties": ["group": ["enum": ["general", "dancer", "athlete"]]],
            ],
            "symptoms": [
                "type": "object",
                "required": ["anteriorHipOrGroinPain", "clickingOrSnapping"],
                "additionalProperties": false,
                "properties": ["anteriorHipOrGroinPain": ["type": "boolean"], "clickingOrSnapping": ["type": "boolean"]],
            ],
            "surgicalHistory": [
                "type": "object",
                "required": ["totalHipArthroplasty"],
                "additionalProperties": false,
                "properties": [
                    "totalHipArthroplasty": ["type": "boolean"],
                    "monthsSinceSurgery": ["type": "number", "minimum": 0],
                ],
                "if": ["properties": ["totalHipArthroplasty": ["const": true]]],
                "then": ["required": ["monthsSinceSurgery"]],
            ],
            "measurements": [
                "type": "object",
                "additionalProperties": false,
                "properties": ["nprs": ["type": "array", "maxItems": 100, "items": ["$ref": "#/$defs/reading"]]],
            ],
        ],
        "$defs": [
            "reading": [
                "type": "object",
                "required": ["date", "value"],
                "additionalProperties": false,
                "properties": [
                    "date": ["type": "string", "format": "date"],
                    "value": ["type": "integer", "minimum": 0, "maximum": 10],
                ],
            ]
        ],
    ]

    static let validCase: JSONValue = [
        "patient": ["age": 34, "sex": "female"],
        "population": ["group": "dancer"],
        "symptoms": ["anteriorHipOrGroinPain": true, "clickingOrSnapping": false],
        "surgicalHistory": ["totalHipArthroplasty": true, "monthsSinceSurgery": 4],
        "measurements": ["nprs": [["date": "2024-02-29", "value": 7], ["date": "2024-03-30", "value": 0]]],
    ]

    static let brokenCase: JSONValue = [
        "patient": ["age": "forty", "sex": "female", "colour": "blue"],
        "population": ["group": "swimmer"],
        "symptoms": ["clickingOrSnapping": "yes"],
        "surgicalHistory": ["totalHipArthroplasty": true],
        "measurements": [
            "nprs": [
                ["date": "2024-02-30", "value": 3], ["date": "2024-03-01", "value": 1], ["date": "2024-03-02", "value": 2],
                ["date": "2024-03-03", "value": 3], ["date": "2024-03-04", "value": 4], ["date": "2024-03-05", "value": 5],
                ["date": "2024-03-06", "value": 6], ["date": "2024-03-07", "value": 7], ["date": "2024-03-08", "value": 8],
                ["date": "2024-03-09", "value": 9], ["date": "2024-03-10", "value": 11], ["value": 2.5],
            ]
        ],
        "diagnosis": "x",
    ]

    @Test func aValidCasePasses() throws {
        #expect(try violations(Self.caseSchema, Self.validCase) == [])
    }

    @Test func aBrokenCaseGetsEveryViolationInPathOrder() throws {
        #expect(
            try violations(Self.caseSchema, Self.brokenCase) == [
                "/diagnosis: unknown property (allowed: measurements, patient, population, surgicalHistory, symptoms)",
                "/measurements/nprs/0/date: not a valid date (expected YYYY-MM-DD), found \"2024-02-30\"",
                "/measurements/nprs/10/value: must be ≤ 10, found 11",
                "/measurements/nprs/11: missing required property \"date\"",
                "/measurements/nprs/11/value: expected integer, found number 2.5",
                "/patient/age: expected integer, found string \"forty\"",
                "/patient/colour: unknown property (allowed: age, sex)",
                "/population/group: must be one of \"general\", \"dancer\", \"athlete\"; found \"swimmer\"",
                "/surgicalHistory: missing required property \"monthsSinceSurgery\"",
                "/symptoms: missing required property \"anteriorHipOrGroinPain\"",
                "/symptoms/clickingOrSnapping: expected boolean, found string \"yes\"",
            ])
    }

    @Test func resultsAreDeterministic() throws {
        let schema = try JSONSchema(Self.caseSchema)
        let first = schema.validate(Self.brokenCase)
        #expect(first == first.sorted())
        for _ in 0..<5 {
            #expect(schema.validate(Self.brokenCase) == first)
            #expect(try JSONSchema(Self.caseSchema).validate(Self.brokenCase) == first)
        }
        // The same members in another order give the same list.
        var reordered = JSONObject()
        for member in (Self.brokenCase.objectValue ?? [:]).reversed() { reordered[member.key] = member.value }
        #expect(schema.validate(.object(reordered)) == first)
    }

    @Test func violationsOrderIndicesNumericallyAndDescribeTheRootAsSlash() {
        let a = SchemaViolation(path: JSONPointer(tokens: ["nprs", "2"]), message: "b")
        let b = SchemaViolation(path: JSONPointer(tokens: ["nprs", "10"]), message: "a")
        let c = SchemaViolation(path: JSONPointer(tokens: ["nprs"]), message: "z")
        let root = SchemaViolation(path: .root, message: "m")
        #expect([b, a, c, root].sorted() == [root, c, a, b])
        #expect(root.description == "/: m")
        #expect(a.description == "/nprs/2: b")
        #expect(SchemaViolation(path: JSONPointer(tokens: ["a/b"]), message: "m").description == "/a~1b: m")
    }

    @Test func aCompiledSchemaIsSharedAcrossTasks() async throws {
        let schema = try JSONSchema(Self.caseSchema)
        let expected = schema.validate(Self.brokenCase)
        try await withThrowingTaskGroup(of: [SchemaViolation].self) { group in
            for _ in 0..<8 { group.addTask { schema.validate(Self.brokenCase) } }
            for try await result in group { #expect(result == expected) }
        }
    }
}

/// Quoting as the validator's messages do, for building expected messages.
private enum SchemaTestText {
    static func quoted(_ s: String) -> String {
        var text = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }
}

@Suite("JSON Schema: issue codes")
struct SchemaIssueCodeTests {
    @Test func violationsCarryTheirKindAndTheMemberTheyConcern() throws {
        let schema = try JSONSchema([
            "type": "object", "required": ["sex"], "additionalProperties": false,
            "properties": ["sex": ["enum": ["female", "male"]], "age": ["type": "integer", "minimum": 0]],
        ])
        let found = schema.validate(["age": "forty", "weight": 70])
        #expect(found.map(\.code) == [.missingRequired, .typeMismatch, .unknownMember], "\(found)")
        #expect(found.map(\.member) == ["sex", nil, "weight"])
        #expect(schema.validate(["sex": "other", "age": -1]).map(\.code) == [.invalid, .invalid])
    }
}

@Suite("JSON Schema: the compiled schema describes its fields")
struct SchemaElementTests {
    @Test func pointersResolveThroughPropertiesAndReferences() throws {
        let schema = try JSONSchema([
            "$defs": ["reading": ["type": "object", "required": ["value"], "properties": ["value": ["type": "integer", "maximum": 10]]]],
            "type": "object",
            "properties": [
                "patient": [
                    "type": "object", "description": "Who.", "properties": ["sex": ["enum": ["female", "male"], "description": "Sex."]],
                ],
                "nprs": ["type": "array", "items": ["$ref": "#/$defs/reading"]],
                "alias": ["$ref": "#/properties/patient"],
            ],
        ])
        #expect(schema.declares(JSONPointer(tokens: ["patient", "sex"])))
        #expect(schema.declares(JSONPointer(tokens: ["alias", "sex"])))
        #expect(!schema.declares(JSONPointer(tokens: ["patient", "age"])))
        #expect(!schema.declares(JSONPointer(tokens: ["nprs", "value"])))
        let sex = try #require(schema.element(at: JSONPointer(tokens: ["patient", "sex"])))
        #expect(sex.description == "Sex." && sex.enumValues == ["female", "male"])
        #expect(schema.root.properties.map(\.name) == ["patient", "nprs", "alias"])
        let value = try #require(schema.element(at: JSONPointer(tokens: ["nprs"]))?.items?.resolved.property("value"))
        #expect(value.types == ["integer"] && value.maximum == 10)
        #expect(schema.element(at: JSONPointer(tokens: ["nprs"]))?.items?.resolved.required == ["value"])
    }

    @Test func theShippedCaseSchemaDeclaresWhatTheFHIRMappingWrites() {
        let schema = Repository.catalog.caseSchema
        #expect(schema.declares(JSONPointer(tokens: ["symptoms", "clickingOrSnapping"])))
        #expect(!schema.declares(JSONPointer(tokens: ["symptoms", "noSuchFact"])))
    }
}
