/// The window function of a query's GROUP BY: which windows a row's event time falls in.
struct WindowSpec: Sendable {
    enum Kind: Sendable, Equatable {
        /// `TUMBLE(t, size)`: back-to-back windows `[k·size, (k+1)·size)`.
        case tumble
        /// `HOP(t, slide, size)`: windows of `size` starting every `slide`; a row is in size/slide of them.
        case hop
        /// `SESSION(t, gap)`: per group key, rows closer than `gap` share a window, which ends `gap`
        /// after its last row.
        case session
    }

    var kind: Kind
    /// The event-time expression (or `_arrival`).
    var time: CompiledExpression
    /// Window length (TUMBLE, HOP) or the gap (SESSION), in milliseconds.
    var size: Int64
    var slide: Int64
    /// The time expression is `_arrival`: processing time, whose rows are never late.
    var isProcessingTime: Bool

    var description: String {
        switch kind {
        case .tumble: "TUMBLE(\(IntervalText.format(size)))"
        case .hop: "HOP(slide \(IntervalText.format(slide)), size \(IntervalText.format(size)))"
        case .session: "SESSION(gap \(IntervalText.format(size)))"
        }
    }
}

/// Intervals as people write them: `1 minute`, `10 seconds`, `250 ms`.
enum IntervalText {
    static func format(_ milliseconds: Int64) -> String {
        let units: [(Int64, String)] = [(86_400_000, "day"), (3_600_000, "hour"), (60_000, "minute"), (1000, "second")]
        for (unit, name) in units where milliseconds % unit == 0 && milliseconds >= unit {
            let count = milliseconds / unit
            return "\(count) \(name)\(count == 1 ? "" : "s")"
        }
        return "\(milliseconds) ms"
    }
}
