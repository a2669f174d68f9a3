import StreamQAWS

extension GetRecordsOutput {
    /// Reads the common GetRecords answer straight from its bytes: `Records` of
    /// `{ApproximateArrivalTimestamp, Data, EncryptionType, PartitionKey, SequenceNumber}` in any
    /// order, `MillisBehindLatest` and `NextShardIterator`, strings without escapes. Nil for
    /// anything else (`ChildShards`, escapes, members it does not know), which the general decoder
    /// then reads: the hot path of polling consumers and remote queries, with no value tree for
    /// 10,000 records.
    init?(fastDecoding payload: [UInt8]) {
        guard
            let output = payload.withUnsafeBytes({ bytes -> GetRecordsOutput? in
                guard bytes.baseAddress != nil else { return nil }
                var scanner = AnswerScanner(tokens: JSONTokenScanner(bytes: bytes))
                return scanner.output()
            })
        else { return nil }
        self = output
    }

    init(records: [KinesisRecord], nextShardIterator: String, millisBehindLatest: Int64?) {
        self.records = records
        self.nextShardIterator = nextShardIterator
        self.millisBehindLatest = millisBehindLatest
        self.childShards = []
    }

    private struct AnswerScanner {
        var tokens: JSONTokenScanner

        mutating func output() -> GetRecordsOutput? {
            var records: [KinesisRecord]?
            var next: String?
            var behind: Int64?
            guard tokens.consume(UInt8(ascii: "{")) else { return nil }
            repeat {
                guard let key = tokens.plainString(), tokens.consume(UInt8(ascii: ":")) else { return nil }
                switch key {
                case "Records": records = self.records()
                case "NextShardIterator": next = tokens.plainString()
                case "MillisBehindLatest": behind = tokens.smallInteger().map(Int64.init)
                default: return nil
                }
            } while tokens.consume(UInt8(ascii: ","))
            guard tokens.consume(UInt8(ascii: "}")), tokens.isAtEnd(), let records, let next else { return nil }
            return GetRecordsOutput(records: records, nextShardIterator: next, millisBehindLatest: behind)
        }

        private mutating func records() -> [KinesisRecord]? {
            guard tokens.consume(UInt8(ascii: "[")) else { return nil }
            var records: [KinesisRecord] = []
            if tokens.consume(UInt8(ascii: "]")) { return records }
            repeat {
                guard let record = record() else { return nil }
                records.append(record)
            } while tokens.consume(UInt8(ascii: ","))
            return tokens.consume(UInt8(ascii: "]")) ? records : nil
        }

        private mutating func record() -> KinesisRecord? {
            guard tokens.consume(UInt8(ascii: "{")) else { return nil }
            var sequenceNumber: String?
            var arrival: Int64?
            var data: [UInt8]?
            var partitionKey: String?
            var encryption: String?
            repeat {
                guard let key = tokens.plainString(), tokens.consume(UInt8(ascii: ":")) else { return nil }
                switch key {
                case "SequenceNumber": sequenceNumber = tokens.plainString()
                case "ApproximateArrivalTimestamp":
                    guard let milliseconds = epochMilliseconds() else { return nil }
                    arrival = milliseconds
                case "Data": data = tokens.quotedSpan().flatMap { Base64.decode($0) }
                case "PartitionKey": partitionKey = tokens.plainString()
                case "EncryptionType": encryption = tokens.plainString()
                default: return nil
                }
            } while tokens.consume(UInt8(ascii: ","))
            guard tokens.consume(UInt8(ascii: "}")), let sequenceNumber, let data, let partitionKey else { return nil }
            return KinesisRecord(
                sequenceNumber: sequenceNumber,
                approximateArrivalMilliseconds: arrival,
                data: data,
                partitionKey: partitionKey,
                encryptionType: encryption
            )
        }

        /// Epoch seconds as a JSON number in ms: `1767225600` or `1767225600.25` read digit by
        /// digit (what streamq serve writes), anything else (AWS's `1.76722560025E9`) as a Double.
        private mutating func epochMilliseconds() -> Int64? {
            tokens.skipWhitespace()
            let bytes = tokens.bytes
            let start = tokens.index
            var end = start
            var milliseconds: Int64 = 0
            var fractionDigits = -1  // -1: no '.' seen
            var plain = true
            while end < bytes.count {
                let byte = bytes[end]
                if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                    if fractionDigits < 3 && end - start < 16 {
                        milliseconds = milliseconds * 10 + Int64(byte - UInt8(ascii: "0"))
                        if fractionDigits >= 0 { fractionDigits += 1 }
                    } else {
                        plain = false
                    }
                } else if byte == UInt8(ascii: "."), fractionDigits < 0 {
                    fractionDigits = 0
                } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+")
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
                {
                    plain = false
                } else {
                    break
                }
                end += 1
            }
            guard end > start else { return nil }
            tokens.skip(end - start)
            if plain {
                for _ in max(0, fractionDigits)..<3 { milliseconds *= 10 }
                return milliseconds
            }
            guard let seconds = Double(String(decoding: bytes[start..<end], as: UTF8.self)) else { return nil }
            return Int64(exactly: (seconds * 1000).rounded())
        }
    }
}
