#if canImport(Glibc)
import Glibc
#endif

/// Bytes of a file read at once, and the complete lines among them: how the shipper reads when
/// lines are not grouped. The loop only reads; the lines are found (and encoded) in parts, on
/// every core (see ``AppendCutter``).
///
/// Lines follow ``LineScanner``'s rules: a line counts once its newline is read (or, with
/// `includeUnterminated`, when its bytes reach the limit); its text leaves out the newline and a
/// `\r` before it; a line longer than `maxLineBytes` keeps its first `maxLineBytes`. A line longer
/// than the window itself is for ``LineScanner``, which skips what it does not keep.
struct LineWindow: Sendable {
    /// The bytes read, from byte ``offset`` of the file.
    let bytes: [UInt8]
    let offset: Int
    /// Where the last line ends in ``bytes``; 0 when they hold none.
    let linesEnd: Int
    let maxLineBytes: Int

    /// Up to `maxBytes` of `file` from `offset`, not past `limit`.
    init(
        _ file: LogFile,
        from offset: Int,
        limit: Int,
        maxBytes: Int,
        includeUnterminated: Bool,
        maxLineBytes: Int
    ) throws(ShipError) {
        let wanted = max(0, min(limit - offset, maxBytes))
        var failure: ShipError?
        bytes = [UInt8](unsafeUninitializedCapacity: wanted) { buffer, initialized in
            do throws(ShipError) {
                initialized = try file.read(into: UnsafeMutableRawBufferPointer(buffer), at: offset)
            } catch {
                failure = error
                initialized = 0
            }
        }
        if let failure { throw failure }
        self.offset = offset
        self.maxLineBytes = maxLineBytes
        let lastNewline = bytes.lastIndex(of: 0x0A)  // a line's length from the end, at most
        if includeUnterminated, offset + bytes.count >= limit {
            linesEnd = bytes.count
        } else {
            linesEnd = lastNewline.map { $0 + 1 } ?? 0
        }
    }

    /// Whether the window holds no line although the file goes on past it: the next line is longer
    /// than the window.
    var endsInsideALine: Bool { linesEnd == 0 && bytes.count > 0 }

    /// The lines in about equal parts of at most `bytesPerPart` bytes (a longer line makes a part of
    /// its own), each part starting where a line starts.
    func parts(bytesPerPart: Int) -> [Range<Int>] {
        let count = linesEnd <= bytesPerPart ? 1 : (linesEnd - 1) / max(1, bytesPerPart) + 1
        var parts: [Range<Int>] = []
        var start = 0
        bytes.withUnsafeBytes { raw in
            for part in 1..<count {
                let nominal = linesEnd * part / count
                guard nominal > start else { continue }
                guard let newline = memchr(raw.baseAddress! + nominal - 1, 0x0A, linesEnd - nominal + 1) else { break }
                let end = UnsafeRawPointer(newline) - raw.baseAddress! + 1
                parts.append(start..<end)
                start = end
            }
        }
        if start < linesEnd { parts.append(start..<linesEnd) }
        return parts
    }

    /// Calls `body` with each line of `part` (one of ``parts(bytesPerPart:)``), in order, and
    /// ``bytes``, which the lines are ranges of.
    func forEachLine(in part: Range<Int>, _ body: (LineSlice, _ bytes: [UInt8]) -> Void) {
        var start = part.lowerBound
        bytes.withUnsafeBytes { raw in
            while start < part.upperBound {
                let newline =
                    memchr(raw.baseAddress! + start, 0x0A, part.upperBound - start).map {
                        UnsafeRawPointer($0) - raw.baseAddress!
                    } ?? part.upperBound
                let length = newline - start
                let isTruncated = length > maxLineBytes
                var textEnd = isTruncated ? start + maxLineBytes : newline
                if !isTruncated, length > 0, raw[newline - 1] == 0x0D { textEnd -= 1 }
                body(
                    LineSlice(
                        text: start..<textEnd,
                        offset: offset + start,
                        end: offset + min(newline + 1, part.upperBound),
                        originalBytes: length,
                        isTruncated: isTruncated
                    ),
                    bytes
                )
                start = newline + 1
            }
        }
    }
}
