import StreamQSQL
import StreamQSinks
import StreamQStorage

/// Turns a query's rows into stamped appends to its output stream's shards: each row as a JSON
/// record (the text of `--format jsonl`), keyed by its partition columns, grouped per shard, each
/// group stamped with the producer id and the shard's next producer sequence.
struct OutputRouter {
    let store: StreamStore
    let target: StreamName
    let producerID: UInt64
    private let columns: [[UInt8]]
    private let partitionKey: [OutputExpression]
    /// Per "stream/shard", the producer sequence of the next append there.
    var nextSequence: [String: UInt64] = [:]
    /// The next key for rows without partition columns: consecutive numbers from a random start,
    /// which MD5 spreads over the shards as evenly as random keys, without a system call per row.
    private var nextKey = UInt64.random(in: 0...UInt64.max)
    /// Per stream written, its creation time (stamped on each append; looked up once).
    private var createdAt: [String: Int64] = [:]

    /// - Parameter partitionKey: the expressions over the output columns whose values make a row's
    ///   partition key; none for spreading keys.
    init(
        store: StreamStore,
        target: StreamName,
        producerID: UInt64,
        columns: [String],
        partitionKey: [OutputExpression]
    ) {
        self.store = store
        self.target = target
        self.producerID = producerID
        self.columns = RowText.jsonPrefixes(columns)
        self.partitionKey = partitionKey
    }

    /// One stamped append per shard the rows go to, in the order the shards first appear.
    mutating func route(_ rows: [[SQLValue]]) throws -> [OutputCommit.PendingAppend] {
        guard !rows.isEmpty else { return [] }
        let keys = rows.map { partitionKey(of: $0) }
        let hashes = HashKey.forPartitionKeys(keys)
        var byShard: [ShardID: (keys: [String], records: [[UInt8]])] = [:]
        var order: [ShardID] = []
        var line: [UInt8] = []
        for (index, row) in rows.enumerated() {
            line.removeAll(keepingCapacity: true)
            RowText.appendJSONLine(columns: columns, row: row, to: &line)
            line.removeLast()  // the newline
            let shard = try store.shard(for: hashes[index], in: target)
            if byShard[shard] == nil { order.append(shard) }
            byShard[shard, default: ([], [])].keys.append(keys[index])
            byShard[shard, default: ([], [])].records.append(line)
        }
        return try order.map { shard in
            try stamped(
                stream: target.rawValue,
                shard: shard,
                keys: byShard[shard]!.keys,
                records: byShard[shard]!.records
            )
        }
    }

    /// An append to `shard` of `stream`, stamped with the next sequence there.
    mutating func stamped(
        stream: String,
        shard: ShardID,
        keys: [String],
        records: [[UInt8]]
    ) throws
        -> OutputCommit.PendingAppend
    {
        let stampKey = OutputCommit.stampKey(stream: stream, shard: shard)
        let sequence = nextSequence[stampKey, default: 0]
        nextSequence[stampKey] = sequence + 1
        if createdAt[stream] == nil {
            createdAt[stream] = try store.describeStream(StreamName(validating: stream)).createdAtMilliseconds
        }
        return OutputCommit.PendingAppend(
            stream: stream,
            streamCreatedAt: createdAt[stream]!,
            shard: shard,
            sequence: sequence,
            keys: keys,
            records: records
        )
    }

    /// A row's partition key: its partition expressions' text joined by `|`, at most 256
    /// characters; a spreading key when there are none.
    private mutating func partitionKey(of row: [SQLValue]) -> String {
        guard !partitionKey.isEmpty else {
            defer { nextKey &+= 1 }
            return String(nextKey, radix: 36)
        }
        // A key that cannot be computed for a row (a failed CAST, say) is the empty text: the row
        // is stored all the same, under the key "-".
        var key = partitionKey.map { part in RowText.text((try? part.evaluate(row)) ?? .null) }.joined(separator: "|")
        if key.isEmpty { key = "-" }
        if key.unicodeScalars.count > 256 { key = String(String.UnicodeScalarView(key.unicodeScalars.prefix(256))) }
        return key
    }

    /// Makes the appends, all shards at once; a repeat of an append the stream already stored is
    /// recognised by its stamp and stored no second time.
    /// Makes again the appends of a commit a crash may have cut short, except those meant for a
    /// stream that has since been dropped (and perhaps made again).
    static func redrive(_ appends: [OutputCommit.PendingAppend], producerID: UInt64, store: StreamStore) async throws {
        let current = appends.filter { pending in
            let stream = try? StreamName(validating: pending.stream)
            let createdAt = stream.flatMap { try? store.describeStream($0).createdAtMilliseconds }
            return createdAt == pending.streamCreatedAt
        }
        try await append(current, producerID: producerID, store: store)
    }

    static func append(_ appends: [OutputCommit.PendingAppend], producerID: UInt64, store: StreamStore) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for pending in appends {
                group.addTask {
                    let records = zip(pending.keys, pending.records).map { key, data in
                        AppendRecord(partitionKey: key, data: data)
                    }
                    do {
                        _ = try await store.append(
                            to: try StreamName(validating: pending.stream),
                            shard: pending.shard,
                            records,
                            producer: ProducerStamp(producerID: producerID, sequence: pending.sequence)
                        )
                    } catch let error as StreamQStorageError {
                        throw PipelineError(
                            "appending \(records.count) rows to stream '\(pending.stream)' \(pending.shard) failed: \(error.message)"
                        )
                    }
                }
            }
            try await group.waitForAll()
        }
    }
}
