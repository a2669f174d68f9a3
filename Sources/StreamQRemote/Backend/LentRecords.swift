import StreamQAWS
import StreamQStorage

/// The records of one GetRecords answer in CBOR, kept as the answer's bytes and each record's
/// place in them: a scan lends them to its caller (``RecordView``) without an array and a record
/// per record; a read makes ``StoredRecord`` values of them. Only for answers without KPL
/// aggregates, so every record has a sequence of its own.
struct LentRecords: Sendable {
    struct Record: Sendable {
        var sequence: UInt64
        var arrivalMilliseconds: Int64
        var partitionKey: Range<Int>
        var data: Range<Int>
        var isEncrypted: Bool

        /// What a read's `maxBytes` counts.
        var size: Int { data.count + partitionKey.count }
    }

    private let payload: [UInt8]
    private var records: ArraySlice<Record>

    var isEmpty: Bool { records.isEmpty }
    var count: Int { records.count }
    var firstSequence: UInt64? { records.first?.sequence }
    var lastSequence: UInt64? { records.last?.sequence }

    /// The records of a CBOR answer of ``CBORRecordsScanner``'s shape, and its other members; nil
    /// when it is not of that shape, a sequence number maps to no position, or a record may be a
    /// KPL aggregate (the stored-records path unpacks those).
    static func scan(
        cborAnswer payload: [UInt8]
    ) -> (records: LentRecords, nextShardIterator: String, behind: Int64?)? {
        var records: [Record] = []
        let scanned = payload.withUnsafeBytes { bytes -> (nextShardIterator: String, behind: Int64?)? in
            guard let base = bytes.baseAddress else { return nil }
            func range(_ span: UnsafeRawBufferPointer) -> Range<Int> {
                let start = span.baseAddress.map { $0 - base } ?? 0
                return start..<(start + span.count)
            }
            return CBORRecordsScanner.scan(bytes) { fields in
                guard !fields.data.starts(with: KPLAggregate.magic),
                    let position = ShardSequenceMapping.position(ofDigits: fields.sequenceNumber)
                else { return false }
                records.append(
                    Record(
                        sequence: position,
                        arrivalMilliseconds: fields.arrivalMilliseconds ?? 0,
                        partitionKey: range(fields.partitionKeyBytes),
                        data: range(fields.data),
                        isEncrypted: fields.encryptionType == "KMS"
                    )
                )
                return true
            }
        }
        guard let scanned else { return nil }
        return (LentRecords(payload: payload, records: records[...]), scanned.nextShardIterator, scanned.behind)
    }

    /// The records of stored batches (``StoredBatchesExtension``), checked and decompressed into
    /// one buffer, and whether a record may be a KPL aggregate (then read them with
    /// ``storedUnpackingAggregates(shard:)``).
    static func decode(_ run: StoredBatchRun) throws -> (records: LentRecords, mayHoldAggregates: Bool) {
        var records: [Record] = []
        records.reserveCapacity(min(run.recordCount, 1 << 16))  // the count is the server's word until decoded
        let payload = try run.decode { place in
            records.append(
                Record(
                    sequence: KinesisSequenceNumber.position(ofSequence: place.sequence),
                    arrivalMilliseconds: place.arrivalMilliseconds,
                    partitionKey: place.partitionKey,
                    data: place.data,
                    isEncrypted: false
                )
            )
        }
        let magic = KPLAggregate.magic
        let aggregated = payload.withUnsafeBytes { bytes in
            records.contains { record in
                record.data.count > magic.count && bytes[record.data].starts(with: magic)
            }
        }
        return (LentRecords(payload: payload, records: records[...]), aggregated)
    }

    /// The records as stored records of `shard`, each KPL aggregate unpacked into its user records.
    func storedUnpackingAggregates(shard: ShardID) -> [StoredRecord] {
        var stored: [StoredRecord] = []
        for record in records {
            KinesisBackend.appendStored(
                SequenceNumber(sequence: record.sequence, shard: shard),
                arrivalMilliseconds: record.arrivalMilliseconds,
                partitionKey: String(decoding: payload[record.partitionKey], as: UTF8.self),
                data: Array(payload[record.data]),
                isEncrypted: record.isEncrypted,
                to: &stored
            )
        }
        return stored
    }

    /// Splits off the first records a read within `maxRecords` and `maxBytes` returns: at least
    /// one, stopping after the one that reaches `maxBytes` (what `wholeAggregatesPrefix` takes of
    /// records with sequences of their own).
    mutating func removePrefix(maxRecords: Int, maxBytes: Int) -> LentRecords {
        var taken = 0
        var bytes = 0
        for record in records {
            taken += 1
            bytes += record.size
            if taken >= maxRecords || bytes >= maxBytes { break }
        }
        let prefix = records.prefix(taken)
        records = records.dropFirst(taken)
        return LentRecords(payload: payload, records: prefix)
    }

    /// The records as stored records of `shard`.
    func stored(shard: ShardID) -> [StoredRecord] {
        records.map { record in
            StoredRecord(
                sequenceNumber: SequenceNumber(sequence: record.sequence, shard: shard),
                arrivalMilliseconds: record.arrivalMilliseconds,
                partitionKey: String(decoding: payload[record.partitionKey], as: UTF8.self),
                explicitHashKey: nil,
                data: Array(payload[record.data]),
                isEncrypted: record.isEncrypted
            )
        }
    }

    /// Lends each record to `body`, in order; the views are valid during the call.
    func lend(_ body: (RecordView) throws -> Void) rethrows {
        try payload.withUnsafeBytes { bytes in
            for record in records {
                try body(
                    RecordView(
                        sequence: record.sequence,
                        arrivalMilliseconds: record.arrivalMilliseconds,
                        partitionKey: UnsafeRawBufferPointer(rebasing: bytes[record.partitionKey]),
                        explicitHashKey: nil,
                        data: UnsafeRawBufferPointer(rebasing: bytes[record.data]),
                        isEncrypted: record.isEncrypted
                    )
                )
            }
        }
    }
}
