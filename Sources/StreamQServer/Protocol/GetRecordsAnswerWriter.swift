import StreamQAWS
import StreamQStorage

/// Writes a GetRecords answer straight from the records the store lends (`StreamStore.scan`) into
/// the response body: JSON with base64 data, or CBOR with byte strings. No value tree and no copy
/// of a record is made, which is what makes polling consumers (and remote queries) fast.
///
/// The body is what ``AWSJSON`` and ``AWSCBOR`` would write for the same answer, except that CBOR's
/// `Records` array has an indefinite length (the count is not known until the scan ends), which
/// every AWS SDK reads.
struct GetRecordsAnswerWriter {
    let encoding: AWSBodyEncoding
    private(set) var body: [UInt8] = []
    private(set) var recordCount = 0
    private(set) var dataBytes = 0
    private(set) var lastArrival: Int64?
    /// Consecutive records' numbers are written by stepping the previous one's digits.
    private var sequenceDigits = KinesisSequenceNumberDigits()

    /// - Parameter records: how many records the answer may hold; room for that many of a few
    ///   hundred bytes is reserved at once, so a large answer is not copied as it grows.
    init(encoding: AWSBodyEncoding, records: Int) {
        self.encoding = encoding
        body.reserveCapacity(min(max(records, 1) * 320, 12 << 20))
        switch encoding {
        case .json:
            body.append(contentsOf: #"{"Records":["#.utf8)
        case .cbor:
            AWSCBOR.appendHead(major: 5, 3, to: &body)  // Records, MillisBehindLatest, and the iterator or children
            appendCBORText("Records")
            body.append(0x9F)  // an indefinite-length array
        }
    }

    /// Adds one record of `shard` in a stream created at `createdSeconds`.
    mutating func append(_ record: RecordView, shard: ShardID, createdSeconds: Int64) {
        switch encoding {
        case .json:
            if recordCount > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: #"{"ApproximateArrivalTimestamp":"#.utf8)
            AWSJSON.appendEpochSeconds(milliseconds: record.arrivalMilliseconds, to: &body)
            body.append(contentsOf: #","Data":""#.utf8)
            Base64.encode(record.data, into: &body)
            body.append(contentsOf: #"","EncryptionType":"#.utf8)
            body.append(contentsOf: (record.isEncrypted ? #""KMS""# : #""NONE""#).utf8)
            body.append(contentsOf: #","PartitionKey":"#.utf8)
            AWSJSON.appendString(utf8: record.partitionKey, to: &body)
            body.append(contentsOf: #","SequenceNumber":""#.utf8)
            sequenceDigits.append(
                record: record.sequence,
                shard: shard.number,
                createdSeconds: createdSeconds,
                to: &body
            )
            body.append(contentsOf: #""}"#.utf8)
        case .cbor:
            // A map of five (keys in sorted order, as ``AWSCBOR`` writes them), and tag 1 around the
            // arrival (epoch milliseconds, as AWS writes it). The keys are constants, written without
            // an array to retain per record.
            body.append(0xA5)
            appendCBORText(constant: "ApproximateArrivalTimestamp")
            body.append(0xC1)
            appendCBORInteger(record.arrivalMilliseconds)
            appendCBORText(constant: "Data")
            AWSCBOR.appendHead(major: 2, UInt64(record.data.count), to: &body)
            body.append(contentsOf: record.data)
            appendCBORText(constant: "EncryptionType")
            appendCBORText(constant: record.isEncrypted ? "KMS" : "NONE")
            appendCBORText(constant: "PartitionKey")
            AWSCBOR.appendHead(major: 3, UInt64(record.partitionKey.count), to: &body)
            body.append(contentsOf: record.partitionKey)
            // The key, then a text head with a one-byte length (the shortest form for the 56 or 57
            // digits), filled in once the digits are written straight into the body.
            appendCBORText(constant: "SequenceNumber")
            body.append(0x60 | 24)
            let lengthIndex = body.count
            body.append(0)
            sequenceDigits.append(
                record: record.sequence,
                shard: shard.number,
                createdSeconds: createdSeconds,
                to: &body
            )
            body[lengthIndex] = UInt8(body.count - lengthIndex - 1)
        }
        recordCount += 1
        dataBytes += record.data.count
        lastArrival = record.arrivalMilliseconds
    }

    /// Ends the answer: how far behind the shard's newest record the last one is, and either the
    /// iterator to continue with or, for a shard read to its end, its children.
    mutating func finish(millisBehindLatest: Int64, nextShardIterator: String?, childShards: AWSValue) -> [UInt8] {
        switch encoding {
        case .json:
            body.append(contentsOf: #"],"MillisBehindLatest":"#.utf8)
            AWSJSON.appendDecimal(millisBehindLatest, to: &body)
            if let nextShardIterator {
                body.append(contentsOf: #","NextShardIterator":"#.utf8)
                AWSJSON.appendString(nextShardIterator, to: &body)
            } else {
                body.append(contentsOf: #","ChildShards":"#.utf8)
                AWSJSON.encode(childShards, into: &body)
            }
            body.append(UInt8(ascii: "}"))
        case .cbor:
            body.append(0xFF)  // the end of the Records array
            appendCBORText("MillisBehindLatest")
            appendCBORInteger(millisBehindLatest)
            if let nextShardIterator {
                appendCBORText("NextShardIterator")
                appendCBORText(nextShardIterator)
            } else {
                appendCBORText("ChildShards")
                AWSCBOR.encode(childShards, into: &body)
            }
        }
        return body
    }

    private mutating func appendCBORText(_ text: String) {
        AWSCBOR.appendHead(major: 3, UInt64(text.utf8.count), to: &body)
        body.append(contentsOf: text.utf8)
    }

    private mutating func appendCBORText(constant text: StaticString) {
        AWSCBOR.appendHead(major: 3, UInt64(text.utf8CodeUnitCount), to: &body)
        body.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    private mutating func appendCBORInteger(_ number: Int64) {
        if number >= 0 {
            AWSCBOR.appendHead(major: 0, UInt64(number), to: &body)
        } else {
            AWSCBOR.appendHead(major: 1, UInt64(bitPattern: -1 - number), to: &body)
        }
    }
}
