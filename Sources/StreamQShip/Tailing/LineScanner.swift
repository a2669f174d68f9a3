#if canImport(Glibc)
import Glibc
#endif

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
    ) throws(ShipError) -> LineBatch {
        var batch = LineBatch()
        batch.reserveCapacity(textBytes: min(limit - offset, maxBytes, 4 << 20))
        var lineStart = offset
        var length = 0
        var position = offset
        // One buffer for every chunk of this read.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunkBytes, alignment: 1)
        defer { buffer.deallocate() }
        while position < limit {
            let count = try file.read(
                into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(Self.chunkBytes, limit - position)]),
                at: position
            )
            guard count > 0 else { break }
            let bytes = UnsafeBufferPointer(
                start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self),
                count: count
            )
            var index = 0
            while index < bytes.count {
                let rest = UnsafeBufferPointer(rebasing: bytes[index...])
                guard let found = memchr(rest.baseAddress!, 0x0A, rest.count) else {
                    take(rest, into: &batch, length: &length)
                    break
                }
                let newline = index + (UnsafeRawPointer(found) - UnsafeRawPointer(rest.baseAddress!))
                take(UnsafeBufferPointer(rebasing: bytes[index..<newline]), into: &batch, length: &length)
                let end = position + newline + 1
                batch.closeLine(offset: lineStart, end: end, originalBytes: length, isTruncated: length > maxLineBytes)
                lineStart = end
                length = 0
                index = newline + 1
                if batch.count >= maxLines || batch.text.count >= maxBytes { return batch }
            }
            position += count
        }
        if includeUnterminated, length > 0, position >= limit {
            batch.closeLine(offset: lineStart, end: position, originalBytes: length, isTruncated: length > maxLineBytes)
        }
        return batch
    }

    private func take(_ piece: UnsafeBufferPointer<UInt8>, into batch: inout LineBatch, length: inout Int) {
        length += piece.count
        let room = maxLineBytes - batch.openTextBytes
        if room > 0 { batch.appendText(UnsafeBufferPointer(rebasing: piece.prefix(room))) }
    }
}
