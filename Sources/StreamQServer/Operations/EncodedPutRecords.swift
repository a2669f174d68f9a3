import StreamQAWS
import StreamQStorage
import Synchronization

extension KinesisService {
    /// PutRecords' common case (no stamp, no throughput limits, no explicit hash keys, the records
    /// within one storage batch): the decoded request's bytes are encoded straight into one run per
    /// shard and queued to the shards' writers at once, with no ``AppendRecord`` (an array and a
    /// string) per record. Nil when the request is not such a case; ``storeEntries`` then stores it.
    ///
    /// Records of a shard that closed since the request was routed (a reshard under way) are
    /// stored again through ``storeEntries``, which routes them to the children.
    func storeEncoded(
        _ request: PutRecordsFastDecoder.Request,
        in name: StreamName
    ) async throws
        -> PutRecordsOutcome?
    {
        let configuration = store.configuration
        guard request.bytes.count + Self.maxEncodingOverhead * request.count <= configuration.maxBatchBytes,
            request.bytes.count <= Self.maxRequestRecordBytes,
            request.spans.allSatisfy({ $0.data.count <= configuration.maxRecordBytes })
        else { return nil }
        let description = try describe(name)
        let routes = ShardRoutes(description)
        guard routes.count > 0 else { return nil }
        let keys = request.spans.indices.map(request.partitionKey)
        let targets: [Int]
        if routes.count == 1 {
            targets = [Int](repeating: 0, count: request.count)
        } else {
            targets = HashKey.forPartitionKeys(keys).map(routes.index(for:))
        }
        var reserved = [Int](repeating: 0, count: routes.count)
        for (span, target) in zip(request.spans, targets) {
            reserved[target] += span.data.count + span.key.count + Self.maxEncodingOverhead
        }
        var runs = reserved.map { EncodedRecords(reservingCapacity: $0) }
        var dataBytes = [Int](repeating: 0, count: routes.count)
        request.bytes.withUnsafeBytes { bytes in
            for (index, (span, target)) in zip(request.spans, targets).enumerated() {
                runs[target].append(partitionKey: keys[index], data: UnsafeRawBufferPointer(rebasing: bytes[span.data]))
                dataBytes[target] += span.data.count
            }
        }
        let firsts = await Self.enqueue(runs, to: routes.shards, of: name, in: store)
        var closed: [Int] = []  // routes whose shard closed under the request
        var failures: [Int: String] = [:]  // routes whose append failed, with the entries' message
        for (target, first) in firsts.enumerated() {
            guard case .failure(let error) = first else { continue }
            if let error = error as? StreamQStorageError, error.code == .shardClosed {
                closed.append(target)
                continue
            }
            let mapped = KinesisErrors.from(error, stream: name.rawValue, account: account)
            guard mapped.httpStatus >= 500 else { throw mapped }
            failures[target] = mapped.message
        }
        var next = [UInt64](repeating: 0, count: routes.count)
        for (target, first) in firsts.enumerated() {
            guard case .success(let sequence) = first else { continue }
            next[target] = sequence
            metrics.recordsIn(
                stream: name,
                shard: routes.shards[target],
                records: runs[target].count,
                bytes: dataBytes[target]
            )
            writeRates.add(
                stream: name,
                shard: routes.shards[target],
                records: runs[target].count,
                bytes: dataBytes[target]
            )
        }
        var entries: [PutRecordsOutcome.Entry] = []
        entries.reserveCapacity(request.count)
        var rerouted: [Int] = []
        for (index, target) in targets.enumerated() {
            if let message = failures[target] {
                entries.append(.failed(code: "InternalFailure", message: message))
            } else if closed.contains(target) {
                rerouted.append(index)
                entries.append(.failed(code: "InternalFailure", message: "Internal Service Failure"))
            } else {
                entries.append(.stored(shard: routes.shards[target], sequence: next[target]))
                next[target] += 1
            }
        }
        if !rerouted.isEmpty {
            let again = try await storeEntries(
                rerouted.map {
                    AppendRecord(partitionKey: keys[$0], data: Array(request.bytes[request.spans[$0].data]))
                },
                explicitHashKeys: [String?](repeating: nil, count: rerouted.count),
                in: name,
                stamped: nil
            )
            for (index, entry) in zip(rerouted, again.entries) { entries[index] = entry }
        }
        return PutRecordsOutcome(
            entries: entries,
            createdSeconds: description.createdAtMilliseconds / 1000,
            encryptionType: encryptionType(description)
        )
    }

    /// The most bytes ``EncodedRecords`` adds to a record's data and partition key (lengths and
    /// attributes).
    private static let maxEncodingOverhead = 16

    /// Queues each non-empty run to its shard at once and returns, once all are done, each run's
    /// first sequence or failure (nil for an empty run): the request's task wakes once.
    private static func enqueue(
        _ runs: [EncodedRecords],
        to shards: [ShardID],
        of name: StreamName,
        in store: StreamStore
    ) async -> [Result<UInt64, any Error>?] {
        let queued = runs.indices.filter { !runs[$0].isEmpty }
        guard !queued.isEmpty else { return runs.map { _ in nil } }
        let gathered = Mutex<(firsts: [Result<UInt64, any Error>?], left: Int)>(
            (runs.map { _ in nil }, queued.count)
        )
        return await withCheckedContinuation { continuation in
            let finish: @Sendable (Int, Result<UInt64, any Error>) -> Void = { target, first in
                let done = gathered.withLock { state -> [Result<UInt64, any Error>?]? in
                    state.firsts[target] = first
                    state.left -= 1
                    return state.left == 0 ? state.firsts : nil
                }
                if let done { continuation.resume(returning: done) }
            }
            for target in queued {
                do {
                    try store.enqueueAppend(to: name, shard: shards[target], encoded: runs[target]) { result in
                        finish(target, result.map(\.sequence))
                    }
                } catch {
                    finish(target, .failure(error))
                }
            }
        }
    }
}
