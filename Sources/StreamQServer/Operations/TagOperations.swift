import StreamQAWS
import StreamQStorage

/// Tags on streams and consumers: AddTagsToStream, RemoveTagsFromStream, ListTagsForStream and the
/// ARN-based TagResource, UntagResource and ListTagsForResource.
extension KinesisService {
    static let maxTags = 50

    func addTagsToStream(_ input: AWSValue) async throws -> AWSValue {
        var reader = try RequestReader(input)
        let tags = try readTags(&reader, key: "Tags", required: true) ?? [:]
        let name = try streamName(&reader)
        try await addTags(tags, to: .stream(name))
        return .null
    }

    func removeTagsFromStream(_ input: AWSValue) async throws -> AWSValue {
        var reader = try RequestReader(input)
        let keys = try readTagKeys(&reader)
        let name = try streamName(&reader)
        try await removeTags(keys, from: .stream(name))
        return .null
    }

    func listTagsForStream(_ input: AWSValue) throws -> AWSValue {
        var reader = try RequestReader(input)
        let exclusiveStart = try reader.string("ExclusiveStartTagKey", length: 1...128)
        let limit = Int(try reader.integer("Limit", range: 1...50) ?? 50)
        let name = try streamName(&reader)
        var keys = try existingAttributes(name).tags.sorted { $0.key < $1.key }
        if let exclusiveStart { keys = keys.filter { $0.key > exclusiveStart } }
        let page = keys.prefix(limit)
        return .map([
            "Tags": .list(page.map { .map(["Key": .string($0.key), "Value": .string($0.value)]) }),
            "HasMoreTags": .bool(page.count < keys.count),
        ])
    }

    func tagResource(_ input: AWSValue) async throws -> AWSValue {
        var reader = try RequestReader(input)
        let tags = try readTags(&reader, key: "Tags", required: true) ?? [:]
        let resource = try self.resource(&reader)
        try await addTags(tags, to: resource)
        return .null
    }

    func untagResource(_ input: AWSValue) async throws -> AWSValue {
        var reader = try RequestReader(input)
        let keys = try readTagKeys(&reader)
        let resource = try self.resource(&reader)
        try await removeTags(keys, from: resource)
        return .null
    }

    func listTagsForResource(_ input: AWSValue) throws -> AWSValue {
        var reader = try RequestReader(input)
        let resource = try self.resource(&reader)
        let tags = try self.tags(of: resource).sorted { $0.key < $1.key }
        return .map(["Tags": .list(tags.map { .map(["Key": .string($0.key), "Value": .string($0.value)]) })])
    }

    // MARK: Helpers

    /// What an ARN-based tag operation names.
    enum TaggedResource {
        case stream(StreamName)
        case consumer(StreamName, String)

        var stream: StreamName {
            switch self {
            case .stream(let name), .consumer(let name, _): name
            }
        }
    }

    private func resource(_ reader: inout RequestReader) throws -> TaggedResource {
        let resourceARN = try reader.string("ResourceARN", required: true, length: 1...2048)
        try reader.finish()
        guard let text = resourceARN else { throw KinesisErrors.invalidArgument("ResourceARN is required.") }
        if let consumer = KinesisARN.parseConsumer(text), let name = StreamName(rawValue: consumer.stream.name) {
            return .consumer(name, consumer.consumerName)
        }
        if let stream = KinesisARN.parseStream(text), let name = StreamName(rawValue: stream.name) {
            guard stream.account == account, stream.region == region else {
                throw KinesisErrors.streamNotFound(stream.name, account: stream.account)
            }
            return .stream(name)
        }
        throw KinesisErrors.invalidArgument("ResourceARN \(text) is not a Kinesis stream or consumer ARN.")
    }

    private func tags(of resource: TaggedResource) throws -> [String: String] {
        let attributes = try existingAttributes(resource.stream)
        switch resource {
        case .stream: return attributes.tags
        case .consumer(_, let consumer):
            guard let found = attributes.consumers.first(where: { $0.name == consumer }) else {
                throw consumerNotFound(consumer, resource.stream)
            }
            return found.tags
        }
    }

    private func addTags(_ tags: [String: String], to resource: TaggedResource) async throws {
        try await changes.withLock {
            _ = try existingAttributes(resource.stream)
            try updateAttributes(resource.stream) { attributes in
                func merge(into existing: inout [String: String]) throws {
                    let merged = existing.merging(tags) { _, new in new }
                    guard merged.count <= Self.maxTags else {
                        throw KinesisErrors.invalidArgument(
                            "Failed to add tags to stream \(resource.stream) under account \(account) because a given "
                                + "stream cannot have more than \(Self.maxTags) tags associated with it."
                        )
                    }
                    existing = merged
                }
                switch resource {
                case .stream: try merge(into: &attributes.tags)
                case .consumer(_, let consumer):
                    guard let index = attributes.consumers.firstIndex(where: { $0.name == consumer }) else {
                        throw consumerNotFound(consumer, resource.stream)
                    }
                    try merge(into: &attributes.consumers[index].tags)
                }
            }
        }
    }

    private func removeTags(_ keys: [String], from resource: TaggedResource) async throws {
        try await changes.withLock {
            _ = try existingAttributes(resource.stream)
            try updateAttributes(resource.stream) { attributes in
                switch resource {
                case .stream: for key in keys { attributes.tags.removeValue(forKey: key) }
                case .consumer(_, let consumer):
                    guard let index = attributes.consumers.firstIndex(where: { $0.name == consumer }) else {
                        throw consumerNotFound(consumer, resource.stream)
                    }
                    for key in keys { attributes.consumers[index].tags.removeValue(forKey: key) }
                }
            }
        }
    }

    /// A TagMap member: 1 to 200 entries, keys 1-128 and values 0-256 characters.
    func readTags(_ reader: inout RequestReader, key: String, required: Bool) throws -> [String: String]? {
        guard let members = try reader.map(key, required: required) else { return nil }
        if members.isEmpty || members.count > 200 {
            throw AWSError(
                "ValidationException",
                "1 validation error detected: Value '{}' at '\(key.prefix(1).lowercased() + key.dropFirst())' failed to "
                    + "satisfy constraint: Member must have length \(members.isEmpty ? "greater than or equal to 1" : "less than or equal to 200")"
            )
        }
        var tags: [String: String] = [:]
        for (tagKey, value) in members {
            guard case .string(let text) = value else {
                throw KinesisErrors.serialization("expected a string tag value")
            }
            guard (1...128).contains(tagKey.count), text.count <= 256 else {
                throw AWSError(
                    "ValidationException",
                    "1 validation error detected: Value '\(tagKey)' at 'tags' failed to satisfy constraint: Map keys must "
                        + "have length 1 to 128 and values at most 256"
                )
            }
            tags[tagKey] = text
        }
        return tags
    }

    private func readTagKeys(_ reader: inout RequestReader) throws -> [String] {
        let items = try reader.list("TagKeys", required: true, count: 1...50) ?? []
        return try items.map { item in
            guard case .string(let text) = item else { throw KinesisErrors.serialization("expected a string tag key") }
            return text
        }
    }
}
