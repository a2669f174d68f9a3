import StreamQStorage

/// A record to send: the stream, the partition key that routes it, and its data.
public struct ProducerRecord: Sendable {
    public var stream: StreamName
    public var partitionKey: String
    public var explicitHashKey: HashKey?
    public var data: [UInt8]

    public init(stream: StreamName, partitionKey: String, explicitHashKey: HashKey? = nil, data: [UInt8]) {
        self.stream = stream
        self.partitionKey = partitionKey
        self.explicitHashKey = explicitHashKey
        self.data = data
    }

    public init(stream: StreamName, partitionKey: String, data: String) {
        self.init(stream: stream, partitionKey: partitionKey, data: Array(data.utf8))
    }

    var appendRecord: AppendRecord {
        AppendRecord(partitionKey: partitionKey, explicitHashKey: explicitHashKey, data: data)
    }
}

/// A send that failed for good: the error and the record concerned.
public struct ProducerError: Error, CustomStringConvertible, Sendable {
    public var record: AppendRecord
    public var stream: StreamName
    public var underlying: any Error

    public var description: String { "sending a record to '\(stream)' failed: \(underlying)" }
}
