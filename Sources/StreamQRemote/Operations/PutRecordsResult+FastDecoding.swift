import StreamQAWS

extension PutRecordsResult {
    /// Reads the common PutRecords answer straight from its bytes: `FailedRecordCount`, `Records`
    /// of `{SequenceNumber, ShardId}` or `{ErrorCode, ErrorMessage}` and `EncryptionType`, in any
    /// order, strings without escapes. Nil for anything else, which the general decoder then reads
    /// (the client's hot path: no value tree for 500 entries).
    init?(fastDecoding payload: [UInt8]) {
        guard
            let result = payload.withUnsafeBytes({ bytes -> PutRecordsResult? in
                guard bytes.baseAddress != nil else { return nil }
                var scanner = AnswerScanner(bytes: bytes)
                return scanner.result()
            })
        else { return nil }
        self = result
    }

    init(failedRecordCount: Int, entries: [Entry], encryptionType: String?) {
        self.failedRecordCount = failedRecordCount
        self.entries = entries
        self.encryptionType = encryptionType
    }

    private struct AnswerScanner {
        var tokens: JSONTokenScanner

        init(bytes: UnsafeRawBufferPointer) { tokens = JSONTokenScanner(bytes: bytes) }

        mutating func result() -> PutRecordsResult? {
            var failed: Int?
            var entries: [Entry]?
            var encryption: String?
            guard tokens.consume(UInt8(ascii: "{")) else { return nil }
            repeat {
                guard let key = tokens.plainString(), tokens.consume(UInt8(ascii: ":")) else { return nil }
                switch key {
                case "FailedRecordCount": failed = tokens.smallInteger()
                case "EncryptionType": encryption = tokens.plainString()
                case "Records": entries = records()
                default: return nil
                }
            } while tokens.consume(UInt8(ascii: ","))
            guard tokens.consume(UInt8(ascii: "}")), tokens.isAtEnd(), let failed, let entries else { return nil }
            return PutRecordsResult(failedRecordCount: failed, entries: entries, encryptionType: encryption)
        }

        private mutating func records() -> [Entry]? {
            guard tokens.consume(UInt8(ascii: "[")) else { return nil }
            var entries: [Entry] = []
            if tokens.consume(UInt8(ascii: "]")) { return entries }
            repeat {
                guard tokens.consume(UInt8(ascii: "{")) else { return nil }
                var sequence: String?
                var shard: String?
                var code: String?
                var message: String?
                repeat {
                    guard let key = tokens.plainString(), tokens.consume(UInt8(ascii: ":")),
                        let value = tokens.plainString()
                    else { return nil }
                    switch key {
                    case "SequenceNumber": sequence = value
                    case "ShardId": shard = value
                    case "ErrorCode": code = value
                    case "ErrorMessage": message = value
                    default: return nil
                    }
                } while tokens.consume(UInt8(ascii: ","))
                guard tokens.consume(UInt8(ascii: "}")) else { return nil }
                if let code {
                    entries.append(.failed(code: code, message: message ?? ""))
                } else if let shard, let sequence, message == nil {
                    entries.append(.stored(RecordLocation(shardID: shard, sequenceNumber: sequence)))
                } else {
                    return nil
                }
            } while tokens.consume(UInt8(ascii: ","))
            return tokens.consume(UInt8(ascii: "]")) ? entries : nil
        }
    }
}
