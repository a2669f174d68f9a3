import StreamQAWS

extension GetRecordsOutput {
    /// Reads the common GetRecords answer straight from its bytes in `encoding` (see
    /// ``init(fastDecoding:)`` for JSON); nil for anything else, which the general decoder then reads.
    init?(fastDecoding payload: [UInt8], encoding: AWSBodyEncoding) {
        switch encoding {
        case .json: self.init(fastDecoding: payload)
        case .cbor: self.init(fastDecodingCBOR: payload)
        }
    }

    /// The CBOR answer of ``CBORRecordsScanner``'s shape, each record's data copied once from the
    /// answer into its record.
    init?(fastDecodingCBOR payload: [UInt8]) {
        var records: [KinesisRecord] = []
        let scanned = payload.withUnsafeBytes { bytes in
            CBORRecordsScanner.scan(bytes) { fields in
                guard let sequenceNumber = fields.sequenceNumber.asciiString else { return false }
                records.append(
                    KinesisRecord(
                        sequenceNumber: sequenceNumber,
                        approximateArrivalMilliseconds: fields.arrivalMilliseconds,
                        data: Array(fields.data),
                        partitionKey: fields.partitionKey,
                        encryptionType: fields.encryptionType
                    )
                )
                return true
            }
        }
        guard let scanned else { return nil }
        self.init(records: records, nextShardIterator: scanned.nextShardIterator, millisBehindLatest: scanned.behind)
    }

    /// Decodes a 200 answer to GetRecords: the common shape directly, anything else through the
    /// general decoder.
    static func decode(_ payload: [UInt8], _ encoding: AWSBodyEncoding) throws(KinesisClientError.Reason) -> Self {
        if let output = GetRecordsOutput(fastDecoding: payload, encoding: encoding) { return output }
        do {
            return try GetRecordsOutput(ResponseReader("GetRecords", try encoding.decode(payload)))
        } catch let error as KinesisClientError {
            throw error.reason
        } catch {
            throw .invalidResponse("body is not \(encoding == .json ? "JSON" : "CBOR") (\(error))")
        }
    }
}

/// Reads a GetRecords answer in CBOR as `streamq serve` writes it, lending each record's members
/// as spans of the answer: `Records` of `{ApproximateArrivalTimestamp (tag 1 around integer
/// milliseconds), Data (a byte string), EncryptionType, PartitionKey, SequenceNumber}` in any
/// order, `MillisBehindLatest` and `NextShardIterator`, arrays and maps of definite or indefinite
/// length. Anything else (`ChildShards`, other members or types) is nil, for the general decoder.
enum CBORRecordsScanner {
    /// One record's members; the spans are valid during the call that lends them.
    struct Fields {
        var sequenceNumber: UnsafeRawBufferPointer
        var arrivalMilliseconds: Int64?
        var data: UnsafeRawBufferPointer
        /// Well-formed UTF-8.
        var partitionKeyBytes: UnsafeRawBufferPointer
        var encryptionType: String?

        var partitionKey: String { String(decoding: partitionKeyBytes, as: UTF8.self) }
    }

    /// Calls `record` for each record in order (it returns false to give up) and returns the
    /// answer's other members; nil when the answer is not of the shape above.
    static func scan(
        _ bytes: UnsafeRawBufferPointer,
        record: (Fields) -> Bool
    ) -> (nextShardIterator: String, behind: Int64?)? {
        guard bytes.baseAddress != nil else { return nil }
        var tokens = CBORTokenScanner(bytes: bytes)
        var sawRecords = false
        var next: String?
        var behind: Int64?
        guard var members = tokens.items(major: 5) else { return nil }
        while tokens.next(in: &members) {
            guard let key = tokens.textSpan() else { return nil }
            if CBORTokenScanner.span(key, equals: "Records") {
                guard !sawRecords, records(&tokens, record) else { return nil }
                sawRecords = true
            } else if CBORTokenScanner.span(key, equals: "NextShardIterator") {
                next = tokens.asciiString()
            } else if CBORTokenScanner.span(key, equals: "MillisBehindLatest") {
                guard let milliseconds = tokens.unsigned(), milliseconds <= UInt64(Int64.max) else { return nil }
                behind = Int64(milliseconds)
            } else {
                return nil
            }
        }
        guard members.isComplete, tokens.isAtEnd, sawRecords, let next else { return nil }
        return (next, behind)
    }

    private static func records(_ tokens: inout CBORTokenScanner, _ body: (Fields) -> Bool) -> Bool {
        guard var elements = tokens.items(major: 4) else { return false }
        while tokens.next(in: &elements) {
            guard let fields = record(&tokens), body(fields) else { return false }
        }
        return elements.isComplete
    }

    private static func record(_ tokens: inout CBORTokenScanner) -> Fields? {
        guard var members = tokens.items(major: 5) else { return nil }
        var sequenceNumber: UnsafeRawBufferPointer?
        var arrival: Int64?
        var data: UnsafeRawBufferPointer?
        var partitionKey: UnsafeRawBufferPointer?
        var encryption: String?
        while tokens.next(in: &members) {
            guard let key = tokens.textSpan() else { return nil }
            if CBORTokenScanner.span(key, equals: "SequenceNumber") {
                sequenceNumber = tokens.textSpan()
            } else if CBORTokenScanner.span(key, equals: "ApproximateArrivalTimestamp") {
                guard tokens.consume(0xC1), let milliseconds = tokens.unsigned(), milliseconds <= UInt64(Int64.max)
                else { return nil }
                arrival = Int64(milliseconds)
            } else if CBORTokenScanner.span(key, equals: "Data") {
                data = tokens.byteSpan()
            } else if CBORTokenScanner.span(key, equals: "PartitionKey") {
                partitionKey = tokens.utf8TextSpan()
            } else if CBORTokenScanner.span(key, equals: "EncryptionType") {
                encryption = tokens.asciiString()
            } else {
                return nil
            }
        }
        guard members.isComplete, let sequenceNumber, let data, let partitionKey else { return nil }
        return Fields(
            sequenceNumber: sequenceNumber,
            arrivalMilliseconds: arrival,
            data: data,
            partitionKeyBytes: partitionKey,
            encryptionType: encryption
        )
    }
}

extension UnsafeRawBufferPointer {
    /// The bytes as a string when they are ASCII characters from space to `~`.
    fileprivate var asciiString: String? {
        guard allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        return String(decoding: self, as: UTF8.self)
    }
}
