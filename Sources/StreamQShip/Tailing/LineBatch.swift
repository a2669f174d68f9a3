/// Lines read from a file with their texts back to back in one buffer, so reading a line costs no
/// array of its own. Indexing gives a ``LogLine`` (a copy of its text); the shipping loop reads
/// them as ``LineSlice``s instead (see ``forEachLine(in:_:)``).
struct LineBatch: RandomAccessCollection, Sendable {
    /// Where a line lies in its file and in ``text``.
    struct Span: Equatable {
        /// The byte of the file where the line starts.
        var offset: Int
        /// The byte just past the line's newline.
        var end: Int
        /// Where the line's text ends in ``LineBatch/text`` (it starts where the previous one ends).
        var textEnd: Int
        /// The line's full length in bytes.
        var originalBytes: Int
        /// Whether the text holds only the line's start.
        var isTruncated: Bool
    }

    /// Every line's text (without its newline, nor a `\r` before it), one after another.
    private(set) var text: [UInt8] = []
    private(set) var spans: [Span] = []

    var startIndex: Int { 0 }
    var endIndex: Int { spans.count }

    subscript(position: Int) -> LogLine {
        let span = spans[position]
        return LogLine(
            offset: span.offset,
            end: span.end,
            text: Array(text(at: position)),
            originalBytes: span.originalBytes,
            isTruncated: span.isTruncated
        )
    }

    func text(at position: Int) -> ArraySlice<UInt8> {
        text[(position == 0 ? 0 : spans[position - 1].textEnd)..<spans[position].textEnd]
    }

    /// The lines in consecutive parts of about `textBytesPerPart` bytes of text (a longer line makes
    /// a part of its own).
    func parts(textBytesPerPart: Int) -> [Range<Int>] {
        var parts: [Range<Int>] = []
        var start = 0
        for index in spans.indices where textBytes(of: start..<(index + 1)) >= textBytesPerPart {
            parts.append(start..<(index + 1))
            start = index + 1
        }
        if start < count { parts.append(start..<count) }
        return parts
    }

    /// The bytes of text of lines `range`.
    func textBytes(of range: Range<Int>) -> Int {
        range.isEmpty
            ? 0
            : spans[range.upperBound - 1].textEnd - (range.lowerBound == 0 ? 0 : spans[range.lowerBound - 1].textEnd)
    }

    /// Calls `body` with each of lines `range`, in order, and ``text``, which the lines are ranges of.
    func forEachLine(in range: Range<Int>, _ body: (LineSlice, _ text: [UInt8]) -> Void) {
        for index in range {
            let span = spans[index]
            body(
                LineSlice(
                    text: (index == 0 ? 0 : spans[index - 1].textEnd)..<span.textEnd,
                    offset: span.offset,
                    end: span.end,
                    originalBytes: span.originalBytes,
                    isTruncated: span.isTruncated
                ),
                text
            )
        }
    }

    /// Bytes of the line being added (by ``appendText(_:)``), not closed yet.
    var openTextBytes: Int { text.count - (spans.last?.textEnd ?? 0) }

    mutating func reserveCapacity(textBytes: Int) {
        text.reserveCapacity(textBytes)
    }

    /// Adds bytes to the text of the line being added.
    mutating func appendText(_ bytes: UnsafeBufferPointer<UInt8>) {
        text.append(contentsOf: bytes)
    }

    /// Ends the line being added: its text is what ``appendText(_:)`` added since the last line,
    /// less a trailing `\r` unless the line is truncated.
    mutating func closeLine(offset: Int, end: Int, originalBytes: Int, isTruncated: Bool) {
        if !isTruncated, openTextBytes > 0, text.last == 0x0D { text.removeLast() }
        spans.append(
            Span(offset: offset, end: end, textEnd: text.count, originalBytes: originalBytes, isTruncated: isTruncated)
        )
    }

    mutating func append(_ line: LogLine) {
        text.append(contentsOf: line.text)
        spans.append(
            Span(
                offset: line.offset,
                end: line.end,
                textEnd: text.count,
                originalBytes: line.originalBytes,
                isTruncated: line.isTruncated
            )
        )
    }
}
