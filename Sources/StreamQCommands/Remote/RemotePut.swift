import StreamQClient
import StreamQRemote
import StreamQStorage
import Synchronization

/// `streamq put --endpoint URL`: stdin lines become records through PutRecords.
///
/// Records are spread over lanes by the shard their partition key hashes to (32 lanes, split
/// evenly among the open shards, a key's lane fixed by its hash; with `--aggregate`, one per open
/// shard), so a request goes to one shard (the server appends and syncs it as one run, not as four
/// pieces); each lane sends requests of up to 500 records (and 1 MiB) one after another, and the
/// lanes run side by side, so a key's records are stored in input order while requests overlap.
/// A shard has several requests in flight, which `streamq serve` stores with one sync between
/// them (its group commit): a sync costs milliseconds whatever its size, so a lane per shard would
/// leave the cores waiting on it. The lanes follow the shards as listed at the start: after a
/// reshard a request may span shards, and order still holds. A request
/// goes out when it is full or stdin goes quiet. Without aggregation, records are written straight
/// into their lane's next request body (``PutRecordsBody``: no array per record). `putRecordsReliably` re-drives only the entries
/// the service failed and never sends an acknowledged one twice. Memory: at most two requests per
/// lane.
///
/// To `streamq serve` (which says it takes ``StoredBatchesExtension``), a lane's request is
/// instead one batch of its shard's records in the store's encoding, compressed here (on the lane's
/// task, beside the reading loop) and stored by the server as it came, stamped with the lane's
/// producer id and batch number so a retried request is stored once: the server checks the records
/// and routes nothing, and the request is a quarter of the bytes.
///
/// With `aggregate`, records of one shard are packed into KPL aggregates by ``KPLAggregator``, so
/// many small records cost one Kinesis record; KCL and `streamq read` unpack them.
struct RemotePut {
    static let laneCount = 32
    /// A lane's request is cut at this many bytes (of the 5 MiB a request may hold), bounding memory.
    static let requestBytes = 1 << 20
    /// Lines taken (and keys hashed) together, of those already read.
    static let chunkLines = 256
    let client: KinesisClient
    let stream: String
    let fixedKey: String?
    let keyField: String?
    let maxRecordBytes: Int
    let progress: Bool
    let aggregate: Bool

