/// Durations as people type them: a whole count and a unit, `500ms`, `90s`, `30m`, `24h`, `7d`.
/// The one reading for command options and for statements (`WITH (retention = '7d')`).
public enum DurationText {
    private static let units: [(suffix: String, milliseconds: Int64)] = [
        ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]

    /// The duration `text` names, or nil when it is not a count and a unit.
    public static func parse(_ text: String) -> Duration? {
        let text = text.trimmingPrefix(" ")
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let count = Int64(text.dropLast(suffix.count)), count >= 0, count <= Int64.max / scale {
                return .milliseconds(count * scale)
            }
        }
        return nil
    }

    /// `duration` the way ``parse(_:)`` reads it, in the largest unit that divides it exactly.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        for (suffix, scale) in units.reversed() where scale > 1 && milliseconds > 0 && milliseconds % scale == 0 {
            return "\(milliseconds / scale)\(suffix)"
        }
        return "\(milliseconds)ms"
    }
}
