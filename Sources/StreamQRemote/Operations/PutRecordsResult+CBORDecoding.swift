import StreamQAWS

extension PutRecordsResult {
    /// Reads the common PutRecords answer straight from its bytes in `encoding` (see
    /// ``init(fastDecoding:)`` for JSON); nil for anything else, which the general decoder then reads.
    init?(fastDecoding payload: [UInt8], encoding: AWSBodyEncoding) {
        switch encoding {
        case .json: self.init(fastDecoding: payload)
        case .cbor: self.init(fastDecodingCBOR: payload)
        }
    }

    /// The CBOR answer: `FailedRecordCount`, `Records` of `{SequenceNumber, ShardId}` or
    /// `{ErrorCode, ErrorMessage}` and `EncryptionType`, in any order, ASCII strings. Shard ids
    /// are made once per run of equal ones.
    init?(fastDecodingCBOR payload: [UInt8]) {
        guard
            let result = payload.withUnsafeBytes({ bytes -> PutRecordsResult? in
                guard bytes.baseAddress != nil else { return nil }
                var scanner = CBORAnswerScanner(tokens: CBORTokenScanner(bytes: bytes))
                return scanner.result()
            })
        else { return nil }
        self = result
    }

    private struct CBORAnswerScanner {
        var tokens: CBORTokenScanner
        /// The last shard id read, as bytes and as the string shared by its entries.
        var lastShard: (bytes: [UInt8], id: String) = ([], "")

        mutating func result() -> PutRecordsResult? {
            var failed: Int?
            var entries: [Entry]?
            var encryption: String?
            guard var members = tokens.items(major: 5) else { return nil }
            while tokens.next(in: &members) {
                guard let key = tokens.textSpan() else { return nil }
                if CBORTokenScanner.span(key, equals: "FailedRecordCount") {
                    guard let count = tokens.unsigned(), count < 1 << 32 else { return nil }
                    failed = Int(count)
                } else if CBORTokenScanner.span(key, equals: "EncryptionType") {
                    encryption = tokens.asciiString()
                } else if CBORTokenScanner.span(key, equals: "Records") {
                    entries = records()
                } else {
                    return nil
                }
            }
            guard members.isComplete, tokens.isAtEnd, let failed, let entries else { return nil }
            return PutRecordsResult(failedRecordCount: failed, entries: entries, encryptionType: encryption)
        }

        private mutating func records() -> [Entry]? {
            guard var elements = tokens.items(major: 4) else { return nil }
            var entries: [Entry] = []
            entries.reserveCapacity(500)
            while tokens.next(in: &elements) {
                guard var members = tokens.items(major: 5) else { return nil }
                var sequenceNumber: String?
                var shard: String?
                var code: String?
                var message: String?
                while tokens.next(in: &members) {
                    guard let key = tokens.textSpan() else { return nil }
                    if CBORTokenScanner.span(key, equals: "SequenceNumber") {
                        sequenceNumber = tokens.asciiString()
                    } else if CBORTokenScanner.span(key, equals: "ShardId") {
                        shard = shardID()
                    } else if CBORTokenScanner.span(key, equals: "ErrorCode") {
                        code = tokens.asciiString()
                    } else if CBORTokenScanner.span(key, equals: "ErrorMessage") {
                        message = tokens.asciiString()
                    } else {
                        return nil
                    }
                }
                guard members.isComplete else { return nil }
                if let code {
                    entries.append(.failed(code: code, message: message ?? ""))
                } else if let shard, let sequenceNumber, message == nil {
                    entries.append(.stored(RecordLocation(shardID: shard, sequenceNumber: sequenceNumber)))
                } else {
                    return nil
                }
            }
            return elements.isComplete ? entries : nil
        }

        /// A shard id, the string of the previous entry's when the bytes are the same.
        private mutating func shardID() -> String? {
            guard let span = tokens.textSpan(), span.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
            if !span.elementsEqual(lastShard.bytes) {
                lastShard = (Array(span), String(decoding: span, as: UTF8.self))
            }
            return lastShard.id
        }
    }
}
