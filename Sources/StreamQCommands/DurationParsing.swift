import FoundationEssentials

/// Parses `500ms`, `90s`, `30m`, `24h`, `7d` into a `Duration`.
func parseDuration(_ text: String) throws -> Duration {
    let units: [(suffix: String, milliseconds: Int64)] = [
        ("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000),
    ]
    for (suffix, scale) in units where text.hasSuffix(suffix) {
        if let value = Int64(text.dropLast(suffix.count)), value >= 0 {
            return .milliseconds(value * scale)
        }
    }
    throw CommandFailure("'\(text)' is not a duration (examples: 500ms, 90s, 30m, 24h, 7d)")
}

/// Renders a duration the way `parseDuration` reads it, in the largest exact unit.
func formatDuration(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
    for (suffix, scale) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
    where milliseconds % scale == 0 && milliseconds > 0 {
        return "\(milliseconds / scale)\(suffix)"
    }
    return "\(milliseconds)ms"
}

/// Milliseconds since the epoch as ISO 8601 in UTC with milliseconds: `2026-01-01T00:00:00.000Z`.
func formatTimestamp(_ milliseconds: Int64) -> String {
    let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
}

/// Parses an ISO 8601 / RFC 3339 timestamp (with or without fractional seconds) or epoch
/// milliseconds into milliseconds since the epoch.
func parseTimestamp(_ text: String) throws -> Int64 {
    if let milliseconds = Int64(text) { return milliseconds }
    for style in [Date.ISO8601FormatStyle(includingFractionalSeconds: true), Date.ISO8601FormatStyle()] {
        if let date = try? style.parse(text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    }
    throw CommandFailure(
        "'\(text)' is not a timestamp (expected ISO 8601 such as 2026-01-01T00:00:00Z, or epoch milliseconds)"
    )
}
