/// Helpers for writing rationale rules that read the same in every module.
public enum RationaleFormat {
    /// `4` for 4.0, `4.5` for 4.5: case quantities as a clinician would write them.
    public static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// `+3`, `-2`, `0`: a signed change between two readings.
    public static func change(_ delta: Int) -> String {
        delta > 0 ? "+\(delta)" : String(delta)
    }
}
