/// What the engine knows about one segment file in memory.
struct Segment: Sendable {
    let baseSequence: UInt64
    let path: String
    let createdAt: Int64
    /// One past the last sequence the segment holds.
    var nextSequence: UInt64
    /// Bytes of the file that hold complete batches (header included).
    var byteLength: Int
    var firstTimestamp: Int64?
    var maxTimestamp: Int64
    var index: SegmentIndex
    var sealed: Bool

    var isEmpty: Bool { nextSequence == baseSequence }
    var indexPath: String { Self.indexPath(forSegment: path) }

    static func fileName(baseSequence: UInt64) -> String {
        let digits = String(baseSequence)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".seg"
    }

    static func indexPath(forSegment path: String) -> String { String(path.dropLast(4)) + ".idx" }

    /// Parses `00000000000000001234.seg` into its base sequence.
    static func baseSequence(fromFileName name: String) -> UInt64? {
        guard name.hasSuffix(".seg"), name.utf8.count == 24 else { return nil }
        return UInt64(name.dropLast(4))
    }

    var summary: SealedSegmentSummary {
        SealedSegmentSummary(
            baseSequence: baseSequence,
            nextSequence: nextSequence,
            firstTimestamp: firstTimestamp ?? maxTimestamp,
            maxTimestamp: maxTimestamp,
            byteLength: UInt64(byteLength),
            index: index
        )
    }

    mutating func recordBatch(_ header: BatchHeader, at position: Int) {
        index.add(header: header, baseSequence: baseSequence, position: position)
        if firstTimestamp == nil { firstTimestamp = header.firstTimestamp }
        maxTimestamp = max(maxTimestamp, header.maxTimestamp)
        nextSequence = header.nextSequence
        byteLength = position + Int(header.batchLength)
    }
}
