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

    /// The CBOR answer (what `streamq serve` writes): `Records` of `{ApproximateArrivalTimestamp
    /// (tag 1 around integer milliseconds), Data (a byte string), EncryptionType, PartitionKey,
    /// SequenceNumber}` in any order, `MillisBehindLatest` and `NextShardIterator`, arrays and maps
    /// of definite or indefinite length. Record data is copied once, from the answer into its record.
    init?(fastDecodingCBOR payload: [UInt8]) {
        guard
            let output = payload.withUnsafeBytes({ bytes -> GetRecordsOutput? in
                guard bytes.baseAddress != nil else { return nil }
                var scanner = CBORAnswerScanner(tokens: CBORTokenScanner(bytes: bytes))
                return scanner.output()
            })
        else { return nil }
        self = output
    }

    private struct CBORAnswerScanner {
        var tokens: CBORTokenScanner

        mutating func output() -> GetRecordsOutput? {
            var records: [KinesisRecord]?
            var next: String?
            var behind: Int64?
            guard var members = tokens.items(major: 5) else { return nil }
            while tokens.next(in: &members) {
                guard let key = tokens.textSpan() else { return nil }
                if CBORTokenScanner.span(key, equals: "Records") {
                    records = self.records()
                } else if CBORTokenScanner.span(key, equals: "NextShardIterator") {
                    next = tokens.asciiString()
                } else if CBORTokenScanner.span(key, equals: "MillisBehindLatest") {
                    guard let milliseconds = tokens.unsigned(), milliseconds <= UInt64(Int64.max) else { return nil }
                    behind = Int64(milliseconds)
                } else {
                    return nil
                }
            }
            guard members.isComplete, tokens.isAtEnd, let records, let next else { return nil }
            return GetRecordsOutput(records: records, nextShardIterator: next, millisBehindLatest: behind)
        }

        private mutating func records() -> [KinesisRecord]? {
            guard var elements = tokens.items(major: 4) else { return nil }
            var records: [KinesisRecord] = []
            while tokens.next(in: &elements) {
                guard let record = record() else { return nil }
                records.append(record)
            }
            return elements.isComplete ? records : nil
        }

        private mutating func record() -> KinesisRecord? {
            guard var members = tokens.items(major: 5) else { return nil }
            var sequenceNumber: String?
            var arrival: Int64?
            var data: [UInt8]?
            var partitionKey: String?
            var encryption: String?
            while tokens.next(in: &members) {
                guard let key = tokens.textSpan() else { return nil }
                if CBORTokenScanner.span(key, equals: "SequenceNumber") {
                    sequenceNumber = tokens.asciiString()
                } else if CBORTokenScanner.span(key, equals: "ApproximateArrivalTimestamp") {
                    guard tokens.consume(0xC1), let milliseconds = tokens.unsigned(),
                        milliseconds <= UInt64(Int64.max)
                    else { return nil }
                    arrival = Int64(milliseconds)
                } else if CBORTokenScanner.span(key, equals: "Data") {
                    data = tokens.byteSpan().map { Array($0) }
                } else if CBORTokenScanner.span(key, equals: "PartitionKey") {
                    partitionKey = tokens.textString()
                } else if CBORTokenScanner.span(key, equals: "EncryptionType") {
                    encryption = tokens.asciiString()
                } else {
                    return nil
                }
            }
            guard members.isComplete, let sequenceNumber, let data, let partitionKey else { return nil }
            return KinesisRecord(
                sequenceNumber: sequenceNumber,
                approximateArrivalMilliseconds: arrival,
                data: data,
                partitionKey: partitionKey,
                encryptionType: encryption
            )
        }
    }
}
