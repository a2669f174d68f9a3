import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The records of consecutive lines of a ``LineBatch``, encoded by ``RecordEncoder`` back to back
/// in one buffer, with no array per record.
struct EncodedLines: Sendable {
    private(set) var data: [UInt8] = []
    /// Where each record ends in `data` (it starts where the previous one ends).
    private(set) var ends: [Int] = []
    private(set) var outcomes: [RecordEncoder.Outcome] = []

    var count: Int { ends.count }

    /// Calls `body` with the bytes of record `index`.
    func withRecord<Result>(_ index: Int, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        let start = index == 0 ? 0 : ends[index - 1]
        return data.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start..<ends[index]])) }
    }

    /// The records of lines `range` of `lines`, each with `origin` (see ``RecordEncoder/origin(file:)``).
    init(_ lines: LineBatch, _ range: Range<Int>, encoder: RecordEncoder, origin: [UInt8]) {
        let textBytes =
            range.isEmpty
            ? 0 : lines.span(at: range.upperBound - 1).textEnd - lines.text(at: range.lowerBound).startIndex
        data.reserveCapacity(textBytes + textBytes / 2 + range.count * (origin.count + 32))
        ends.reserveCapacity(range.count)
        outcomes.reserveCapacity(range.count)
        for index in range {
            let span = lines.span(at: index)
            outcomes.append(
                encoder.append(
                    lines.text(at: index),
                    offset: span.offset,
                    originalBytes: span.originalBytes,
                    isTruncated: span.isTruncated,
                    origin: origin,
                    to: &data
                )
            )
            ends.append(data.count)
        }
    }

    /// Lines one core encodes at a time, at least: enough that handing them over costs little.
    static let linesPerPart = 512

    /// The records of every line of `lines`, in order, in parts encoded on all cores at once (the
    /// parser and the JSON escaping are most of a line's cost).
    static func encode(_ lines: LineBatch, encoder: RecordEncoder, origin: [UInt8]) -> [EncodedLines] {
        let parts = max(1, min(lines.count / linesPerPart, 4 * cores))
        guard parts > 1 else { return [EncodedLines(lines, lines.indices, encoder: encoder, origin: origin)] }
        let results = Mutex([EncodedLines](repeating: EncodedLines(), count: parts))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let range = (lines.count * part / parts)..<(lines.count * (part + 1) / parts)
            let encoded = EncodedLines(lines, range, encoder: encoder, origin: origin)
            results.withLock { $0[part] = encoded }
        }
        return results.withLock { $0 }
    }

    private init() {}

    private static let cores = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
}
