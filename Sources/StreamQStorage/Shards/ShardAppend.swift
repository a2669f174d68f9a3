/// Records for one shard, optionally stamped by an idempotent producer.
struct ShardAppend: Sendable {
    enum Records: Sendable {
        case records([AppendRecord])
        case encoded(EncodedRecords)
    }

    var records: Records
    var producer: ProducerStamp?
    /// Set once the append has been compressed ahead of the writer; the writer then only frames it.
    var compressed: [CompressedPayload]?

    init(_ records: Records, producer: ProducerStamp?) {
        self.records = records
        self.producer = producer
    }

    var recordCount: Int {
        switch records {
        case .records(let records): records.count
        case .encoded(let encoded): encoded.count
        }
    }

    /// About how many bytes the records take before compression.
    var byteCount: Int {
        switch records {
        case .records(let records): records.reduce(0) { $0 + $1.data.count + $1.partitionKey.utf8.count }
        case .encoded(let encoded): encoded.byteCount
        }
    }

    /// Compresses the records into batch payloads (see ``CompressedPayload``).
    func compress(maxBatchBytes: Int, compression: Compression) throws -> [CompressedPayload] {
        switch records {
        case .records(let records):
            try CompressedPayload.compressing(records, maxBatchBytes: maxBatchBytes, compression: compression)
        case .encoded(let encoded):
            [try CompressedPayload.compressing(encoded, compression: compression)]
        }
    }
}
