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
        let answer = try await client.getRecords(
            iterator: iterator,
            limit: limit,
            streamARN: nil,
            headers: [(name: StoredBatchesExtension.acceptHeader, value: "1")]
        ) { payload, encoding throws(KinesisClientError.Reason) -> Answer in
            if encoding == .cbor, let read = try Self.storedBatchRecords(payload, shard: shard) {
                if let lent = read.lent { return .lent(lent, read.output) }
                return .stored(read.stored, read.output)
            }
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

    /// The records of a CBOR GetRecords answer of ``StoredBatchesExtension``'s form, lent (or, when
    /// some are KPL aggregates, as stored records of `shard`), and the answer without them; nil
    /// for an answer of any other form.
    static func storedBatchRecords(
        _ payload: [UInt8],
        shard: ShardID
    ) throws(KinesisClientError.Reason) -> (output: GetRecordsOutput, lent: LentRecords?, stored: [StoredRecord])? {
        let prefix = StoredBatchesExtension.keyPrefix
        guard payload.count > prefix.count, payload[1...].starts(with: prefix) else { return nil }
        do {
            guard case .map(var members) = try AWSCBOR.decode(payload),
                case .map(let batches) = members.removeValue(forKey: StoredBatchesExtension.member),
                case .integer(let first) = batches["FirstSequence"], first >= 0,
                case .integer(let end) = batches["EndSequence"], end > first,
                case .blob(let bytes) = batches["Batches"]
            else { throw KinesisClientError.Reason.invalidResponse("malformed \(StoredBatchesExtension.member)") }
            let output = try GetRecordsOutput(ResponseReader("GetRecords", .map(members)))
            let run = StoredBatchRun(bytes: bytes, firstSequence: UInt64(first), endSequence: UInt64(end))
            let (lent, mayHoldAggregates) = try LentRecords.decode(run)
            return mayHoldAggregates ? (output, nil, lent.storedUnpackingAggregates(shard: shard)) : (output, lent, [])
        } catch let error as KinesisClientError.Reason {
            throw error
        } catch let error as KinesisClientError {
            throw error.reason
        } catch {
            throw .invalidResponse("GetRecords answer: \(error)")
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
