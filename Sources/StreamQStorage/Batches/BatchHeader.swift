/// The 80-byte little-endian header in front of every batch in a segment (storage notes §3.3).
///
/// `headerCRC` covers bytes 4..<80 and is checked before `batchLength` is trusted, so a torn or
/// bit-flipped length can never send a reader to an arbitrary offset; `payloadCRC` covers the stored
/// (compressed, and for an encrypted batch encrypted) payload exactly as it is on disk.
///
/// A header is canonical: every byte of 4..<76 follows from the parsed fields (the derived last
/// offset delta and the reserved word are checked), so re-encoding a parsed header reproduces the
/// exact bytes an encrypted batch authenticates (``authenticatedData``).
struct BatchHeader: Equatable {
    static let size = 80
    /// "SQB1" as it appears in the file.
    static let magic: UInt32 = 0x3142_5153
    static let version: UInt8 = 1

    enum Codec: UInt8 {
        case none = 0
        case zstd = 1
    }

    /// Bit 0 of the flags field (bytes 14..<16): the payload is sealed with AES-256-GCM
    /// (see ``BatchEnvelope``).
    static let encryptedFlag: UInt16 = 1

    var batchLength: UInt32
    var codec: Codec
    var baseSequence: UInt64
    var recordCount: UInt32
    var firstTimestamp: Int64
    var maxTimestamp: Int64
    var producerID: UInt64 = 0
    var producerEpoch: UInt32 = 0
    var producerSequence: UInt64 = 0
    /// Uncompressed length of the records (of the plaintext, for an encrypted batch).
    var rawLength: UInt32
    var payloadCRC: UInt32
    /// Whether the payload is encrypted; `codec` and `rawLength` then describe the plaintext.
    var isEncrypted = false

    var payloadLength: Int { Int(batchLength) - Self.size }

    /// The header ``BatchDecoder/decode(header:raw:_:)`` needs to read `recordCount` records in
    /// `rawLength` bytes that are in no batch yet (sequences from 0, arrival times as their deltas).
    static func unframed(recordCount: Int, rawLength: Int) -> BatchHeader {
        BatchHeader(
            batchLength: 0,
            codec: .none,
            baseSequence: 0,
            recordCount: UInt32(recordCount),
            firstTimestamp: 0,
            maxTimestamp: 0,
            rawLength: UInt32(rawLength),
            payloadCRC: 0
        )
    }
    /// One past the last sequence in the batch.
    var nextSequence: UInt64 { baseSequence + UInt64(recordCount) }

    /// Writes the header into `buffer` at `offset` (which must have 80 bytes of room), CRC included.
    func write(into buffer: inout [UInt8], at offset: Int) {
        writeFields(into: &buffer, at: offset)
        let crc = buffer.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(offset + 4)..<(offset + Self.size)]))
        }
        buffer.storeLittleEndian(crc, at: offset)
    }

    /// Header bytes 4..<76: everything but the two CRCs. An encrypted batch authenticates them, so
    /// a batch whose length, sequences, timestamps, producer stamp or lengths were edited (even
    /// with both CRCs recomputed) fails to decrypt.
    var authenticatedData: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.size)
        writeFields(into: &bytes, at: 0)
        return Array(bytes[4..<76])
    }

    private func writeFields(into buffer: inout [UInt8], at offset: Int) {
        buffer.storeLittleEndian(batchLength, at: offset + 4)
        buffer.storeLittleEndian(Self.magic, at: offset + 8)
        buffer[offset + 12] = Self.version
        buffer[offset + 13] = codec.rawValue
        buffer.storeLittleEndian(isEncrypted ? Self.encryptedFlag : 0, at: offset + 14)
        buffer.storeLittleEndian(baseSequence, at: offset + 16)
        buffer.storeLittleEndian(recordCount, at: offset + 24)
        buffer.storeLittleEndian(recordCount &- 1, at: offset + 28)
        buffer.storeLittleEndian(firstTimestamp, at: offset + 32)
        buffer.storeLittleEndian(maxTimestamp, at: offset + 40)
        buffer.storeLittleEndian(producerID, at: offset + 48)
        buffer.storeLittleEndian(producerEpoch, at: offset + 56)
        buffer.storeLittleEndian(UInt32(0), at: offset + 60)
        buffer.storeLittleEndian(producerSequence, at: offset + 64)
        buffer.storeLittleEndian(rawLength, at: offset + 72)
        buffer.storeLittleEndian(payloadCRC, at: offset + 76)
    }

    /// Why 80 bytes are not a valid batch header.
    enum Problem: Error, Equatable {
        case headerChecksum
        case badMagic
        case unsupported(String)
        case badLength(UInt32)
    }

    /// Parses and checks a header. `maxBatchLength` bounds the length before anything reads past it.
    static func parse(_ bytes: UnsafeRawBufferPointer, maxBatchLength: Int) -> Result<BatchHeader, Problem> {
        precondition(bytes.count >= size)
        let stored = bytes.loadLittleEndian(at: 0, as: UInt32.self)
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[4..<size]))
        guard stored == computed else { return .failure(.headerChecksum) }
        guard bytes.loadLittleEndian(at: 8, as: UInt32.self) == magic else { return .failure(.badMagic) }
        guard bytes[12] == version else { return .failure(.unsupported("batch version \(bytes[12])")) }
        guard let codec = Codec(rawValue: bytes[13]) else { return .failure(.unsupported("codec \(bytes[13])")) }
        let flags = bytes.loadLittleEndian(at: 14, as: UInt16.self)
        guard flags & ~Self.encryptedFlag == 0 else { return .failure(.unsupported("batch flags \(flags)")) }
        let length = bytes.loadLittleEndian(at: 4, as: UInt32.self)
        guard Int(length) > size, Int(length) <= maxBatchLength else { return .failure(.badLength(length)) }
        let header = BatchHeader(
            batchLength: length,
            codec: codec,
            baseSequence: bytes.loadLittleEndian(at: 16, as: UInt64.self),
            recordCount: bytes.loadLittleEndian(at: 24, as: UInt32.self),
            firstTimestamp: bytes.loadLittleEndian(at: 32, as: Int64.self),
            maxTimestamp: bytes.loadLittleEndian(at: 40, as: Int64.self),
            producerID: bytes.loadLittleEndian(at: 48, as: UInt64.self),
            producerEpoch: bytes.loadLittleEndian(at: 56, as: UInt32.self),
            producerSequence: bytes.loadLittleEndian(at: 64, as: UInt64.self),
            rawLength: bytes.loadLittleEndian(at: 72, as: UInt32.self),
            payloadCRC: bytes.loadLittleEndian(at: 76, as: UInt32.self),
            isEncrypted: flags & Self.encryptedFlag != 0
        )
        guard header.recordCount >= 1 else { return .failure(.unsupported("batch with no records")) }
        guard bytes.loadLittleEndian(at: 28, as: UInt32.self) == header.recordCount &- 1,
            bytes.loadLittleEndian(at: 60, as: UInt32.self) == 0
        else { return .failure(.unsupported("non-canonical batch header")) }
        guard !header.isEncrypted || header.payloadLength >= BatchEnvelope.overhead else {
            return .failure(.badLength(length))
        }
        return .success(header)
    }
}