    /// What was sent, acknowledged, and the failure that stopped it (if any).
    func run(rejections: inout RejectionLog) async throws -> (sent: Int, stored: Int, failure: (any Error)?) {
        var keys = LinePartitionKeys(fixedKey: fixedKey, keyField: keyField, maxRecordBytes: maxRecordBytes)
        var reader = LineReader()
        // Each open shard's id and the start of its hash range, sorted by it, to find a key's shard.
        let shards = try await client.listShards(.name(stream), filter: .atLatest)
            .compactMap { shard in HashKey(shard.startingHashKey).map { (start: $0, id: shard.shardID) } }
            .sorted { $0.start < $1.start }
        let shardStarts = shards.map(\.start)
        // Lanes per shard without aggregation (a shard beyond the 32nd shares a lane).
        let lanesPerShard = max(1, Self.laneCount / max(1, shardStarts.count))
        var lanes = [Lane](
            repeating: Lane(body: PutRecordsBody(stream: .name(stream))),
            count: aggregate
                ? max(1, shardStarts.count) : min(Self.laneCount, max(1, shardStarts.count) * lanesPerShard)
        )
        // To `streamq serve`, each lane's records go as one stored batch of its shard, stamped.
        let storedBatches =
            !aggregate && client.offersStoredBatches && !shards.isEmpty && shards.count <= lanes.count
        if storedBatches {
            for index in lanes.indices {
                lanes[index].batchShard = shards[index / lanesPerShard].id
                lanes[index].producerID = UInt64.random(in: 1...UInt64.max)
            }
        }
        let acknowledged = StoredCount()
        var lineNumber = 0
        var sent = 0
        var failure: (any Error)?
        let client = client
        let stream = stream
        let progress = progress

        /// Sends a lane's pending records once its previous request is done.
        func dispatch(_ index: Int) async throws {
            if storedBatches {
                guard !lanes[index].encoded.isEmpty else { return }
                let records = lanes[index].encoded
                lanes[index].encoded = EncodedRecords(reservingCapacity: records.byteCount)
                let stamp = IdempotentAppend(
                    producer: ProducerStamp(producerID: lanes[index].producerID, sequence: lanes[index].nextSequence),
                    shardID: lanes[index].batchShard
                )
                lanes[index].nextSequence += 1
                try await lanes[index].inFlight?.value
                lanes[index].inFlight = Task {
                    try await Self.putStoredBatch(records, as: stamp, client: client, stream: stream)
                    let total = acknowledged.add(records.count)
                    if progress { StandardStreams.writeError("stored \(total)\n") }
                }
                return
            }
            lanes[index].sealAggregate()
            if !lanes[index].body.isEmpty {
                let body = lanes[index].body
                lanes[index].body = PutRecordsBody(reservingLike: body)
                try await lanes[index].inFlight?.value
                lanes[index].inFlight = Task {
                    do {
                        try await client.putRecordsReliably(body)
                        let total = acknowledged.add(body.count)
                        if progress { StandardStreams.writeError("stored \(total)\n") }
                    } catch let error as PutRecordsReliablyError {
                        acknowledged.add(error.stored.count { $0 != nil })
                        throw error
                    }
                }
                return
            }
            guard !lanes[index].pending.isEmpty else { return }
            let batch = lanes[index].pending
            let counts = lanes[index].pendingCounts
            lanes[index].pending = []
            lanes[index].pendingCounts = []
            lanes[index].pendingBytes = 0
            try await lanes[index].inFlight?.value
            lanes[index].inFlight = Task {
                do {
                    _ = try await client.putRecordsReliably(stream: .name(stream), records: batch)
                    let total = acknowledged.add(counts.reduce(0, +))
                    if progress { StandardStreams.writeError("stored \(total)\n") }
                } catch let error as PutRecordsReliablyError {
                    acknowledged.add(zip(error.stored, counts).reduce(0) { $0 + ($1.0 == nil ? 0 : $1.1) })
                    throw error
                }
            }
        }
        func dispatchAll() async throws {
            for index in lanes.indices { try await dispatch(index) }
        }
        /// Queues one entry standing for `count` records on lane `index`.
        func enqueue(_ entry: PutRecordsEntry, count: Int, lane index: Int) async throws {
            if lanes[index].pending.count == 500 || lanes[index].pendingBytes + entry.size > Self.requestBytes {
                try await dispatch(index)
            }
            lanes[index].pending.append(entry)
            lanes[index].pendingCounts.append(count)
            lanes[index].pendingBytes += entry.size
        }
        // Lines already read are taken in chunks, so their keys are hashed eight at a time.
        var chunk: [ArraySlice<UInt8>] = []
        var chunkKeys: [String] = []
        chunk.reserveCapacity(Self.chunkLines)
        chunkKeys.reserveCapacity(Self.chunkLines)
        let fixedHash = fixedKey.map(HashKey.forPartitionKey)
        /// The lane of a key's hash: its shard's lanes, the hash's low 64 bits picking one (no
        /// 128-bit division per record).
        func laneOf(hash: HashKey) -> Int {
            let shard = shardStarts.lastIndex { $0 <= hash } ?? 0
            let laneInShard = Int(UInt64(truncatingIfNeeded: hash) % UInt64(lanesPerShard))
            return (shard * lanesPerShard + laneInShard) % lanes.count
        }
        var laneCache = PartitionKeyRouteCache()
        do {
            while let first = try await reader.nextLine(whenIdle: { try await dispatchAll() }) {
                var next: ArraySlice<UInt8>? = first
                while let line = next {
                    lineNumber += 1
                    if let key = try keys.key(for: line, lineNumber: lineNumber, rejections: &rejections) {
                        chunk.append(line)
                        chunkKeys.append(key)
                    }
                    next = chunk.count < Self.chunkLines ? reader.bufferedLine() : nil
                }
                // Aggregation needs every record's hash; otherwise a key seen lately has its lane
                // cached, and only the others are hashed.
                let hashes = aggregate && fixedHash == nil ? HashKey.forPartitionKeys(chunkKeys) : []
                let laneOfLine = aggregate ? [] : laneCache.lanes(of: chunkKeys, lane: laneOf(hash:))
                for (position, (line, key)) in zip(chunk, chunkKeys).enumerated() {
                    sent += 1
                    guard aggregate else {
                        let index = laneOfLine[position]
                        if storedBatches {
                            if lanes[index].encoded.byteCount + line.count + key.utf8.count + 16 > Self.requestBytes {
                                try await dispatch(index)
                            }
                            _ = line.withUnsafeBytes { lanes[index].encoded.append(partitionKey: key, data: $0) }
                            continue
                        }
                        if lanes[index].body.count == 500
                            || lanes[index].body.size + line.count + key.utf8.count > Self.requestBytes
                        {
                            try await dispatch(index)
                        }
                        line.withUnsafeBytes { lanes[index].body.append(data: $0, partitionKey: key) }
                        continue
                    }
                    let hash = fixedHash ?? hashes[position]
                    let index = shardStarts.lastIndex { $0 <= hash } ?? 0
                    let record = UserRecord(partitionKey: key, data: Array(line))
                    if !lanes[index].aggregator.fits(record), let (entry, count) = lanes[index].aggregator.take() {
                        try await enqueue(entry, count: count, lane: index)
                    }
                    lanes[index].aggregator.add(record, hash: hash)
                }
                // Let go of the lines before the reader moves its buffer.
                chunk.removeAll(keepingCapacity: true)
                chunkKeys.removeAll(keepingCapacity: true)
            }
            for index in lanes.indices {
                if let (entry, count) = lanes[index].aggregator.take() {
                    try await enqueue(entry, count: count, lane: index)
                }
            }
            try await dispatchAll()
            for lane in lanes { try await lane.inFlight?.value }
        } catch let error as PutRecordsReliablyError {
            failure = error
            for lane in lanes { _ = try? await lane.inFlight?.value }
        } catch let error as KinesisClientError where storedBatches {
            // A stored batch the service refused or never answered (after the client's retries):
            // report what the other lanes stored, as for a failed PutRecords.
            failure = error
            for lane in lanes { _ = try? await lane.inFlight?.value }
        }
        return (sent, acknowledged.total, failure)
    }

