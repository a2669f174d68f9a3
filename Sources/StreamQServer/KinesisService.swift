@preconcurrency import Crypto
import Logging
import StreamQAWS
import StreamQStorage
import Synchronization

/// The Kinesis Data Streams operations over a `StreamStore`: decoded input in, output out.
/// Transport (HTTP, encodings, signatures) is the server's business, not this type's.
final class KinesisService: Sendable {
    let store: StreamStore
    let configuration: KinesisServerConfiguration
    let tokens: TokenSealer
    let limits: ThroughputLimits?
    let metrics: ServerMetrics
    let writeRates = WriteRates()
    let logger: Logger
    private let attributeCache = Mutex<[StreamName: StreamAttributes]>([:])
    /// Serialises operations that change a stream's shards or attributes.
    let changes = AsyncLock()

    init(store: StreamStore, configuration: KinesisServerConfiguration, tokenKey: SymmetricKey, logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.tokens = TokenSealer(
            key: tokenKey,
            lifetimeMilliseconds: configuration.iteratorLifetime.milliseconds
        )
        self.limits = configuration.shardLimits ? ThroughputLimits() : nil
        self.metrics = ServerMetrics()
        self.logger = logger
    }

    var account: String { configuration.accountID }
    var region: String { configuration.region }
    func now() -> Int64 { store.configuration.clock.nowMilliseconds() }

    /// Every operation the server answers (``handle(_:_:)`` and SubscribeToShard).
    static let operations: Set<String> = [
        "CreateStream", "DeleteStream", "DescribeStream", "DescribeStreamSummary", "ListStreams", "ListShards",
        "PutRecord", "PutRecords", "GetShardIterator", "GetRecords", "SplitShard", "MergeShards", "UpdateShardCount",
        "IncreaseStreamRetentionPeriod", "DecreaseStreamRetentionPeriod", "AddTagsToStream", "RemoveTagsFromStream",
        "ListTagsForStream", "TagResource", "UntagResource", "ListTagsForResource", "StartStreamEncryption",
        "StopStreamEncryption", "RegisterStreamConsumer", "DescribeStreamConsumer", "ListStreamConsumers",
        "DeregisterStreamConsumer", "DescribeLimits", "EnableEnhancedMonitoring", "DisableEnhancedMonitoring",
        "UpdateStreamMode", "SubscribeToShard", StoredBatchesExtension.putOperation,
    ]

    /// Runs one operation. Unknown names answer `UnknownOperationException`. (GetRecords and
    /// SubscribeToShard write their answers themselves, and PutRecords carries the producer-stamp
    /// headers: see `KinesisHTTPHandler`.)
    func handle(_ operation: String, _ input: AWSValue) async throws -> AWSValue {
        switch operation {
        case "CreateStream": return try await createStream(input)
        case "DeleteStream": return try await deleteStream(input)
        case "DescribeStream": return try describeStream(input)
        case "DescribeStreamSummary": return try describeStreamSummary(input)
        case "ListStreams": return try listStreams(input)
        case "ListShards": return try listShards(input)
        case "PutRecord": return try await putRecord(input)
        case "GetShardIterator": return try getShardIterator(input)
        case "SplitShard": return try await splitShard(input)
        case "MergeShards": return try await mergeShards(input)
        case "UpdateShardCount": return try await updateShardCount(input)
        case "IncreaseStreamRetentionPeriod": return try await changeRetention(input, increase: true)
        case "DecreaseStreamRetentionPeriod": return try await changeRetention(input, increase: false)
        case "AddTagsToStream": return try await addTagsToStream(input)
        case "RemoveTagsFromStream": return try await removeTagsFromStream(input)
        case "ListTagsForStream": return try listTagsForStream(input)
        case "TagResource": return try await tagResource(input)
        case "UntagResource": return try await untagResource(input)
        case "ListTagsForResource": return try listTagsForResource(input)
        case "StartStreamEncryption": return try await startStreamEncryption(input)
        case "StopStreamEncryption": return try await stopStreamEncryption(input)
        case "RegisterStreamConsumer": return try await registerStreamConsumer(input)
        case "DescribeStreamConsumer": return try describeStreamConsumer(input)
        case "ListStreamConsumers": return try listStreamConsumers(input)
        case "DeregisterStreamConsumer": return try await deregisterStreamConsumer(input)
        case "DescribeLimits": return try describeLimits(input)
        case "EnableEnhancedMonitoring": return try await changeEnhancedMonitoring(input, enable: true)
        case "DisableEnhancedMonitoring": return try await changeEnhancedMonitoring(input, enable: false)
        case "UpdateStreamMode": return try await updateStreamMode(input)
        default:
            throw AWSError("UnknownOperationException", "Operation \(operation) is not supported by this server.")
        }
    }

