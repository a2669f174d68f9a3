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
        for (index, entry) in entries.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            switch entry {
            case .stored(let shard, let sequence):
                bytes.append(contentsOf: #"{"SequenceNumber":""#.utf8)
                KinesisSequenceNumber.append(
                    record: sequence,
                    shard: shard.number,
                    createdSeconds: createdSeconds,
                    to: &bytes
                )
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
}