    /// Sends `records` of one shard as a stored batch, compressed here; after a reshard closed the
    /// shard, by PutRecords instead (routed by the server, re-driven as always).
    private static func putStoredBatch(
        _ records: EncodedRecords,
        as stamp: IdempotentAppend,
        client: KinesisClient,
        stream: String
    ) async throws {
        do {
            let batch = try CompressedBatch(compressing: records, level: 1)
            _ = try await client.putStoredBatch(.name(stream), shardID: stamp.shardID, batch: batch, idempotent: stamp)
        } catch let error as KinesisClientError where error.code == "ShardClosedException" {
            var entries: [PutRecordsEntry] = []
            entries.reserveCapacity(records.count)
            records.forEachRecord { key, _, data in
                entries.append(PutRecordsEntry(data: Array(data), partitionKey: String(decoding: key, as: UTF8.self)))
            }
            _ = try await client.putRecordsReliably(stream: .name(stream), records: entries)
        }
    }

    /// Records acknowledged so far, across lanes.
    private final class StoredCount: Sendable {
        private let count = Atomic<Int>(0)

        @discardableResult
        func add(_ stored: Int) -> Int { count.add(stored, ordering: .relaxed).newValue }
        var total: Int { count.load(ordering: .relaxed) }
    }

    /// One lane: the records waiting for its next request (with aggregation, entries each standing
    /// for a count of records, and the aggregate being filled), and the request in flight.
    private struct Lane {
        /// Without aggregation: the next request, written as records come.
        var body: PutRecordsBody
        var pending: [PutRecordsEntry] = []
        var pendingCounts: [Int] = []
        var pendingBytes = 0
        var inFlight: Task<Void, any Error>?
        var aggregator = KPLAggregator()
        /// To `streamq serve`: the next stored batch, written as records come, the shard it goes
        /// to, and the lane's producer stamp (its id, and the sequence of its next batch).
        var encoded = EncodedRecords()
        var batchShard = ""
        var producerID: UInt64 = 0
        var nextSequence: UInt64 = 0

        /// Moves the aggregate being filled into the pending entries (before a request goes out).
        mutating func sealAggregate() {
            guard let (entry, count) = aggregator.take() else { return }
            pending.append(entry)
            pendingCounts.append(count)
            pendingBytes += entry.size
        }
    }
}

extension PartitionKeyRouteCache {
    /// The lane of each of `keys`: cached for keys seen lately (one `--partition-key` is hashed
    /// once); the others are hashed eight at a time, given their `lane(hash:)` and cached.
    mutating func lanes(of keys: [String], lane: (HashKey) -> Int) -> [Int] {
        var lanes = [Int](repeating: 0, count: keys.count)
        var missed: [Int] = []
        for (position, key) in keys.enumerated() {
            if let cached = cachedRoute(for: key) { lanes[position] = cached } else { missed.append(position) }
        }
        guard !missed.isEmpty else { return lanes }
        for (position, hash) in zip(missed, HashKey.forPartitionKeys(missed.map { keys[$0] })) {
            lanes[position] = lane(hash)
            remember(keys[position], route: lanes[position])
        }
        return lanes
    }
}
