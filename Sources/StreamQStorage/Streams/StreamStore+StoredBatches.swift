/// What ``StreamStore/storedBatches(_:maxRecords:maxBytes:)`` read.
public struct StoredBatchRead: Sendable {
    public var run: StoredBatchRun
    /// Where the next read starts; nil when the shard is closed and this read reached its end.
    public var next: ShardCursor?
    /// The shards that continue a closed shard, once it is read to its end.
    public var childShards: [ShardID]
    /// Set when the cursor's records had been deleted by retention; the run starts here instead.
    public var trimmedTo: UInt64?
    /// Arrival of the last record of the run: exact when the run ends at the end of a batch, else
    /// its batch's first arrival (a lower bound).
    public var lastArrivalMilliseconds: Int64
    /// The uncompressed bytes of the records asked for (their share of their batches'), what
    /// throughput limits and metrics count for the read.
    public var recordBytes: Int
    /// Arrival of the newest visible record of the shard.
    public var newestArrivalMilliseconds: Int64?
}

extension StreamStore {
    /// Reads like ``scan(_:maxRecords:maxBytes:_:)`` but returns the whole batches that hold the
    /// records, as they are stored, without decoding them (see ``StoredBatchRun``); `maxBytes`
    /// counts the batches' uncompressed bytes. Nil when the shard has no visible record at the
    /// cursor or its batch there is encrypted: read with `scan` then.
    public func storedBatches(_ cursor: ShardCursor, maxRecords: Int, maxBytes: Int) throws -> StoredBatchRead? {
        guard maxRecords > 0, maxBytes > 0 else { throw StreamQStorageError.invalid("read limits must be positive") }
        let stream = try handle(cursor.stream)
        let source = try stream.source(cursor.shard)
        var snapshot = try source.snapshot()
        let found: (run: StoredBatchRun, trimmedTo: UInt64?, lastArrival: Int64, recordBytes: Int)?
        do {
            found = try snapshot.storedBatches(from: cursor.sequence, maxRecords: maxRecords, maxBytes: maxBytes)
        } catch is ShardSnapshot.SegmentDeleted {  // retention removed it meanwhile: read the new view
            snapshot = try source.snapshot()
            found = try snapshot.storedBatches(from: cursor.sequence, maxRecords: maxRecords, maxBytes: maxBytes)
        }
        guard let found else { return nil }
        let (next, children) = Self.continuation(of: cursor, at: found.run.endSequence, in: stream)
        return StoredBatchRead(
            run: found.run,
            next: next,
            childShards: children,
            trimmedTo: found.trimmedTo,
            lastArrivalMilliseconds: found.lastArrival,
            recordBytes: found.recordBytes,
            newestArrivalMilliseconds: snapshot.newestArrival
        )
    }
}
