import Logging
import ServiceLifecycle
import StreamQStorage
import Synchronization

/// The embedded entry point: an open data directory with its streams, producers, consumers and
/// consumer groups.
///
/// Run it in a `ServiceGroup` (it is a `Service`): on graceful shutdown it flushes its producers,
/// stops its consumers (which commit their checkpoints) and closes the store. Or call
/// ``shutdown()`` yourself.
public final class StreamQEngine: Service, Sendable {
    /// The storage underneath, for everything the engine does not wrap.
    public let store: StreamStore
    private let logger: Logger
    private let producers = Mutex<[StreamQProducer]>([])
    private let consumers = Mutex<[StreamQConsumer]>([])

    /// Opens `directory`: for writing (locks it; one process at a time) or read-only (any number
    /// of processes beside the writer; reads, follows and consumer groups, no appends).
    public init(
        directory: String,
        configuration: StorageConfiguration = .init(),
        mode: StreamStore.AccessMode = .readWrite,
        logger: Logger = Logger(label: "streamq")
    ) throws {
        self.store = try StreamStore(directory: directory, configuration: configuration, mode: mode, logger: logger)
        self.logger = logger
    }

    /// Waits for graceful shutdown, then shuts down.
    public func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
    }

    /// Flushes producers, stops consumers and closes the store.
    public func shutdown() async throws {
        for producer in producers.withLock({ $0 }) { try? await producer.close() }
        for consumer in consumers.withLock({ $0 }) { consumer.stop() }
        try await store.close()
    }

    // MARK: Administration

    public func createStream(_ name: StreamName, shardCount: Int, retention: Duration = .seconds(24 * 3600)) throws {
        try store.createStream(name, shardCount: shardCount, retention: retention)
    }

    public func deleteStream(_ name: StreamName) async throws { try await store.deleteStream(name) }
    public func listStreams() throws -> [StreamName] { try store.listStreams() }
    public func describeStream(_ name: StreamName) throws -> StreamDescription { try store.describeStream(name) }

    @discardableResult
    public func splitShard(_ name: StreamName, shard: ShardID, newStartingHashKey: HashKey) async throws -> [ShardID] {
        try await store.splitShard(name, shard: shard, newStartingHashKey: newStartingHashKey)
    }

    @discardableResult
    public func mergeShards(_ name: StreamName, shard: ShardID, adjacentShard: ShardID) async throws -> ShardID {
        try await store.mergeShards(name, shard: shard, adjacentShard: adjacentShard)
    }

    /// Splits or merges open shards until there are `target`, keeping their ranges as even as
    /// possible (Kinesis's uniform scaling): the widest shard is split at its middle, or the
    /// adjacent pair with the narrowest combined range is merged.
    public func updateShardCount(_ name: StreamName, target: Int) async throws {
        guard (1...1024).contains(target) else {
            throw StreamQStorageError(.invalidArgument, "target shard count must be 1 to 1024")
        }
        while true {
            let open = try store.describeStream(name).openShards.sorted {
                $0.hashKeyRange.start < $1.hashKeyRange.start
            }
            if open.count < target {
                let widest = open.max {
                    $0.hashKeyRange.end - $0.hashKeyRange.start < $1.hashKeyRange.end - $1.hashKeyRange.start
                }!
                let range = widest.hashKeyRange
                guard range.end > range.start else {
                    throw StreamQStorageError(.invalidArgument, "no shard is wide enough to split")
                }
                try await store.splitShard(
                    name,
                    shard: widest.id,
                    newStartingHashKey: range.start + (range.end - range.start) / 2 + 1
                )
            } else if open.count > target {
                let pairs = zip(open, open.dropFirst())
                let narrowest = pairs.min {
                    ($0.1.hashKeyRange.end - $0.0.hashKeyRange.start)
                        < ($1.1.hashKeyRange.end - $1.0.hashKeyRange.start)
                }!
                try await store.mergeShards(name, shard: narrowest.0.id, adjacentShard: narrowest.1.id)
            } else {
                return
            }
        }
    }

    // MARK: Producers and consumers

    public func makeProducer(configuration: StreamQProducerConfiguration = .init()) -> StreamQProducer {
        let producer = StreamQProducer(backend: store, configuration: configuration, logger: logger)
        producers.withLock { $0.append(producer) }
        return producer
    }

    /// A consumer; run it (it is a `Service`) and iterate its `records`.
    public func makeConsumer(configuration: StreamQConsumerConfiguration) throws -> StreamQConsumer {
        let consumer = try StreamQConsumer(
            backend: store,
            configuration: configuration,
            groupsDirectory: store.groupsDirectory(of: configuration.stream),
            logger: logger
        )
        consumers.withLock { $0.append(consumer) }
        return consumer
    }

    // MARK: Group inspection

    /// The consumer groups of a stream.
    public func listGroups(_ stream: StreamName) throws -> [String] {
        let directory = store.groupsDirectory(of: stream)
        guard FileSystem.exists(directory) else { return [] }
        return try FileSystem.contents(of: directory).filter { FileSystem.exists(directory + "/" + $0 + "/state.json") }
    }

    /// Per shard: owner, checkpoint and lag in records and milliseconds.
    public func describeGroup(_ stream: StreamName, group: String) throws -> ConsumerGroupDescription {
        let state = try GroupCoordinator.inspect(groupDirectory: store.groupsDirectory(of: stream) + "/" + group)
        let description = try store.describeStream(stream)
        let now = GroupCoordinator.nowMilliseconds()
        let shards = description.shards.map { shard -> ConsumerGroupDescription.Shard in
            let entry = state.shards[shard.id.description]
            let next = shard.storedSequences.upperBound
            let position =
                entry?.checkpoint.map { $0.sequence + 1 } ?? entry?.startSequence ?? shard.storedSequences.lowerBound
            let ended = entry?.ended ?? false
            let lagRecords = ended ? 0 : (next > position ? next - position : 0)
            let lagMilliseconds: Int64? =
                ended || lagRecords == 0
                ? 0
                : entry?.checkpoint.flatMap { checkpoint in
                    shard.newestArrivalMilliseconds.map { max(0, $0 - checkpoint.arrival) }
                }
            let live = entry.map { $0.owner != nil && $0.expiry > now } ?? false
            return .init(
                shard: shard.id,
                owner: live ? entry?.owner : nil,
                checkpoint: entry?.checkpoint?.sequence,
                ended: ended,
                lagRecords: lagRecords,
                lagMilliseconds: lagMilliseconds
            )
        }
        return ConsumerGroupDescription(
            name: group,
            members: state.members.filter { $0.value.isPresent(at: now, assumingLease: 10_000) }.keys.sorted(),
            shards: shards
        )
    }
}

/// A consumer group as `describeGroup` reports it.
public struct ConsumerGroupDescription: Sendable, Equatable {
    public var name: String
    public var members: [String]
    public var shards: [Shard]

    public struct Shard: Sendable, Equatable {
        public var shard: ShardID
        /// The member holding the lease now, if any.
        public var owner: String?
        /// The last committed sequence.
        public var checkpoint: UInt64?
        /// The shard was closed by a reshard and processed to its end.
        public var ended: Bool
        /// Records after the checkpoint.
        public var lagRecords: UInt64
        /// How far the checkpointed record arrived before the newest (nil without a checkpoint).
        public var lagMilliseconds: Int64?
    }
}
