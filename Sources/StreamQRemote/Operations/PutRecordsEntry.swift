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

    /// A PutRecords body in `encoding`, written directly (the client's hot path: no value tree).
    static func requestBody(
        _ stream: KinesisStreamReference,
        _ records: [PutRecordsEntry],
        encoding: AWSBodyEncoding
    ) -> [UInt8] {
        switch encoding {
        case .json: jsonBody(stream, records)
        case .cbor: cborBody(stream, records)
        }
    }

    /// A PutRecords body in AWS JSON 1.1: base64 straight into the body.
    static func jsonBody(_ stream: KinesisStreamReference, _ records: [PutRecordsEntry]) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(64 + records.reduce(0) { $0 + $1.data.count * 4 / 3 + $1.partitionKey.utf8.count + 48 })
        let member = stream.member
        AWSJSON.encode(.map([member.key: member.value]), into: &body)
        body.removeLast()  // the closing brace: Records follows
        body.append(contentsOf: #","Records":["#.utf8)
        for (index, record) in records.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: #"{"Data":""#.utf8)
            Base64.encode(record.data, into: &body)
            body.append(contentsOf: #"","PartitionKey":"#.utf8)
            AWSJSON.encode(.string(record.partitionKey), into: &body)
            if let explicitHashKey = record.explicitHashKey {
                body.append(contentsOf: #","ExplicitHashKey":"#.utf8)
                AWSJSON.encode(.string(explicitHashKey), into: &body)
            }
            body.append(UInt8(ascii: "}"))
        }
        body.append(contentsOf: "]}".utf8)
        return body
    }

    /// A PutRecords body in CBOR 1.1: each record's data as a byte string, copied as it is.
    static func cborBody(_ stream: KinesisStreamReference, _ records: [PutRecordsEntry]) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(64 + records.reduce(0) { $0 + $1.data.count + $1.partitionKey.utf8.count + 40 })
        let member = stream.member
        AWSCBOR.appendHead(major: 5, 2, to: &body)
        AWSCBOR.encode(.string(member.key), into: &body)
        AWSCBOR.encode(member.value, into: &body)
        appendText("Records", to: &body)
        AWSCBOR.appendHead(major: 4, UInt64(records.count), to: &body)
        for record in records {
            AWSCBOR.appendHead(major: 5, record.explicitHashKey == nil ? 2 : 3, to: &body)
            appendText("Data", to: &body)
            AWSCBOR.appendHead(major: 2, UInt64(record.data.count), to: &body)
            body.append(contentsOf: record.data)
            appendText("PartitionKey", to: &body)
            appendText(record.partitionKey, to: &body)
            if let explicitHashKey = record.explicitHashKey {
                appendText("ExplicitHashKey", to: &body)
                appendText(explicitHashKey, to: &body)
            }
        }
        return body
    }

    private static func appendText(_ text: String, to body: inout [UInt8]) {
        AWSCBOR.appendHead(major: 3, UInt64(text.utf8.count), to: &body)
        body.append(contentsOf: text.utf8)
    }
}
