/// A record inside a KPL aggregate: what the producer put, before aggregation.
public struct UserRecord: Sendable, Equatable {
    public var partitionKey: String
    /// A decimal hash key that replaces the partition key's MD5 in choosing the shard.
    public var explicitHashKey: String?
    public var data: [UInt8]

    public init(partitionKey: String, explicitHashKey: String? = nil, data: [UInt8]) {
        self.partitionKey = partitionKey
        self.explicitHashKey = explicitHashKey
        self.data = data
    }
}
