import FoundationEssentials
import StreamQStorage

/// Parses `500ms`, `90s`, `30m`, `24h`, `7d` into a `Duration`.
func parseDuration(_ text: String) throws -> Duration {
    guard let duration = DurationText.parse(text) else {
        throw CommandFailure("'\(text)' is not a duration (examples: 500ms, 90s, 30m, 24h, 7d)")
    }
    return duration
}

/// Renders a duration the way `parseDuration` reads it, in the largest exact unit.
func formatDuration(_ duration: Duration) -> String {
    DurationText.format(duration)
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
