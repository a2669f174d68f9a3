/// Reads batches from a segment file in order, through a buffer, checking both CRCs of each.
///
/// Used by reads (which decode the records) and by recovery (which only checks framing).
struct SegmentScanner {
    let file: FileHandle
    /// Bytes of the file that may be read.
    let limit: Int
    let maxBatchLength: Int
    private(set) var position: Int
    private var buffer: [UInt8]
    private var bufferStart = 0
    private var bufferCount = 0

    init(file: FileHandle, from position: Int, limit: Int, maxBatchLength: Int, bufferSize: Int = 1 << 20) {
        self.file = file
        self.position = position
        self.limit = limit
        self.maxBatchLength = maxBatchLength
        self.buffer = Self.uninitializedBuffer(bufferSize)
    }

    /// A buffer of `count` bytes left as they are: every byte is written by a read before it is
    /// looked at, and a read of a few batches should not pay for clearing a megabyte.
    private static func uninitializedBuffer(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// Why the scanner stopped before `limit`.
    enum Stop: Error, Equatable {
        /// The bytes at `position` are not a complete valid batch. `reason` says what failed;
        /// `extendsPastEnd` is true when a plausible header promises more bytes than remain.
        case invalid(position: Int, reason: String, extendsPastEnd: Bool)
    }

    /// Reads the next batch and passes its header and stored payload to `body` (the payload is valid
    /// only inside it); returns nil at `limit`.
    mutating func next<R>(_ body: (BatchHeader, UnsafeRawBufferPointer) throws -> R) throws -> R? {
        guard position < limit else { return nil }
        guard limit - position >= BatchHeader.size else {
            throw Stop.invalid(position: position, reason: "incomplete batch header", extendsPastEnd: true)
        }
        try fill(BatchHeader.size)
        let offset = position - bufferStart
        let parsed = buffer.withUnsafeBytes {
            BatchHeader.parse(
                UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + BatchHeader.size)]),
                maxBatchLength: maxBatchLength
            )
        }
        let header: BatchHeader
        switch parsed {
        case .success(let value): header = value
        case .failure(let problem):
            throw Stop.invalid(position: position, reason: "bad batch header (\(problem))", extendsPastEnd: false)
        }
        let length = Int(header.batchLength)
        guard length <= limit - position else {
            throw Stop.invalid(
                position: position,
                reason: "batch of \(length) bytes runs past the end of the data",
                extendsPastEnd: true
            )
        }
        try fill(length)
        let start = position - bufferStart + BatchHeader.size
        position += length
        return try buffer.withUnsafeBytes {
            try body(header, UnsafeRawBufferPointer(rebasing: $0[start..<(start + length - BatchHeader.size)]))
        }
    }

    /// Ensures bytes [position, position + count) are in the buffer.
    private mutating func fill(_ count: Int) throws {
        if position >= bufferStart && position + count <= bufferStart + bufferCount { return }
        if buffer.count < count { buffer = Self.uninitializedBuffer(count) }
        let want = min(buffer.count, limit - position)
        let at = position
        let got = try buffer.withUnsafeMutableBytes { try file.read(into: $0, count: want, at: at) }
        bufferStart = position
        bufferCount = got
        if got < count {
            throw Stop.invalid(position: position, reason: "file ends inside a batch", extendsPastEnd: true)
        }
    }
}
