import FoundationEssentials

/// A record inside a decoded batch, borrowed from the decoder's buffer: valid only inside the
/// closure it is passed to. Copy what you keep (`StoredRecord` does).
public struct RecordView {
    public let sequence: UInt64
    public let arrivalMilliseconds: Int64
    public let partitionKey: UnsafeRawBufferPointer
    public let explicitHashKey: HashKey?
    public let data: UnsafeRawBufferPointer
    /// Whether the record was stored encrypted (its batch was sealed with a data key).
    public let isEncrypted: Bool

    /// A view of bytes the caller owns for the duration of the closure it lends the view to.
    public init(
        sequence: UInt64,
        arrivalMilliseconds: Int64,
        partitionKey: UnsafeRawBufferPointer,
        explicitHashKey: HashKey?,
        data: UnsafeRawBufferPointer,
        isEncrypted: Bool
    ) {
        self.sequence = sequence
        self.arrivalMilliseconds = arrivalMilliseconds
        self.partitionKey = partitionKey
        self.explicitHashKey = explicitHashKey
        self.data = data
        self.isEncrypted = isEncrypted
    }

    func materialize(shard: ShardID) -> StoredRecord {
        StoredRecord(
            sequenceNumber: SequenceNumber(sequence: sequence, shard: shard),
            arrivalMilliseconds: arrivalMilliseconds,
            partitionKey: String(decoding: partitionKey, as: UTF8.self),
            explicitHashKey: explicitHashKey,
            data: Array(data),
            isEncrypted: isEncrypted
        )
    }
}

/// Checks and decodes batch payloads. Owned by one reader; keeps its decompression buffer.
///
/// Encrypted batches are opened with `opener`, the keys of the stream and shard being read.
final class BatchDecoder {
    private let decompressor = ZstdDecompressor()
    private var scratch: [UInt8] = []
    private let opener: BatchOpener?

    init(opener: BatchOpener? = nil) {
        self.opener = opener
    }

    /// Verifies the payload CRC, decrypts and decompresses if needed, and calls `body` for each
    /// record in order. `body` returns false to stop early.
    /// - Returns: nil on success, or what is wrong with the batch.
    /// - Throws: what `body` throws, or `.encryptionKeyUnavailable` when the batch is encrypted
    ///   and its key cannot be had.
    func forEachRecord(
        header: BatchHeader,
        payload: UnsafeRawBufferPointer,
        _ body: (RecordView) throws -> Bool
    ) throws -> String? {
        guard CRC32C.checksum(payload) == header.payloadCRC else { return "payload checksum mismatch" }
        guard header.isEncrypted else { return try decodePlaintext(header: header, payload: payload, body) }
        guard let opener else { return "batch is encrypted and the reader has no keys for it" }
        switch try opener.open(header, payload: payload) {
        case .problem(let problem): return problem
        case .plaintext(let plaintext):
            return try plaintext.withUnsafeBytes { try decodePlaintext(header: header, payload: $0, body) }
        }
    }

    /// Decompresses if needed and decodes a payload as an unencrypted batch stores it.
    private func decodePlaintext(
        header: BatchHeader,
        payload: UnsafeRawBufferPointer,
        _ body: (RecordView) throws -> Bool
    ) throws -> String? {
        switch header.codec {
        case .none:
            guard payload.count == Int(header.rawLength) else { return "raw length does not match payload" }
            return try Self.decode(header: header, raw: payload, body)
        case .zstd:
            if let problem = decompressor.decompress(payload, expectedLength: Int(header.rawLength), into: &scratch) {
                return problem
            }
            return try scratch.withUnsafeBytes { bytes in
                try Self.decode(
                    header: header,
                    raw: UnsafeRawBufferPointer(rebasing: bytes[0..<Int(header.rawLength)]),
                    body
                )
            }
        }
    }

    /// Decodes the records of an uncompressed, unencrypted payload `raw`, calling `body` for each
    /// until it returns false; returns what is wrong with the payload, if anything.
    static func decode(
        header: BatchHeader,
        raw: UnsafeRawBufferPointer,
        _ body: (RecordView) throws -> Bool
    ) rethrows -> String? {
        var reader = ByteReader(raw)
        for index in 0..<UInt64(header.recordCount) {
            guard let length = reader.readVarint(), length <= UInt64(reader.remaining) else {
                return "record \(index) length runs past the payload"
            }
            let end = reader.offset + Int(length)
            guard let attributes = reader.readByte(), attributes & ~1 == 0,
                let timestampDelta = reader.readVarint(),
                let keyLength = reader.readVarint(), keyLength <= UInt64(end - reader.offset),
                let key = reader.readBytes(Int(keyLength))
            else { return "record \(index) header is malformed" }
            var hashKey: HashKey?
            if attributes & 1 != 0 {
                guard end - reader.offset >= 16, let hashBytes = reader.readBytes(16) else {
                    return "record \(index) hash key is truncated"
                }
                hashKey = UInt128(bigEndian: hashBytes.loadUnaligned(as: UInt128.self))
            }
            guard let valueLength = reader.readVarint(), valueLength == UInt64(end - reader.offset),
                let value = reader.readBytes(Int(valueLength))
            else { return "record \(index) value is malformed" }
            let view = RecordView(
                sequence: header.baseSequence + index,
                arrivalMilliseconds: header.firstTimestamp &+ Int64(truncatingIfNeeded: timestampDelta),
                partitionKey: key,
                explicitHashKey: hashKey,
                data: value,
                isEncrypted: header.isEncrypted
            )
            if try !body(view) { return nil }
        }
        return reader.remaining == 0 ? nil : "\(reader.remaining) bytes left after the last record"
    }
}
