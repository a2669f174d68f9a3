/// One shard's part of a routed append: the records it owns, in the order given (as they are, or
/// encoded into batches as they are routed), and where each came from in the caller's array.
struct ShardRun: Sendable {
    let shard: ShardID
    /// The positions in the caller's array of the records in this run, in order.
    private(set) var indices: [Int]
    private let given: [AppendRecord]?
    private var batches: [EncodedRecords] = []
    private let maxBatchBytes: Int
    /// Encoded bytes reserved for, but not yet taken by, the records still to come.
    private var reservedBytes: Int

    /// A run of records as they are.
    init(shard: ShardID, indices: [Int], records: [AppendRecord]) {
        self.shard = shard
        self.indices = indices
        given = records
        maxBatchBytes = 0
        reservedBytes = 0
    }

    /// An empty run that ``append(_:at:)`` encodes into batches of at most about `maxBatchBytes`,
    /// with room for `count` records taking `bytes` encoded bytes.
    init(shard: ShardID, reserving count: Int, bytes: Int, maxBatchBytes: Int) {
        self.shard = shard
        indices = []
        indices.reserveCapacity(count)
        given = nil
        batches.reserveCapacity(bytes / maxBatchBytes + 1)
        self.maxBatchBytes = maxBatchBytes
        reservedBytes = bytes
    }

    var records: ShardAppend.Records { given.map { .records($0) } ?? .encoded(batches) }

    /// Encodes `record`, the caller's record at `index`, after the others; a batch that has reached
    /// `maxBatchBytes` is closed first (so a batch passes it by at most one record).
    mutating func append(_ record: AppendRecord, at index: Int) {
        precondition(given == nil, "a run of records as they are takes no more")
        if batches.isEmpty || batches[batches.count - 1].byteCount >= maxBatchBytes {
            batches.append(EncodedRecords(reservingCapacity: min(max(reservedBytes, 0), maxBatchBytes)))
            reservedBytes -= maxBatchBytes
        }
        batches[batches.count - 1].append(record)
        indices.append(index)
    }
}