    // MARK: Shared helpers

    /// The stream an operation names by `StreamName` or `StreamARN` (at least one; both must agree).
    func streamName(_ reader: inout RequestReader, arnOnly: Bool = false) throws -> StreamName {
        let name = arnOnly ? nil : try reader.string("StreamName", length: 1...128, pattern: .name)
        let arn = try reader.string("StreamARN", required: arnOnly, length: 1...2048, pattern: .streamARN)
        try reader.finish()
        var resolved = name
        if let arn, let parsed = KinesisARN.parseStream(arn) {
            guard parsed.account == account, parsed.region == region else {
                throw KinesisErrors.streamNotFound(parsed.name, account: parsed.account)
            }
            if let name, name != parsed.name {
                throw KinesisErrors.invalidArgument("StreamName \(name) and StreamARN \(arn) name different streams.")
            }
            resolved = parsed.name
        }
        guard let resolved else {
            throw KinesisErrors.invalidArgument("Either StreamName or StreamARN should be provided.")
        }
        guard let stream = StreamName(rawValue: resolved) else {
            throw KinesisErrors.streamNotFound(resolved, account: account)
        }
        return stream
    }

    /// The stream's description, or ResourceNotFound in the Kinesis wording.
    func describe(_ name: StreamName) throws -> StreamDescription {
        do {
            return try store.describeStream(name)
        } catch {
            throw KinesisErrors.from(error, stream: name.rawValue, account: account)
        }
    }

    func arn(_ name: StreamName) -> String { KinesisARN.stream(name.rawValue, region: region, account: account) }

    func attributes(_ name: StreamName) throws -> StreamAttributes {
        if let cached = attributeCache.withLock({ $0[name] }) { return cached }
        let loaded = StreamAttributes.decode(try store.attributes(of: name))
        // Only fill a miss: an update stored meanwhile (under `changes`) is newer than this read.
        return attributeCache.withLock { cache in
            if let newer = cache[name] { return newer }
            cache[name] = loaded
            return loaded
        }
    }

    /// Changes a stream's attributes and stores them; callers hold `changes`.
    func updateAttributes(_ name: StreamName, _ change: (inout StreamAttributes) throws -> Void) throws {
        var attributes = try self.attributes(name)
        try change(&attributes)
        try store.setAttributes(attributes.encoded(), of: name)
        attributeCache.withLock { $0[name] = attributes }
    }

    func forgetAttributes(_ name: StreamName) {
        attributeCache.withLock { _ = $0.removeValue(forKey: name) }
    }

    /// `KMS` when the stream encrypts what is written now, else `NONE`.
    func encryptionType(_ description: StreamDescription) -> String {
        description.encryption.type.rawValue
    }

    /// The sequence number clients see for the record at shard-local `sequence`.
    func recordSequenceNumber(_ sequence: UInt64, shard: ShardID, in description: StreamDescription) -> String {
        KinesisSequenceNumber.encode(
            record: sequence,
            shard: shard.number,
            createdSeconds: description.createdAtMilliseconds / 1000
        )
    }

    /// The sequence number of a position between records: `position` is the shard-local sequence
    /// of the record after it (a shard's start, or where a subscription stands).
    func boundarySequenceNumber(_ position: UInt64, shard: ShardID, in description: StreamDescription) -> String {
        KinesisSequenceNumber.encode(
            sequence: position,
            shard: shard.number,
            createdSeconds: description.createdAtMilliseconds / 1000
        )
    }

    func shardID(_ text: String, in description: StreamDescription) throws -> ShardDescription {
        guard let id = ShardID(parsing: text), let shard = description.shards.first(where: { $0.id == id }) else {
            throw KinesisErrors.shardNotFound(text, stream: description.name.rawValue, account: account)
        }
        return shard
    }
}
