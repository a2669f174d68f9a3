/// What a shipper did: counts since it started.
public struct ShipSummary: Sendable, Equatable {
    /// Complete lines read from files and cut into appends (read again after a resend: once).
    public var linesRead = 0
    /// The bytes of those lines, newlines included.
    public var bytesRead = 0
    /// Records handed to the stream, resends included.
    public var recordsSent = 0
    /// Records sent again after a failed append.
    public var recordsRetried = 0
    /// Lines whose records the stream acknowledged; with multiline, each group counts once.
    public var linesShipped = 0
    /// Lines shipped with `_parse_error` because the parser rejected them.
    public var parseErrors = 0
    /// Lines shipped with `_truncated` because they were longer than the limit.
    public var truncatedLines = 0
    /// Files found shorter than what was read, or rewritten: read again from their start.
    public var truncations = 0
    /// Files seen under a new name or found again under another inode.
    public var rotations = 0
    /// Distinct files read from, or found at the start as the last run left them.
    public var files = 0
    /// Of ``files``, those found at the start as the last run left them, all shipped: not opened.
    public var filesUnchanged = 0

    public init() {}
}
