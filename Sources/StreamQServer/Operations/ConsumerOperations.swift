import StreamQAWS
import StreamQStorage

/// Enhanced fan-out consumers: RegisterStreamConsumer, DescribeStreamConsumer, ListStreamConsumers
/// and DeregisterStreamConsumer. SubscribeToShard is in the HTTP layer: it streams its answer.
extension KinesisService {
    static let maxConsumers = 20

    func registerStreamConsumer(_ input: AWSValue) async throws -> AWSValue {
        var reader = try RequestReader(input)
        let consumerName = try reader.string("ConsumerName", required: true, length: 1...128, pattern: .name)
        let tags = try readTags(&reader, key: "Tags", required: false)
        let name = try streamName(&reader, arnOnly: true)
        let consumer = try await changes.withLock {
            let attributes = try existingAttributes(name)
            if attributes.consumers.contains(where: { $0.name == consumerName }) {
                throw AWSError(
                    "ResourceInUseException",
                    "Consumer \(consumerName!) under stream \(name) already exists for account \(account)."
                )
            }
            guard attributes.consumers.count < Self.maxConsumers else {
                throw KinesisErrors.limitExceeded(
                    "Stream \(name) under account \(account) already has \(Self.maxConsumers) registered consumers."
                )
            }
            let consumer = StreamAttributes.RegisteredConsumer(
                name: consumerName!,
                createdMilliseconds: now() / 1000 * 1000,
                tags: tags ?? [:]
            )
            try updateAttributes(name) { $0.consumers.append(consumer) }
            return consumer
        }
        return .map(["Consumer": consumerValue(consumer, stream: name, withStream: false)])
    }

    func describeStreamConsumer(_ input: AWSValue) throws -> AWSValue {
        var reader = try RequestReader(input)
        let (name, consumer) = try self.consumer(&reader)
        return .map(["ConsumerDescription": consumerValue(consumer, stream: name, withStream: true)])
    }

    func listStreamConsumers(_ input: AWSValue) throws -> AWSValue {
        var reader = try RequestReader(input)
        let maxResults = Int(try reader.integer("MaxResults", range: 1...10000) ?? 100)
        let nextToken = try reader.string("NextToken", length: 1...1_048_576)
        _ = try reader.timestamp("StreamCreationTimestamp")
        let name = try streamName(&reader, arnOnly: true)
        var consumers = try existingAttributes(name).consumers.sorted { $0.name < $1.name }
        if let nextToken {
            let fields = try openToken(.listConsumers, nextToken)
            guard fields.count == 2, case .text(let stream) = fields[0], stream == name.rawValue,
                case .text(let last) = fields[1]
            else { throw KinesisErrors.invalidArgument("Invalid NextToken.") }
            consumers = consumers.filter { $0.name > last }
        }
        let page = consumers.prefix(maxResults)
        var output: [String: AWSValue] = [
            "Consumers": .list(page.map { consumerValue($0, stream: name, withStream: false) })
        ]
        if page.count < consumers.count, let last = page.last {
            output["NextToken"] = .string(
                tokens.seal(.listConsumers, [.text(name.rawValue), .text(last.name)], now: now())
            )
        }
        return .map(output)
    }

    func deregisterStreamConsumer(_ input: AWSValue) async throws -> AWSValue {
        var reader = try RequestReader(input)
        let (name, consumer) = try self.consumer(&reader)
        try await changes.withLock {
            try updateAttributes(name) { attributes in attributes.consumers.removeAll { $0.name == consumer.name } }
        }
        return .null
    }

    // MARK: Helpers

    /// The consumer named by ConsumerARN, or by StreamARN and ConsumerName.
    func consumer(_ reader: inout RequestReader) throws -> (StreamName, StreamAttributes.RegisteredConsumer) {
        let consumerARN = try reader.string("ConsumerARN", length: 1...2048, pattern: .consumerARN)
        let consumerName = try reader.string("ConsumerName", length: 1...128, pattern: .name)
        let streamARN = try reader.string("StreamARN", length: 1...2048, pattern: .streamARN)
        try reader.finish()
        let stream: KinesisARN.Stream
        let wanted: String
        var created: Int64?
        if let consumerARN, let parsed = KinesisARN.parseConsumer(consumerARN) {
            stream = parsed.stream
            wanted = parsed.consumerName
            created = parsed.createdSeconds
        } else if let streamARN, let consumerName, let parsed = KinesisARN.parseStream(streamARN) {
            stream = parsed
            wanted = consumerName
        } else {
            throw KinesisErrors.invalidArgument(
                "Either ConsumerARN or both ConsumerName and StreamARN must be provided."
            )
        }
        guard stream.account == account, stream.region == region, let name = StreamName(rawValue: stream.name) else {
            throw KinesisErrors.streamNotFound(stream.name, account: stream.account)
        }
        guard let found = try existingAttributes(name).consumers.first(where: { $0.name == wanted }),
            created == nil || created == found.createdMilliseconds / 1000
        else { throw consumerNotFound(wanted, name) }
        return (name, found)
    }

    func consumerNotFound(_ consumer: String, _ stream: StreamName) -> AWSError {
        AWSError(
            "ResourceNotFoundException",
            "Consumer \(consumer) under stream \(stream) not found for account \(account)."
        )
    }

    func consumerARN(_ consumer: StreamAttributes.RegisteredConsumer, stream: StreamName) -> String {
        KinesisARN.consumer(
            consumer.name,
            stream: stream.rawValue,
            createdSeconds: consumer.createdMilliseconds / 1000,
            region: region,
            account: account
        )
    }

    private func consumerValue(
        _ consumer: StreamAttributes.RegisteredConsumer,
        stream: StreamName,
        withStream: Bool
    )
        -> AWSValue
    {
        var value: [String: AWSValue] = [
            "ConsumerName": .string(consumer.name),
            "ConsumerARN": .string(consumerARN(consumer, stream: stream)),
            "ConsumerStatus": .string("ACTIVE"),
            "ConsumerCreationTimestamp": .timestamp(milliseconds: consumer.createdMilliseconds),
        ]
        if withStream { value["StreamARN"] = .string(arn(stream)) }
        return .map(value)
    }
}
