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

/// A line as a range of the bytes it was read into (a ``LineWindow``'s or a ``LineBatch``'s), which
/// are handed over beside it: no array of its own, and no reference to count per line (the cores
/// cutting one window's lines would contend for it).
struct LineSlice {
    /// Where the line, or its first `maxLineBytes` when it is longer, lies in those bytes.
    var text: Range<Int>
    /// The byte of the file where the line starts, and the byte just past its newline.
    var offset: Int
    var end: Int
    /// The line's full length in bytes, and whether ``text`` holds only its start.
    var originalBytes: Int
    var isTruncated: Bool
}
