import StreamQStorage

/// What producers and consumers need from wherever streams live. Today that is an embedded
/// ``StreamStore`` (a local data directory); a remote Kinesis endpoint can implement the same
/// protocol without changing the producer or consumer API.
public protocol StreamBackend: Sendable {
    func describeStream(_ name: StreamName) async throws -> StreamDescription

    /// Queues an append to one shard and returns at once; appends queued to one shard are stored
    /// in the order queued. `completion` runs with the first record's sequence number or the error.
    func enqueueAppend(
        to name: StreamName,
        shard: ShardID,
        _ records: [AppendRecord],
        producer: ProducerStamp?,
        completion: @escaping @Sendable (Result<SequenceNumber, any Error>) -> Void
    ) throws

    func cursor(stream name: StreamName, shard: ShardID, at position: StartingPosition) async throws -> ShardCursor
    func read(_ cursor: ShardCursor, maxRecords: Int, maxBytes: Int) async throws -> ReadResult

    /// Returns when the shard may have records at `cursor` or has closed (true), or after `timeout`.
    func waitForRecords(at cursor: ShardCursor, timeout: Duration) async throws -> Bool
}

extension StreamStore: StreamBackend {}
