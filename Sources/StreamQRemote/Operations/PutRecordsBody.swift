import NIOCore
import StreamQAWS

/// A PutRecords request written record by record straight into its CBOR body, for a producer of
/// many small records (`streamq put --endpoint`): each record's bytes are copied once, into the
/// buffer the HTTP client sends, with no array or ``PutRecordsEntry`` per record.
///
/// The body is complete after every append: `{StreamName|StreamARN: …, Records: [` with the
/// array of indefinite length (as the AWS SDKs for Java write theirs), the records' maps, and the
/// break byte that closes the array, which the next record overwrites. So neither the record count
/// nor the head is written at the end, and the request is the buffer itself, not a copy.
/// ``KinesisClient/putRecordsReliably(_:)`` sends it as built and re-drives the records that
/// failed as entries.
public struct PutRecordsBody: Sendable {
    public let stream: KinesisStreamReference
    /// The request as described above.
    private var buffer: ByteBuffer
    /// Per record, where its data and partition key sit in `buffer`.
    private var spans: [(data: Range<Int>, key: Range<Int>)] = []
    /// The records' data plus partition key bytes: what the request limits count.
    public private(set) var size = 0

    /// CBOR's break byte, which ends an item of indefinite length.
    private static let `break`: UInt8 = 0xFF
    /// A record's map: a map of two (head 0xA2), then the text `Data` (head 0x64, `d`) before the
    /// byte string and the text `PartitionKey` (head 0x6C, `l`) before the key.
    private static let mapOfTwo: UInt8 = 0xA2
    private static let dataMember: StaticString = "dData"
    private static let keyMember: StaticString = "lPartitionKey"
    /// The bytes of a record beyond its data and key: the map's head, the two members' names, two
    /// heads of at most nine bytes, and the break after it.
    private static let recordOverhead = 1 + dataMember.utf8CodeUnitCount + keyMember.utf8CodeUnitCount + 2 * 9 + 1

    /// An empty request for `stream`.
    public init(stream: KinesisStreamReference, reservingCapacity capacity: Int = 0) {
        self.stream = stream
        var head: [UInt8] = []
        let member = stream.member
        AWSCBOR.appendHead(major: 5, 2, to: &head)
        AWSCBOR.encode(.string(member.key), into: &head)
        AWSCBOR.encode(member.value, into: &head)
        AWSCBOR.encode(.string("Records"), into: &head)
        head.append(4 << 5 | 31)  // an array of indefinite length
        head.append(Self.break)
        buffer = ByteBufferAllocator().buffer(capacity: max(capacity, head.count))
        buffer.writeBytes(head)
    }

    /// An empty request for the same stream with room for as many records and bytes as `previous`
    /// holds (the next request of a producer that sends requests of one size).
    public init(reservingLike previous: PutRecordsBody) {
        self.init(stream: previous.stream, reservingCapacity: previous.buffer.readableBytes)
        spans.reserveCapacity(previous.spans.count)
    }

    public var count: Int { spans.count }
    public var isEmpty: Bool { spans.isEmpty }

