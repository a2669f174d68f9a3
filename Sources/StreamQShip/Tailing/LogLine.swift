/// One line read from a log file, without its newline (nor a `\r` before it).
struct LogLine: Sendable, Equatable {
    /// The byte of the file where the line starts: with the file's key, the line's identity.
    var offset: Int
    /// The byte just past the line's newline: where the next line starts.
    var end: Int
    /// The line, or its first `maxLineBytes` when it is longer.
    var text: [UInt8]
    /// The line's full length in bytes.
    var originalBytes: Int
    /// Whether `text` holds only the line's start.
    var isTruncated: Bool
}

/// A line as a slice of the bytes it was read into (a ``LineWindow`` or ``LineBatch``): no array of
/// its own.
struct LineSlice {
    /// The line, or its first `maxLineBytes` when it is longer.
    var text: ArraySlice<UInt8>
    /// The byte of the file where the line starts, and the byte just past its newline.
    var offset: Int
    var end: Int
    /// The line's full length in bytes, and whether ``text`` holds only its start.
    var originalBytes: Int
    var isTruncated: Bool
}
