import StreamQAWS
import StreamQStorage

extension KinesisBackend {
    /// One GetRecords from `iterator`, its records as `shard`'s stored records (positions mapped,
    /// KPL aggregates unpacked). A CBOR answer of the common shape without aggregates comes back
    /// as ``LentRecords`` (no record or array per record); one with aggregates is read straight
    /// into stored records, without a ``KinesisRecord`` and its sequence-number string per record;
    /// any other answer through ``GetRecordsOutput``. The output returned carries the answer's
    /// other members.
    func getStoredRecords(
        iterator: String,
        limit: Int,
        shard: ShardID
    ) async throws -> (output: GetRecordsOutput, records: [StoredRecord], lent: LentRecords?) {
        enum Answer {
            case lent(LentRecords, GetRecordsOutput)
            case stored([StoredRecord], GetRecordsOutput)
            case general(GetRecordsOutput)
        }
        let answer = try await client.getRecords(iterator: iterator, limit: limit, streamARN: nil) {
            payload,
            encoding throws(KinesisClientError.Reason) -> Answer in
            if encoding == .cbor, let read = LentRecords.scan(cborAnswer: payload) {
                let output = GetRecordsOutput(
                    records: [],
                    nextShardIterator: read.nextShardIterator,
                    millisBehindLatest: read.behind
                )
                return .lent(read.records, output)
            }
            if encoding == .cbor, let read = Self.storedRecords(cborAnswer: payload, shard: shard) {
                return .stored(read.records, read.output)
            }
            return .general(try GetRecordsOutput.decode(payload, encoding))
        }
        switch answer {
        case .lent(let records, let output): return (output, [], records)
        case .stored(let records, let output): return (output, records, nil)
        case .general(let output): return (output, try Self.storedRecords(output.records, shard: shard), nil)
        }
    }

    /// The records of a CBOR GetRecords answer as stored records of `shard`, and the answer without
    /// them; nil when it is not of ``CBORRecordsScanner``'s shape or a sequence number maps to no
    /// position (the general path then says why).
    static func storedRecords(
        cborAnswer payload: [UInt8],
        shard: ShardID
    ) -> (records: [StoredRecord], output: GetRecordsOutput)? {
        var stored: [StoredRecord] = []
        let scanned = payload.withUnsafeBytes { bytes in
            CBORRecordsScanner.scan(bytes) { fields in
                guard let position = ShardSequenceMapping.position(ofDigits: fields.sequenceNumber) else {
                    return false
                }
                appendStored(
                    SequenceNumber(sequence: position, shard: shard),
                    arrivalMilliseconds: fields.arrivalMilliseconds ?? 0,
                    partitionKey: fields.partitionKey,
                    data: Array(fields.data),
                    isEncrypted: fields.encryptionType == "KMS",
                    to: &stored
                )
                return true
            }
        }
        guard let scanned else { return nil }
        let output = GetRecordsOutput(
            records: [],
            nextShardIterator: scanned.nextShardIterator,
            millisBehindLatest: scanned.behind
        )
        return (stored, output)
    }
}
