import NIOCore
import StreamQAWS

/// A PutRecords request written record by record straight into its CBOR `Records`, for a
/// producer of many small records (`streamq put --endpoint`): each record's bytes are copied
/// once, into the body, with no array or ``PutRecordsEntry`` per record.
/// ``KinesisClient/putRecordsReliably(stream:body:)`` sends it as built and re-drives the records
/// that failed as entries.
public struct PutRecordsBody: Sendable {
    /// The `Records` elements, back to back, as ``PutRecordsEntry/cborBody(_:_:)`` writes them.
    private var elements: [UInt8] = []
    /// Per record, where its data and partition key sit in `elements`.
    private var spans: [(data: Range<Int>, key: Range<Int>)] = []
    /// The records' data plus partition key bytes: what the request limits count.
    public private(set) var size = 0

    public init() {}

    /// An empty body with room for as many records and bytes as `previous` holds (the next
    /// request of a producer that sends requests of one size).
    public init(reservingLike previous: PutRecordsBody) {
        elements.reserveCapacity(previous.elements.count)
        spans.reserveCapacity(previous.spans.count)
    }

    public var count: Int { spans.count }
    public var isEmpty: Bool { spans.isEmpty }

    /// Adds a record routed by its partition key.
    public mutating func append(data: UnsafeRawBufferPointer, partitionKey: String) {
        // A map of two, the text `Data` (head 0x64), a byte string; the text `PartitionKey` (0x6C), a text.
        elements.append(0xA2)
        elements.append(0x64)
        appendASCII("Data")
        AWSCBOR.appendHead(major: 2, UInt64(data.count), to: &elements)
        let dataStart = elements.count
        elements.append(contentsOf: data)
        let dataEnd = elements.count
        elements.append(0x6C)
        appendASCII("PartitionKey")
        var key = partitionKey
        let keyBytes = key.utf8.count
        AWSCBOR.appendHead(major: 3, UInt64(keyBytes), to: &elements)
        let keyStart = elements.count
        key.withUTF8 { elements.append(contentsOf: $0) }
        spans.append((dataStart..<dataEnd, keyStart..<elements.count))
        size += data.count + keyBytes
    }

    /// Appends the bytes of a constant (no array to retain per record).
    private mutating func appendASCII(_ text: StaticString) {
        elements.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// The request body naming `stream`, in NIO's buffer as the HTTP client sends it: the records
    /// are copied once, after the head.
    func request(_ stream: KinesisStreamReference) -> ByteBuffer {
        var head: [UInt8] = []
        let member = stream.member
        AWSCBOR.appendHead(major: 5, 2, to: &head)
        AWSCBOR.encode(.string(member.key), into: &head)
        AWSCBOR.encode(member.value, into: &head)
        head.append(contentsOf: Self.text("Records"))
        AWSCBOR.appendHead(major: 4, UInt64(count), to: &head)
        var buffer = ByteBufferAllocator().buffer(capacity: head.count + elements.count)
        buffer.writeBytes(head)
        buffer.writeBytes(elements)
        return buffer
    }

    /// Record `index` as an entry, to send again or in JSON.
    func entry(_ index: Int) -> PutRecordsEntry {
        let (data, key) = spans[index]
        return PutRecordsEntry(
            data: Array(elements[data]),
            partitionKey: String(decoding: elements[key], as: UTF8.self)
        )
    }

    /// Every record as an entry, in order.
    var entries: [PutRecordsEntry] { spans.indices.map(entry) }

    private static func text(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        AWSCBOR.appendHead(major: 3, UInt64(text.utf8.count), to: &bytes)
        bytes.append(contentsOf: text.utf8)
        return bytes
    }

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
