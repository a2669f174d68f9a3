import StreamQAWS

/// One record to put: data, partition key, and optionally an explicit hash key (decimal) that
/// replaces the key's MD5 in choosing the shard.
public struct PutRecordsEntry: Sendable, Equatable {
    public var data: [UInt8]
    public var partitionKey: String
    public var explicitHashKey: String?

    public init(data: [UInt8], partitionKey: String, explicitHashKey: String? = nil) {
        self.data = data
        self.partitionKey = partitionKey
        self.explicitHashKey = explicitHashKey
    }

    /// What the entry counts against the PutRecords request limit: data plus partition key bytes.
    public var size: Int { data.count + partitionKey.utf8.count }

    var value: AWSValue {
        var members: [String: AWSValue] = ["Data": .blob(data), "PartitionKey": .string(partitionKey)]
        if let explicitHashKey { members["ExplicitHashKey"] = .string(explicitHashKey) }
        return .map(members)
    }
}
