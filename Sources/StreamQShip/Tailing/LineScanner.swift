/// Reads complete lines from a log file: a line counts only once its newline is there, so a line
/// still being written is never shipped in pieces. Lines longer than `maxLineBytes` keep their
/// first `maxLineBytes` (the rest is skipped without being held in memory).
struct LineScanner {
    var maxLineBytes: Int
    static let chunkBytes = 65_536

    /// The complete lines from `offset` whose newline lies before `limit`, at most `maxLines` of
    /// them and stopping once `maxBytes` of text were taken. With `includeUnterminated`, text after
    /// the last newline up to `limit` counts as a line too (a rotated file that will not grow).
    func lines(
        in file: LogFile,
        from offset: Int,
        limit: Int,
        maxLines: Int,
        maxBytes: Int,
        includeUnterminated: Bool = false
    ) throws(ShipError) -> [LogLine] {
        var lines: [LogLine] = []
        var taken = 0
        var lineStart = offset
        var text: [UInt8] = []
        var length = 0
        var position = offset
        while position < limit {
            let chunk = try file.read(count: min(Self.chunkBytes, limit - position), at: position)
            guard !chunk.isEmpty else { break }
            var index = 0
            while index < chunk.count {
                guard let newline = chunk[index...].firstIndex(of: 0x0A) else {
                    take(chunk[index...], into: &text, length: &length)
                    break
                }
                take(chunk[index..<newline], into: &text, length: &length)
                lines.append(line(start: lineStart, end: position + newline + 1, text: text, length: length))
                taken += text.count
                lineStart = position + newline + 1
                text.removeAll(keepingCapacity: true)
                length = 0
                index = newline + 1
                if lines.count >= maxLines || taken >= maxBytes { return lines }
            }
            position += chunk.count
        }
        if includeUnterminated, length > 0, position >= limit {
            lines.append(line(start: lineStart, end: position, text: text, length: length))
        }
        return lines
    }

    private func take(_ piece: ArraySlice<UInt8>, into text: inout [UInt8], length: inout Int) {
        length += piece.count
        let room = maxLineBytes - text.count
        if room > 0 { text.append(contentsOf: piece.prefix(room)) }
    }

    private func line(start: Int, end: Int, text: [UInt8], length: Int) -> LogLine {
        var text = text
        let truncated = length > text.count
        if !truncated, text.last == 0x0D { text.removeLast() }
        return LogLine(offset: start, end: end, text: text, originalBytes: length, isTruncated: truncated)
    }
}
