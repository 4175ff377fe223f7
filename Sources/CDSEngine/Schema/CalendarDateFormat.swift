/// The `date` format: an RFC 3339 `full-date`, `YYYY-MM-DD`, that names a real day of the
/// proleptic Gregorian calendar (so `2024-02-29` is valid and `2023-02-29` is not).
///
/// Exactly ten ASCII characters, no surrounding space. Year `0000` is refused, as Python's
/// `jsonschema` (whose verdicts the project cross-checks against) refuses it.
enum CalendarDateFormat {
    /// Whether `text` is a valid full-date.
    static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = number(bytes[0..<4]), let month = number(bytes[5..<7]), let day = number(bytes[8..<10])
        else { return false }
        guard year >= 1, (1...12).contains(month) else { return false }
        return (1...daysIn(month: month, year: year)).contains(day)
    }

    /// The number the ASCII digits spell, or `nil` if any byte is not a digit.
    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// The length of a month; February has 29 days in leap years.
    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Gregorian leap years: every fourth year, except centuries not divisible by 400.
    private static func isLeap(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }
}
