/// A segment's sparse index: one entry per ~4 KiB of batches, mapping a sequence and an arrival time
/// to the byte position of the batch that starts there.
///
/// The active segment's index lives in memory (rebuilt by the scan on open); when a segment is
/// sealed the index is written once to `<base>.idx` with a CRC, and trusted on later opens only if
/// the CRC passes and the segment's length still matches.
struct SegmentIndex: Equatable {
    struct Entry: Equatable {
        var relativeSequence: UInt32
        var position: UInt32
        /// Arrival time of the batch's first record; arrival times never decrease within a shard.
        var firstTimestamp: Int64
    }

    static let interval = 4096
    private(set) var entries: [Entry] = []
    private var lastIndexedPosition = -interval

    mutating func add(header: BatchHeader, baseSequence: UInt64, position: Int) {
        guard position - lastIndexedPosition >= Self.interval else { return }
        entries.append(
            Entry(
                relativeSequence: UInt32(header.baseSequence - baseSequence),
                position: UInt32(position),
                firstTimestamp: header.firstTimestamp
            )
        )
        lastIndexedPosition = position
    }

    /// The byte position to start scanning from to find `relativeSequence`.
    func position(forRelativeSequence relativeSequence: UInt64) -> Int {
        var low = 0
        var high = entries.count
        while low < high {  // first entry with a larger sequence
            let mid = (low + high) / 2
            if UInt64(entries[mid].relativeSequence) <= relativeSequence { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? SegmentHeader.size : Int(entries[low - 1].position)
    }

    /// The byte position to start scanning from to find the first record that arrived at or after `time`.
    func position(forTimestamp time: Int64) -> Int {
        var low = 0
        var high = entries.count
        while low < high {  // first entry whose batch starts at or after `time`
            let mid = (low + high) / 2
            if entries[mid].firstTimestamp < time { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? SegmentHeader.size : Int(entries[low - 1].position)
    }
}

/// What a sealed segment's `.idx` file records: its summary and its index.
struct SealedSegmentSummary: Equatable {
    static let magic: [UInt8] = Array("SQIDX".utf8) + [0, 0, 1]

    var baseSequence: UInt64
    var nextSequence: UInt64
    var firstTimestamp: Int64
    var maxTimestamp: Int64
    var byteLength: UInt64
    var index: SegmentIndex

    func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.appendLittleEndian(baseSequence)
        bytes.appendLittleEndian(nextSequence)
        bytes.appendLittleEndian(firstTimestamp)
        bytes.appendLittleEndian(maxTimestamp)
        bytes.appendLittleEndian(byteLength)
        bytes.appendLittleEndian(UInt32(index.entries.count))
        for entry in index.entries {
            bytes.appendLittleEndian(entry.relativeSequence)
            bytes.appendLittleEndian(entry.position)
            bytes.appendLittleEndian(entry.firstTimestamp)
        }
        bytes.appendLittleEndian(CRC32C.checksum(bytes))
        return bytes
    }

    /// Parses an `.idx` file; nil when it is damaged or of another version (the segment is then rescanned).
    static func parse(_ bytes: [UInt8]) -> SealedSegmentSummary? {
        let fixed = 8 + 5 * 8 + 4
        guard bytes.count >= fixed + 4, Array(bytes[0..<8]) == magic else { return nil }
        return bytes.withUnsafeBytes { raw -> SealedSegmentSummary? in
            let count = Int(raw.loadLittleEndian(at: fixed - 4, as: UInt32.self))
            guard bytes.count == fixed + count * 16 + 4 else { return nil }
            let crcOffset = bytes.count - 4
            guard
                raw.loadLittleEndian(at: crcOffset, as: UInt32.self)
                    == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<crcOffset]))
            else { return nil }
            var index = SegmentIndex()
            for i in 0..<count {
                let at = fixed + i * 16
                index.restore(
                    SegmentIndex.Entry(
                        relativeSequence: raw.loadLittleEndian(at: at, as: UInt32.self),
                        position: raw.loadLittleEndian(at: at + 4, as: UInt32.self),
                        firstTimestamp: raw.loadLittleEndian(at: at + 8, as: Int64.self)
                    )
                )
            }
            return SealedSegmentSummary(
                baseSequence: raw.loadLittleEndian(at: 8, as: UInt64.self),
                nextSequence: raw.loadLittleEndian(at: 16, as: UInt64.self),
                firstTimestamp: raw.loadLittleEndian(at: 24, as: Int64.self),
                maxTimestamp: raw.loadLittleEndian(at: 32, as: Int64.self),
                byteLength: raw.loadLittleEndian(at: 40, as: UInt64.self),
                index: index
            )
        }
    }
}

extension SegmentIndex {
    fileprivate mutating func restore(_ entry: Entry) {
        entries.append(entry)
        lastIndexedPosition = Int(entry.position)
    }
}
