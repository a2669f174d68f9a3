import ArgumentParser
import Logging
import ServiceLifecycle
import StreamQClient
import StreamQJSON
import StreamQRemote
import StreamQStorage
import UnixSignals

/// `streamq read`: print a stream's records.
struct Read: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "read",
        abstract: "Print a stream's records, one per line.",
        discussion: """
            Without --shard every shard is read, parents before children. --from takes trim-horizon (default), \
            latest, at:SEQ, after:SEQ (a sequence number names its shard) or time:ISO8601. Reading never \
            blocks a writer: read runs beside `streamq put` on the same data directory.

            With --endpoint, --consumer NAME reads through enhanced fan-out: the consumer is registered on the \
            stream if absent and each open shard's records are pushed by SubscribeToShard as they are stored, \
            instead of polled. One reader per consumer name and shard at a time.
            """
    )

    @OptionGroup var store: StoreOptions
    @Argument var name: String
    @Option(help: "Where to start: trim-horizon, latest, at:SEQ, after:SEQ, time:ISO8601.") var from: String =
        "trim-horizon"
    @Option(help: "Read only this shard.") var shard: String?
    @Option(help: "Stop after this many records.") var limit: Int?
    @Flag(help: "Keep printing new records as they are stored, until interrupted.") var follow = false
    @Option(
        help:
            "Read as a member of this consumer group: shards are shared with other members and each run continues after the last one's checkpoint."
    )
    var group: String?
    @Option(
        help:
            "With --endpoint: read through this enhanced fan-out consumer (registered if absent): records are pushed as they are stored instead of polled."
    )
    var consumer: String?
    @Flag(help: "Print each record as JSON with its shard, sequence number, partition key and arrival time.")
    var json = false

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit must be positive") }
        if group != nil && shard != nil {
            throw ValidationError("--group reads the shards the group assigns; drop --shard")
        }
        if consumer != nil && shard != nil {
            throw ValidationError("--consumer reads every shard; drop --shard")
        }
    }

    func run() async throws {
        let name = try streamName(name)
        if let endpoint = store.remoteEndpoint {
            try await readRemotely(endpoint, name)
            return
        }
        guard consumer == nil else {
            throw CommandFailure("--consumer reads through enhanced fan-out of a Kinesis endpoint: give --endpoint")
        }
        let start = try StartSpec(parsing: from)
        let onlyShard = try shard.map(shardID)
        let json = json
        let limit = limit ?? Int.max
        try await store.withEngine(mode: .readOnly) { engine in
            var output = RecordPrinter(json: json, flushEachRecord: follow)
            if onlyShard != nil || start.sequenceShard != nil {
                try await readOneShard(
                    engine.store,
                    name,
                    shard: onlyShard ?? start.sequenceShard!,
                    start: start,
                    limit: limit,
                    output: &output
                )
            } else {
                let consumer = try engine.makeConsumer(configuration: consumerConfiguration(name, start: start))
                try await readWithConsumer(consumer, limit: limit, output: &output)
            }
            output.flush()
        }
    }

    /// Every shard (or `--shard`) through GetShardIterator and GetRecords at `endpoint`; with
    /// `--group` or `--consumer`, through a consumer over ``KinesisBackend`` (its group keeping
    /// leases and checkpoints in `--state-dir`; reading through enhanced fan-out with `--consumer`).
    private func readRemotely(_ endpoint: String, _ name: StreamName) async throws {
        if group != nil || consumer != nil {
            let start = try StartSpec(parsing: from)
            guard start.sequenceShard == nil else {
                throw CommandFailure(
                    "--group and --consumer start at trim-horizon, latest or a time, not at a sequence number"
                )
            }
            let groupsDirectory = try group.map { _ in
                try store.localStateDirectory() + "/streams/\(name.rawValue)/groups"
            }
            var backendConfiguration = KinesisBackendConfiguration()
            backendConfiguration.consumerName = consumer
            let (json, follow, limit) = (json, follow, limit ?? Int.max)
            try await store.withRemote(endpoint) { client in
                let consumer = try StreamQConsumer(
                    backend: KinesisBackend(client: client, configuration: backendConfiguration),
                    configuration: consumerConfiguration(name, start: start),
                    groupsDirectory: groupsDirectory
                )
                var output = RecordPrinter(json: json, flushEachRecord: follow)
                try await readWithConsumer(consumer, limit: limit, output: &output)
            }
            return
        }
        let position = try remotePosition(from)
        if case .atSequenceNumber = position, shard == nil {
            throw CommandFailure("--from at:SEQ or after:SEQ needs --shard with --endpoint")
        }
        if case .afterSequenceNumber = position, shard == nil {
            throw CommandFailure("--from at:SEQ or after:SEQ needs --shard with --endpoint")
        }
        let onlyShard = try shard.map { try shardID($0).description }
        let (json, follow, limit) = (json, follow, limit ?? Int.max)
        try await store.withRemote(endpoint) { client in
            var output = RecordPrinter(json: json, flushEachRecord: follow)
            let reader = RemoteRead(
                client: client,
                stream: name.rawValue,
                start: position,
                onlyShard: onlyShard,
                follow: follow,
                limit: limit
            )
            try await reader.run(&output)
        }
    }

    /// `--from` for a Kinesis endpoint, whose sequence numbers are the service's own decimals.
    private func remotePosition(_ text: String) throws -> ShardPosition {
        switch text {
        case "trim-horizon", "trim_horizon", "TRIM_HORIZON": return .trimHorizon
        case "latest", "LATEST": return .latest
        default:
            if text.hasPrefix("at:") { return .atSequenceNumber(String(text.dropFirst(3))) }
            if text.hasPrefix("after:") { return .afterSequenceNumber(String(text.dropFirst(6))) }
            if text.hasPrefix("time:") {
                return .atTimestamp(milliseconds: try parseTimestamp(String(text.dropFirst(5))))
            }
            throw CommandFailure(
                "--from must be trim-horizon, latest, at:SEQ, after:SEQ or time:ISO8601, got '\(text)'"
            )
        }
    }

    /// How `read` consumes every shard: from `--from`, following or not, in `--group` or alone.
    private func consumerConfiguration(_ name: StreamName, start: StartSpec) -> StreamQConsumerConfiguration {
        var configuration = StreamQConsumerConfiguration(stream: name)
        configuration.startingPosition = start.position(for: ShardID(0))
        configuration.follow = follow
        if let group { configuration.group = ConsumerGroupConfiguration(name: group) }
        return configuration
    }

    /// Every shard through a consumer: lineage order, follow and groups.
    private func readWithConsumer(
        _ consumer: StreamQConsumer,
        limit: Int,
        output: inout RecordPrinter
    ) async throws {
        // Ctrl-C or SIGTERM stops the consumer gracefully (a group member commits first); the
        // group ends when the consumer does.
        let services = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: consumer, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: Logger(label: "streamq.read")
            )
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await services.run() }
            var count = 0
            for try await record in consumer.records {
                output.write(record)
                count += 1
                if count >= limit {
                    if group != nil { try await consumer.commit(record) }
                    consumer.stop()
                    break
                }
            }
            output.flush()
            try await tasks.waitForAll()
        }
    }

    /// One shard from any position, optionally following it.
    private func readOneShard(
        _ store: StreamStore,
        _ name: StreamName,
        shard: ShardID,
        start: StartSpec,
        limit: Int,
        output: inout RecordPrinter
    ) async throws {
        var remaining = limit
        var cursor: ShardCursor? = try store.cursor(stream: name, shard: shard, at: start.position(for: shard))
        while let current = cursor, remaining > 0 {
            let result = try store.read(current, maxRecords: min(remaining, 10_000))
            for record in result.records { output.write(record) }
            remaining -= result.records.count
            cursor = result.next
            if result.records.isEmpty, let next = result.next {
                guard follow else { break }
                output.flush()
                try await store.waitForRecords(at: next, timeout: .seconds(1))
            }
        }
    }
}

