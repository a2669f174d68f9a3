/// Records for one shard, optionally stamped by an idempotent producer.
struct ShardAppend: Sendable {
    enum Records: Sendable {
        case records([AppendRecord])
        /// Records already encoded, one batch per element, in order.
        case encoded([EncodedRecords])
    }

    var records: Records
    var producer: ProducerStamp?
    /// Set once the append has been compressed ahead of the writer; the writer then only frames it.
    private(set) var compressed: [CompressedPayload]?
    let recordCount: Int
    /// About how many bytes the records take before compression.
    let byteCount: Int

    init(_ records: Records, producer: ProducerStamp?) {
        self.records = records
        self.producer = producer
        switch records {
        case .records(let records):
            recordCount = records.count
            byteCount = records.reduce(0) { $0 + $1.data.count + $1.partitionKey.utf8.count }
        case .encoded(let batches):
            recordCount = batches.reduce(0) { $0 + $1.count }
            byteCount = batches.reduce(0) { $0 + $1.byteCount }
        }
    }

    /// An append of one payload compressed elsewhere (see ``CompressedBatch``).
    init(compressed payload: CompressedPayload, producer: ProducerStamp?) {
        records = .records([])
        self.producer = producer
        compressed = [payload]
        recordCount = payload.recordCount
        byteCount = payload.rawLength
    }

    /// Takes the payloads compressed ahead of the writer, and lets go of the uncompressed records.
    mutating func setCompressed(_ payloads: [CompressedPayload]) {
        compressed = payloads
        records = .records([])
    }

    /// Compresses the records into batch payloads (see ``CompressedPayload``).
    func compress(maxBatchBytes: Int, compression: Compression) throws -> [CompressedPayload] {
        switch records {
        case .records(let records):
            try CompressedPayload.compressing(records, maxBatchBytes: maxBatchBytes, compression: compression)
        case .encoded(let batches):
            try batches.map { try CompressedPayload.compressing($0, compression: compression) }
        }
    }
}
