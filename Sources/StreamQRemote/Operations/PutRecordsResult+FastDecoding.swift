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

    private init(failedRecordCount: Int, entries: [Entry], encryptionType: String?) {
        self.failedRecordCount = failedRecordCount
        self.entries = entries
        self.encryptionType = encryptionType
    }

    private struct AnswerScanner {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func result() -> PutRecordsResult? {
            var failed: Int?
            var entries: [Entry]?
            var encryption: String?
            guard consume(UInt8(ascii: "{")) else { return nil }
            repeat {
                guard let key = string(), consume(UInt8(ascii: ":")) else { return nil }
                switch key {
                case "FailedRecordCount": failed = integer()
                case "EncryptionType": encryption = string()
                case "Records": entries = records()
                default: return nil
                }
            } while consume(UInt8(ascii: ","))
            guard consume(UInt8(ascii: "}")), let failed, let entries else { return nil }
            skipWhitespace()
            guard index == bytes.count else { return nil }
            return PutRecordsResult(failedRecordCount: failed, entries: entries, encryptionType: encryption)
        }

        private mutating func records() -> [Entry]? {
            guard consume(UInt8(ascii: "[")) else { return nil }
            var entries: [Entry] = []
            if consume(UInt8(ascii: "]")) { return entries }
            repeat {
                guard consume(UInt8(ascii: "{")) else { return nil }
                var fields: [String: String] = [:]
                repeat {
                    guard let key = string(), consume(UInt8(ascii: ":")), let value = string() else { return nil }
                    fields[key] = value
                } while consume(UInt8(ascii: ","))
                guard consume(UInt8(ascii: "}")) else { return nil }
                if let code = fields["ErrorCode"] {
                    entries.append(.failed(code: code, message: fields["ErrorMessage"] ?? ""))
                } else if let shard = fields["ShardId"], let sequence = fields["SequenceNumber"], fields.count == 2 {
                    entries.append(.stored(RecordLocation(shardID: shard, sequenceNumber: sequence)))
                } else {
                    return nil
                }
            } while consume(UInt8(ascii: ","))
            return consume(UInt8(ascii: "]")) ? entries : nil
        }

        /// A string without escapes (nil for one with any).
        private mutating func string() -> String? {
            guard consume(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                    index += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                index += 1
            }
            return nil
        }

        private mutating func integer() -> Int? {
            skipWhitespace()
            var value = 0
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39, index - start < 9 {
                value = value * 10 + Int(bytes[index] - 0x30)
                index += 1
            }
            return index > start ? value : nil
        }

        private mutating func consume(_ byte: UInt8) -> Bool {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        private mutating func skipWhitespace() {
            while index < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[index]) { index += 1 }
        }
    }
}
