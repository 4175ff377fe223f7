import CJSONC

extension JSONValue {
    /// The value as one line of JSON without insignificant whitespace, through json-c
    /// (`JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE`). Newlines inside
    /// strings are escaped, so the text never contains a line break; `/` is not escaped;
    /// non-ASCII text is written as UTF-8.
    public func serialized() -> String {
        JSONCTree.serialize(self, flags: Int32(JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE))
    }

    /// The value indented by two spaces, for files people read and diff.
    public func serializedPretty() -> String {
        JSONCTree.serialize(self, flags: Int32(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE))
    }
}