/// Writes records to stdout, raw or as JSON lines.
struct RecordPrinter {
    let json: Bool
    let flushEachRecord: Bool
    private var output = OutputBuffer()

    init(json: Bool, flushEachRecord: Bool) {
        self.json = json
        self.flushEachRecord = flushEachRecord
    }

    mutating func flush() { output.flush() }

    mutating func write(_ record: StoredRecord) {
        write(
            data: record.data,
            shard: record.sequenceNumber.shard.description,
            sequenceNumber: record.sequenceNumber.description,
            sequence: record.sequenceNumber.sequence,
            partitionKey: record.partitionKey,
            arrivalMilliseconds: record.arrivalMilliseconds
        )
    }

    /// A record read through the Kinesis API (`--endpoint`): its sequence number is the service's.
    mutating func write(_ record: KinesisRecord, shard: String) {
        write(
            data: record.data,
            shard: shard,
            sequenceNumber: record.sequenceNumber,
            sequence: nil,
            partitionKey: record.partitionKey,
            arrivalMilliseconds: record.approximateArrivalMilliseconds
        )
    }

    /// Prints a record, or each user record of a KPL aggregate (as KCL hands them out), with its
    /// sub-sequence number in JSON.
    private mutating func write(
        data: [UInt8],
        shard: String,
        sequenceNumber: String,
        sequence: UInt64?,
        partitionKey: String,
        arrivalMilliseconds: Int64?
    ) {
        guard data.starts(with: KPLAggregate.magic), let users = KPLAggregate.decode(data) else {
            write(data, shard, sequenceNumber, sequence, nil, partitionKey, arrivalMilliseconds)
            return
        }
        for (index, user) in users.enumerated() {
            write(user.data, shard, sequenceNumber, sequence, index, user.partitionKey, arrivalMilliseconds)
        }
    }

