import StreamQAWS
import StreamQStorage

/// PutRecords' answer: one entry per record, in request order, stored or failed.
struct PutRecordsOutcome {
    enum Entry {
        /// Stored at shard-local `sequence` (clients see its number, sequence + 1).
        case stored(shard: ShardID, sequence: UInt64)
        case failed(code: String, message: String)
    }

    var entries: [Entry]
    var createdSeconds: Int64
    var encryptionType: String

    var failedCount: Int {
        entries.reduce(0) { count, entry in
            if case .failed = entry { return count + 1 }
            return count
        }
    }

    /// The answer as a value, for any encoding.
    var value: AWSValue {
        .map([
            "FailedRecordCount": .integer(Int64(failedCount)),
            "Records": .list(
                entries.map { entry in
                    switch entry {
                    case .stored(let shard, let sequence):
                        .map([
                            "SequenceNumber": .string(
                                KinesisSequenceNumber.encode(
                                    record: sequence,
                                    shard: shard.number,
                                    createdSeconds: createdSeconds
                                )
                            ),
                            "ShardId": .string(shard.description),
                        ])
                    case .failed(let code, let message):
                        .map(["ErrorCode": .string(code), "ErrorMessage": .string(message)])
                    }
                }
            ),
            "EncryptionType": .string(encryptionType),
        ])
    }

    /// The answer in AWS JSON 1.1, written directly: the hot path's response.
    var json: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 + entries.count * 110)
        bytes.append(contentsOf: #"{"FailedRecordCount":"#.utf8)
        bytes.append(contentsOf: String(failedCount).utf8)
        bytes.append(contentsOf: #","Records":["#.utf8)
        var shardNames: [ShardID: [UInt8]] = [:]  // "shardId-000000000001" formatted once per shard
        var sequenceDigits = KinesisSequenceNumberDigits()
        for (index, entry) in entries.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            switch entry {
            case .stored(let shard, let sequence):
                bytes.append(contentsOf: #"{"SequenceNumber":""#.utf8)
                sequenceDigits.append(record: sequence, shard: shard.number, createdSeconds: createdSeconds, to: &bytes)
                bytes.append(contentsOf: #"","ShardId":""#.utf8)
                if let name = shardNames[shard] {
                    bytes.append(contentsOf: name)
                } else {
                    let name = Array(shard.description.utf8)
                    shardNames[shard] = name
                    bytes.append(contentsOf: name)
                }
                bytes.append(contentsOf: #""}"#.utf8)
            case .failed(let code, let message):
                AWSJSON.encode(.map(["ErrorCode": .string(code), "ErrorMessage": .string(message)]), into: &bytes)
            }
        }
        bytes.append(contentsOf: #"],"EncryptionType":""#.utf8)
        bytes.append(contentsOf: encryptionType.utf8)
        bytes.append(contentsOf: #""}"#.utf8)
        return bytes
    }

    /// The answer in CBOR 1.1, written directly: what ``AWSCBOR`` writes for ``value`` (keys in
    /// sorted order), without a value tree.
    var cbor: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64 + entries.count * 96)
        AWSCBOR.appendHead(major: 5, 3, to: &bytes)
        Self.appendText("EncryptionType", to: &bytes)
        Self.appendText(encryptionType, to: &bytes)
        Self.appendText("FailedRecordCount", to: &bytes)
        AWSCBOR.appendHead(major: 0, UInt64(failedCount), to: &bytes)
        Self.appendText("Records", to: &bytes)
        AWSCBOR.appendHead(major: 4, UInt64(entries.count), to: &bytes)
        // `"ShardId": "shardId-000000000001"` of the entry before, made again only when the shard changes.
        var shardMember: (shard: ShardID, bytes: [UInt8])?
        var sequenceDigits = KinesisSequenceNumberDigits()
        for entry in entries {
            switch entry {
            case .stored(let shard, let sequence):
                Self.storedEntryStart.withUnsafeBufferPointer { bytes.append(contentsOf: $0) }
                // The text head's one-byte length (the shortest form for the 56 or 57 digits),
                // filled in once the digits are written straight into the body.
                let lengthIndex = bytes.count - 1
                sequenceDigits.append(record: sequence, shard: shard.number, createdSeconds: createdSeconds, to: &bytes)
                bytes[lengthIndex] = UInt8(bytes.count - lengthIndex - 1)
                if shardMember?.shard != shard {
                    var member: [UInt8] = []
                    Self.appendText("ShardId", to: &member)
                    Self.appendText(shard.description, to: &member)
                    shardMember = (shard, member)
                }
                shardMember!.bytes.withUnsafeBufferPointer { bytes.append(contentsOf: $0) }
            case .failed(let code, let message):
                AWSCBOR.encode(.map(["ErrorCode": .string(code), "ErrorMessage": .string(message)]), into: &bytes)
            }
        }
        return bytes
    }

    /// A stored entry up to its sequence number's digits: a map of two, the text `SequenceNumber`,
    /// and a text head whose one-byte length follows (0x78, then the length).
    private static let storedEntryStart: [UInt8] = {
        var bytes: [UInt8] = []
        AWSCBOR.appendHead(major: 5, 2, to: &bytes)
        appendText("SequenceNumber", to: &bytes)
        bytes.append(contentsOf: [0x60 | 24, 0])
        return bytes
    }()

    /// The answer in `encoding`.
    func encoded(_ encoding: AWSBodyEncoding) -> [UInt8] {
        switch encoding {
        case .json: json
        case .cbor: cbor
        }
    }

    private static func appendText(_ text: String, to bytes: inout [UInt8]) {
        AWSCBOR.appendHead(major: 3, UInt64(text.utf8.count), to: &bytes)
        bytes.append(contentsOf: text.utf8)
    }
}