    /// Adds a record routed by its partition key.
    public mutating func append(data: UnsafeRawBufferPointer, partitionKey: String) {
        var key = partitionKey
        key.withUTF8 { key in
            buffer.moveWriterIndex(to: buffer.writerIndex - 1)  // over the break
            let start = buffer.writerIndex
            var dataAt = 0
            var keyAt = 0
            _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.recordOverhead + data.count + key.count) {
                out in
                out[0] = Self.mapOfTwo
                var at = Self.write(Self.dataMember, to: out, at: 1)
                at = Self.writeHead(major: 2, data.count, to: out, at: at)
                dataAt = at
                if !data.isEmpty {
                    out.baseAddress!.advanced(by: at).copyMemory(from: data.baseAddress!, byteCount: data.count)
                }
                at = Self.write(Self.keyMember, to: out, at: at + data.count)
                at = Self.writeHead(major: 3, key.count, to: out, at: at)
                keyAt = at
                if !key.isEmpty {
                    out.baseAddress!.advanced(by: at).copyMemory(from: key.baseAddress!, byteCount: key.count)
                }
                at += key.count
                out[at] = Self.break
                return at + 1
            }
            spans.append((start + dataAt..<start + dataAt + data.count, start + keyAt..<start + keyAt + key.count))
            size += data.count + key.count
        }
    }

    /// Writes the bytes of a constant at `offset`; returns the offset after them.
    private static func write(_ text: StaticString, to out: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        out.baseAddress!.advanced(by: offset).copyMemory(from: text.utf8Start, byteCount: text.utf8CodeUnitCount)
        return offset + text.utf8CodeUnitCount
    }

    /// Writes the shortest CBOR head of `major` and `length` at `offset` (as ``AWSCBOR`` does);
    /// returns the offset after it.
    private static func writeHead(
        major: UInt8,
        _ length: Int,
        to out: UnsafeMutableRawBufferPointer,
        at offset: Int
    )
        -> Int
    {
        let type = major << 5
        let value = UInt64(length)
        let extra: Int
        switch value {
        case 0..<24:
            out[offset] = type | UInt8(value)
            return offset + 1
        case 24...0xFF: (out[offset], extra) = (type | 24, 1)
        case 0x100...0xFFFF: (out[offset], extra) = (type | 25, 2)
        case 0x1_0000...0xFFFF_FFFF: (out[offset], extra) = (type | 26, 4)
        default: (out[offset], extra) = (type | 27, 8)
        }
        for index in 0..<extra {
            out[offset + 1 + index] = UInt8(truncatingIfNeeded: value >> (8 * (extra - 1 - index)))
        }
        return offset + 1 + extra
    }

    /// The request body, in NIO's buffer as the HTTP client sends it (the body's own buffer).
    var request: ByteBuffer { buffer }

    /// Record `index` as an entry, to send again or in JSON.
    func entry(_ index: Int) -> PutRecordsEntry {
        let (data, key) = spans[index]
        return PutRecordsEntry(
            data: buffer.getBytes(at: data.lowerBound, length: data.count)!,
            partitionKey: buffer.getString(at: key.lowerBound, length: key.count)!
        )
    }

    /// Every record as an entry, in order.
    var entries: [PutRecordsEntry] { spans.indices.map(entry) }

    /// Whether a CBOR PutRecords answer says that all `count` records were stored: no failures and
    /// a `{SequenceNumber, ShardId}` per record, read without making their strings. False for
    /// anything else, which the caller then decodes in full.
    static func allStored(cborAnswer payload: [UInt8], count: Int) -> Bool {
        payload.withUnsafeBytes { bytes in
            guard bytes.baseAddress != nil else { return false }
            var tokens = CBORTokenScanner(bytes: bytes)
            var failed: UInt64?
            var records = 0
            guard var members = tokens.items(major: 5) else { return false }
            while tokens.next(in: &members) {
                guard let key = tokens.textSpan() else { return false }
                if CBORTokenScanner.span(key, equals: "FailedRecordCount") {
                    failed = tokens.unsigned()
                } else if CBORTokenScanner.span(key, equals: "EncryptionType") {
                    guard tokens.textSpan() != nil else { return false }
                } else if CBORTokenScanner.span(key, equals: "Records") {
                    guard var elements = tokens.items(major: 4) else { return false }
                    while tokens.next(in: &elements) {
                        guard storedEntry(&tokens) else { return false }
                        records += 1
                    }
                    guard elements.isComplete else { return false }
                } else {
                    return false
                }
            }
            return members.isComplete && tokens.isAtEnd && failed == 0 && records == count
        }
    }

    /// Reads one `{SequenceNumber, ShardId}` entry; false for any other.
    private static func storedEntry(_ tokens: inout CBORTokenScanner) -> Bool {
        guard var members = tokens.items(major: 5) else { return false }
        var (sequenceNumber, shard) = (false, false)
        while tokens.next(in: &members) {
            guard let key = tokens.textSpan() else { return false }
            if CBORTokenScanner.span(key, equals: "SequenceNumber") {
                sequenceNumber = tokens.textSpan() != nil
            } else if CBORTokenScanner.span(key, equals: "ShardId") {
                shard = tokens.textSpan() != nil
            } else {
                return false
            }
        }
        return members.isComplete && sequenceNumber && shard
    }
}