    private mutating func write(
        _ data: [UInt8],
        _ shard: String,
        _ sequenceNumber: String,
        _ sequence: UInt64?,
        _ subSequenceNumber: Int?,
        _ partitionKey: String,
        _ arrivalMilliseconds: Int64?
    ) {
        if json {
            output.append(#"{"shard":"\#(shard)","sequenceNumber":"\#(sequenceNumber)","#)
            if let sequence { output.append(#""sequence":\#(sequence),"#) }
            if let subSequenceNumber { output.append(#""subSequenceNumber":\#(subSequenceNumber),"#) }
            output.append(#""partitionKey":"#)
            JSONString.append(partitionKey.utf8, to: &output.bytes)
            if let arrivalMilliseconds { output.append(#","arrival":"\#(formatTimestamp(arrivalMilliseconds))""#) }
            if let text = String(validating: data, as: UTF8.self) {
                output.append(#","data":"#)
                JSONString.append(text.utf8, to: &output.bytes)
            } else {
                output.append(#","dataBase64":""# + base64(data) + "\"")
            }
            output.append("}\n")
        } else {
            output.bytes.append(contentsOf: data)
            output.bytes.append(0x0A)
        }
        if flushEachRecord { output.flush() } else { output.flushIfLarge() }
    }
}

/// A parsed `--from`.
struct StartSpec {
    enum Kind {
        case trimHorizon, latest
        case at(SequenceNumber)
        case after(SequenceNumber)
        case time(Int64)
    }
    var kind: Kind

    init(parsing text: String) throws {
        switch text {
        case "trim-horizon", "trim_horizon", "TRIM_HORIZON": kind = .trimHorizon
        case "latest", "LATEST": kind = .latest
        default:
            if text.hasPrefix("at:") || text.hasPrefix("after:") {
                let isAt = text.hasPrefix("at:")
                let digits = String(text.dropFirst(isAt ? 3 : 6))
                guard let number = SequenceNumber(digits) else {
                    throw CommandFailure("'\(digits)' is not a sequence number")
                }
                kind = isAt ? .at(number) : .after(number)
            } else if text.hasPrefix("time:") {
                kind = .time(try parseTimestamp(String(text.dropFirst(5))))
            } else {
                throw CommandFailure(
                    "--from must be trim-horizon, latest, at:SEQ, after:SEQ or time:ISO8601, got '\(text)'"
                )
            }
        }
    }

    /// The shard a sequence-number start names, if any.
    var sequenceShard: ShardID? {
        switch kind {
        case .at(let number), .after(let number): number.shard
        default: nil
        }
    }

    func position(for shard: ShardID) -> StartingPosition {
        switch kind {
        case .trimHorizon: .trimHorizon
        case .latest: .latest
        case .at(let number): .atSequence(number)
        case .after(let number): .afterSequence(number)
        case .time(let time): .atTimestamp(time)
        }
    }
}

/// Standard base64 with padding.
func base64(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var output: [UInt8] = []
    var index = 0
    while index < bytes.count {
        let chunk = bytes[index..<min(index + 3, bytes.count)]
        var value = UInt32(0)
        for (offset, byte) in chunk.enumerated() { value |= UInt32(byte) << (16 - 8 * offset) }
        for position in 0..<4 {
            output.append(
                position <= chunk.count ? alphabet[Int((value >> (18 - 6 * position)) & 0x3F)] : UInt8(ascii: "=")
            )
        }
        index += 3
    }
    return String(decoding: output, as: UTF8.self)
}
