import StreamQRemote

/// `streamq read --endpoint URL`: every shard through GetShardIterator and GetRecords, parents
/// before children (a child is read once all its parents were read to their end), as KCL does.
///
/// Without `--follow` it stops at the tip as of each shard's last read (an empty answer with
/// `MillisBehindLatest` 0); with it, it keeps polling each open shard, at most 5 calls a second per
/// shard as AWS allows.
struct RemoteRead {
    let client: KinesisClient
    let stream: String
    let start: ShardPosition
    let onlyShard: String?
    let follow: Bool
    let limit: Int

    func run(_ output: inout RecordPrinter) async throws {
        let reference = KinesisStreamReference.name(stream)
        let shards = try await client.listShards(reference)
        let listed = Set(shards.map(\.shardID))
        var finished: Set<String> = []
        var queue: [String]
        if let onlyShard {
            guard listed.contains(onlyShard) else {
                throw CommandFailure("stream '\(stream)' has no shard \(onlyShard)")
            }
            queue = [onlyShard]
        } else {
            // Roots: shards whose parents are gone (past retention) or were never there.
            queue = shards.filter { shard in
                [shard.parentShardID, shard.adjacentParentShardID].compactMap { $0 }.allSatisfy { !listed.contains($0) }
            }.map(\.shardID)
        }
        var parentsOf: [String: [String]] = [:]
        for shard in shards {
            parentsOf[shard.shardID] = [shard.parentShardID, shard.adjacentParentShardID].compactMap { $0 }
        }
        var printed = 0
        var iterators: [String: String] = [:]
        for shard in queue {
            iterators[shard] = try await client.getShardIterator(reference, shardID: shard, position: start)
        }
        while !iterators.isEmpty && printed < limit {
            var progressed = false
            for shard in iterators.keys.sorted() where printed < limit {
                guard let iterator = iterators[shard] else { continue }
                let answer = try await client.getRecords(iterator: iterator, limit: min(10_000, limit - printed))
                for record in answer.records where printed < limit {
                    output.write(record, shard: shard)
                    printed += 1
                }
                if !answer.records.isEmpty { progressed = true }
                guard let next = answer.nextShardIterator else {
                    // Read to its end: its children follow once all their parents are done.
                    iterators.removeValue(forKey: shard)
                    finished.insert(shard)
                    progressed = true
                    if onlyShard == nil {
                        for child in answer.childShards where iterators[child.shardID] == nil {
                            let parents = parentsOf[child.shardID] ?? child.parentShards
                            guard parents.allSatisfy({ finished.contains($0) || !listed.contains($0) }) else {
                                continue
                            }
                            iterators[child.shardID] = try await client.getShardIterator(
                                reference,
                                shardID: child.shardID,
                                position: .trimHorizon
                            )
                        }
                    }
                    continue
                }
                if answer.records.isEmpty && (answer.millisBehindLatest ?? 0) == 0 && !follow {
                    iterators.removeValue(forKey: shard)  // at the tip: done without --follow
                } else {
                    iterators[shard] = next
                }
            }
            output.flush()
            if !progressed { try await Task.sleep(for: .milliseconds(200)) }
        }
        output.flush()
    }
}
